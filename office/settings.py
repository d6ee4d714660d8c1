"""Settings read from the environment, with defaults that let `make run` work on a fresh machine.

Every variable is documented in README.md (Configuration). Secrets have no defaults here:
`tools/ensure_env.py` writes random ones to `.env` for local runs.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("OFFICE_VAR_DIR", ROOT / "var"))


@dataclass(frozen=True)
class Settings:
    database_url: str
    rasa_url: str
    rasa_token: str
    secret_key: str
    timezone: str
    profile_path: Path
    knowledge_dir: Path
    embedding_model: str
    session_minutes: int
    max_login_failures: int
    lockout_minutes: int
    cookie_secure: bool
    public_base_url: str = ""  # the back-office as the internet reaches it (QR images in chat)


def _default_database_url() -> str:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{VAR_DIR / 'office.db'}"


def get_settings() -> Settings:
    """Read the settings now (not at import), so tests can point a process at its own database."""
    return Settings(
        database_url=os.environ.get("DATABASE_URL") or _default_database_url(),
        rasa_url=os.environ.get("RASA_URL", "http://127.0.0.1:5005").rstrip("/"),
        rasa_token=os.environ.get("RASA_TOKEN", ""),
        secret_key=os.environ.get("SECRET_KEY", ""),
        timezone=os.environ.get("OFFICE_TZ", "Asia/Jakarta"),
        profile_path=Path(os.environ.get("OFFICE_PROFILE", ROOT / "office" / "profile.yml")),
        knowledge_dir=Path(os.environ.get("KNOWLEDGE_DIR", ROOT / "knowledge_base")),
        embedding_model=os.environ.get(
            "EMBEDDING_MODEL", str(VAR_DIR / "models" / "multilingual-e5-small")
        ),
        session_minutes=int(os.environ.get("STAFF_SESSION_MINUTES", "480")),
        max_login_failures=int(os.environ.get("STAFF_MAX_LOGIN_FAILURES", "5")),
        lockout_minutes=int(os.environ.get("STAFF_LOCKOUT_MINUTES", "15")),
        cookie_secure=os.environ.get("COOKIE_SECURE", "0") == "1",
        public_base_url=os.environ.get("PUBLIC_BASE_URL", "").strip().rstrip("/"),
    )
