"""The deployment files (deploy/): they parse, they give every process every setting the code reads, and
everything they refer to exists. (No container runs on this machine; the same topology runs as processes
in tests/integration/test_rasa_replicas.py.)"""
from __future__ import annotations

import ast
import functools
import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOY = ROOT / "deploy"
CODE_DIRS = ["office", "channels", "worker", "backoffice", "actions", "bot"]
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$")
# Reader function -> position of the variable's name among its arguments (channels/* read credentials.yml
# first and fall back to the environment through small helpers).
ENV_ARG = {"get": 0, "getenv": 0, "_setting": 2, "_pick": 2, "pick": 1}
NOT_DEPLOYED = {
    "OFFICE_NOW": "freezes the clock, for tests only",
    "BACKOFFICE_PORT": "the local `make run` port (containers listen on 8000)",
    "BACKOFFICE_URL": "printed by the local create_admin command",
}
OUR_IMAGES = {"imigrasi-app": "Dockerfile.app", "imigrasi-rasa": "Dockerfile.rasa"}
OUR_SERVICES = {"migrate", "rasa", "actions", "backoffice", "worker"}


@functools.cache
def env_vars_read_by_code() -> dict[str, set[str]]:
    """Every environment variable our code reads by name, with the files that read it."""
    found: dict[str, set[str]] = {}
    for directory in CODE_DIRS:
        for path in (ROOT / directory).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                name = None
                if isinstance(node, ast.Call):
                    func = node.func
                    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                    position = ENV_ARG.get(called or "")
                    if position is not None and len(node.args) > position:
                        if called == "get" and not (isinstance(func.value, ast.Attribute) and func.value.attr == "environ"):
                            continue
                        arg = node.args[position]
                        name = arg.value if isinstance(arg, ast.Constant) else None
                elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) \
                        and node.value.attr == "environ" and isinstance(node.slice, ast.Constant):
                    name = node.slice.value
                if isinstance(name, str) and ENV_NAME.match(name):
                    found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    for endpoints in (ROOT / "bot").glob("endpoints*.yml"):  # what Rasa itself substitutes
        for name in re.findall(r"^\s*\w+: \$\{([A-Z_0-9]+)\}", endpoints.read_text(encoding="utf-8"), re.M):
            found.setdefault(name, set()).add(str(endpoints.relative_to(ROOT)))
    return found


def required_env() -> set[str]:
    return set(env_vars_read_by_code()) - set(NOT_DEPLOYED)


@functools.cache
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))


@functools.cache
def k8s_documents() -> list[dict]:
    docs = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            assert isinstance(doc, dict) and doc.get("apiVersion") and doc.get("kind"), f"{path.name}: {doc!r:.200}"
            docs.append(doc)
    return docs


