"""Train the Rasa model only when its inputs changed.

The model is cached as models/<hash>.tar.gz, the hash covering config, domain, NLU data, rules,
stories, the custom NLU components and the Rasa requirements. A cached model is touched so that
`rasa run --model models` (newest file wins) picks it.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
INPUTS = ["config.yml", "bot/domain", "bot/data", "nlu_data", "bot/components", "office/language.py",
          "requirements/rasa.txt"]


def input_files() -> list[Path]:
    files: list[Path] = []
    for item in INPUTS:
        path = ROOT / item
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*")) if p.is_file() and "__pycache__" not in p.parts)
        elif path.exists():
            files.append(path)
    return files


def inputs_hash() -> str:
    digest = hashlib.sha256()
    for path in input_files():
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_path() -> Path:
    return MODELS / f"{inputs_hash()}.tar.gz"


def train() -> Path:
    target = model_path()
    if target.exists():
        os.utime(target)
        print(f"==> Rasa model up to date: {target.relative_to(ROOT)}")
        return target
    MODELS.mkdir(exist_ok=True)
    rasa = ROOT / ".venv-rasa" / "bin" / "rasa"
    print(f"==> training the Rasa model (inputs changed; this takes a few minutes) -> {target.name}", flush=True)
    started = time.monotonic()
    env = dict(os.environ, PYTHONPATH=str(ROOT), SQLALCHEMY_SILENCE_UBER_WARNING="1", TF_CPP_MIN_LOG_LEVEL="2")
    cmd = [str(rasa), "train", "--config", "config.yml", "--domain", "bot/domain", "--data", "nlu_data",
           "bot/data", "--out", str(MODELS), "--fixed-model-name", target.name[: -len(".tar.gz")]]
    result = subprocess.run(cmd, cwd=ROOT, env=env)
    if result.returncode != 0 or not target.exists():
        print("Rasa training failed: read the messages above (often a YAML error in bot/ or nlu_data/).",
              file=sys.stderr)
        sys.exit(result.returncode or 1)
    print(f"==> trained in {time.monotonic() - started:.0f} s", flush=True)
    return target


if __name__ == "__main__":
    train()
