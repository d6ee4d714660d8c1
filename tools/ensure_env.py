"""Create `.env` for local runs: random secrets (never a default password) and local URLs.

Existing values are kept, so secrets survive restarts; new keys are appended.
"""
from __future__ import annotations

import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV_FILE = ROOT / ".env"


def defaults() -> dict[str, str]:
    var = ROOT / "var"
    return {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "RASA_TOKEN": secrets.token_hex(24),  # hex: a token starting with "-" would read as an option
        "RASA_URL": "http://127.0.0.1:5005",
        "ACTION_ENDPOINT_URL": "http://127.0.0.1:5055/webhook",
        "DATABASE_URL": f"sqlite:///{var / 'office.db'}",
        "TRACKER_STORE_URL": f"sqlite:///{var / 'tracker.db'}",
        "BACKOFFICE_PORT": "8000",
        "OFFICE_TZ": "Asia/Jakarta",
        "REDIS_URL": "",  # set (redis://...) for several Rasa replicas: the Procfile then uses the Redis lock store
    }


def read_env(path: Path = ENV_FILE) -> dict[str, str]:
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip()
    return values


def main() -> None:
    (ROOT / "var").mkdir(exist_ok=True)
    current = read_env()
    missing = {k: v for k, v in defaults().items() if k not in current}
    if missing:
        with ENV_FILE.open("a", encoding="utf-8") as handle:
            if not current:
                handle.write("# Local settings written by tools/ensure_env.py; see README (Configuration).\n")
            for key, value in missing.items():
                handle.write(f"{key}={value}\n")
        ENV_FILE.chmod(0o600)
        print(f"==> wrote {', '.join(missing)} to .env")


if __name__ == "__main__":
    main()