def k8s(kind: str, name: str) -> dict:
    [doc] = [d for d in k8s_documents() if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc


def containers() -> list[dict]:
    """Every container of every Deployment, StatefulSet and Job."""
    return [c for d in k8s_documents() if d["kind"] in ("Deployment", "StatefulSet", "Job")
            for c in d["spec"]["template"]["spec"]["containers"]]


def commands() -> list[str]:
    """The command line of every container we build, in compose and Kubernetes (shell-joined)."""
    lines = []
    for name, service in compose()["services"].items():
        if name in OUR_SERVICES and service.get("command"):
            lines.append(shlex.join(service["command"]))
    for container in containers():
        if container["image"].split(":")[0] in OUR_IMAGES:
            lines.append(shlex.join(container["command"]))
    for dockerfile in OUR_IMAGES.values():
        match = re.search(r"^CMD (\[.*\])$", (DEPLOY / dockerfile).read_text(encoding="utf-8"), re.M)
        lines.append(shlex.join(yaml.safe_load(match.group(1))))
    return lines


def test_the_scan_finds_the_settings_it_should() -> None:
    """Guards the scanner itself: a scanner that finds nothing would pass every check below."""
    found = env_vars_read_by_code()
    assert {"DATABASE_URL", "SECRET_KEY", "TELEGRAM_BOT_TOKEN", "TWILIO_AUTH_TOKEN", "META_APP_SECRET",
            "REDIS_URL", "ACTION_ENDPOINT_URL", "TRACKER_STORE_URL", "SMTP_HOST"} <= set(found)
    assert "channels/telegram.py" in found["TELEGRAM_BOT_TOKEN"]


def test_compose_gives_every_process_every_setting() -> None:
    services = compose()["services"]
    assert {"postgres", "redis", "nginx"} | OUR_SERVICES <= set(services)
    for name in OUR_SERVICES:
        missing = required_env() - set(services[name]["environment"])
        assert not missing, f"compose service {name} lacks {sorted(missing)}"
    assert services["rasa"]["deploy"]["replicas"] >= 2 and services["worker"]["deploy"]["replicas"] >= 2


def test_kubernetes_config_and_secret_hold_every_setting_once() -> None:
    config = set(k8s("ConfigMap", "office-config")["data"])
    secret = k8s("Secret", "office-secrets")["stringData"]
    assert not config & set(secret), f"in both ConfigMap and Secret: {sorted(config & set(secret))}"
    missing = required_env() - config - set(secret)
    assert not missing, f"neither ConfigMap nor Secret sets {sorted(missing)}"
    for container in containers():
        if container["image"].split(":")[0] in OUR_IMAGES:
            refs = [next(iter(ref.values()))["name"] for ref in container["envFrom"]]
            assert refs == ["office-config", "office-secrets"], container["name"]


def test_the_secret_is_a_template_without_secrets() -> None:
    secret = k8s("Secret", "office-secrets")["stringData"]
    for key, value in secret.items():
        assert value == "" or "REPLACE_ME" in value or value == "redis://redis:6379/0", f"{key} holds a value"
    assert "REPLACE_ME" in secret["SECRET_KEY"] and "REPLACE_ME" in secret["RASA_TOKEN"]


def test_replicas_probes_and_what_is_exposed() -> None:
    assert k8s("Deployment", "rasa")["spec"]["replicas"] >= 2
    probes = {c["name"]: c.get("readinessProbe", {}).get("httpGet") for c in containers()}
    assert probes["rasa"] == {"path": "/", "port": 5005}  # "Hello from Rasa" without a token
    assert probes["actions"] == {"path": "/health", "port": 5055}
    assert probes["backoffice"] == {"path": "/healthz", "port": 8000}
    assert '@app.get("/healthz")' in (ROOT / "backoffice/app.py").read_text(encoding="utf-8")
    routes = {p["path"]: p["backend"]["service"]["name"]
              for rule in k8s("Ingress", "office")["spec"]["rules"] for p in rule["http"]["paths"]}
    assert routes == {"/webhooks/": "rasa", "/": "backoffice"}  # never the action server or Rasa's HTTP API
    nginx = (DEPLOY / "nginx/default.conf").read_text(encoding="utf-8")
    assert "server rasa:5005;" in nginx and "server backoffice:8000;" in nginx and "actions" not in nginx
    assert "ports" not in compose()["services"]["rasa"] and "ports" not in compose()["services"]["actions"]


def test_images_are_built_from_files_that_exist() -> None:
    services = compose()["services"]
    for name in OUR_SERVICES:
        build = services[name]["build"]
        assert (DEPLOY / build["context"] / build["dockerfile"]).is_file(), name
        assert OUR_IMAGES[services[name]["image"]] == Path(build["dockerfile"]).name
    for container in containers():
        image, _, tag = container["image"].partition(":")
        assert image in OUR_IMAGES or (tag and tag != "latest"), f"pin a version of {container['image']}"
    for dockerfile in OUR_IMAGES.values():
        for line in (DEPLOY / dockerfile).read_text(encoding="utf-8").splitlines():
            if line.startswith("COPY "):
                for source in line.split()[1:-1]:
                    assert (ROOT / source).exists(), f"{dockerfile}: COPY {source} does not exist"
    assert "download.pytorch.org/whl/cpu" in (DEPLOY / "Dockerfile.app").read_text(encoding="utf-8")
    for service in services.values():
        for volume in service.get("volumes", []):
            if volume.startswith("./"):
                assert (DEPLOY / volume.split(":")[0]).is_file(), volume


@pytest.mark.parametrize("line", commands())
def test_every_command_refers_to_code_that_exists(line: str) -> None:
    for module in re.findall(r"python -m ([\w.]+)", line):
        top = module.replace(".", "/")
        assert (ROOT / f"{top}.py").is_file() or (ROOT / top / "__main__.py").is_file() \
            or (ROOT / top / "__init__.py").is_file() or module == "rasa_sdk", f"no module {module}"
    for module, attr in re.findall(r"uvicorn ([\w.]+):(\w+)", line):
        assert re.search(rf"^\s*{attr} = ", (ROOT / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8"), re.M)
    for path in re.findall(r"\b(?:bot|deploy)/[\w${}:+./-]+\.ya?ml", line):
        for variant in (re.sub(r"\$\{\w+:\+([^}]*)\}", r"\1", path), re.sub(r"\$\{[^}]*\}", "", path)):
            assert (ROOT / variant).is_file(), f"{variant} (from {line})"
    if "--actions" in line:
        assert (ROOT / line.split("--actions ")[1].split()[0] / "__init__.py").is_file()
