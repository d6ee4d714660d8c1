"""Administrative commands: `python -m office.cli migrate | load-profile | load-kb`."""
from __future__ import annotations

import argparse
import sys

from office.db import migrate
from office.profile import ProfileError, load_profile
from office.settings import get_settings


def cmd_migrate() -> int:
    migrate()
    print("==> database schema is up to date")
    return 0


def cmd_load_profile() -> int:
    try:
        profile = load_profile()
    except ProfileError as exc:
        print(f"office profile error: {exc}", file=sys.stderr)
        return 1
    empty = [k for k in ("address", "phone", "whatsapp", "email", "instagram") if not getattr(profile, k)]
    print(f"==> office profile: {profile.name} ({len(profile.holidays)} holidays"
          + (f"; not filled yet: {', '.join(empty)}" if empty else "") + ")")
    return 0


def cmd_load_kb() -> int:
    from office.kb.store import load_directory

    report = load_directory(get_settings().knowledge_dir)
    print(f"==> knowledge base: {report}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="office.cli", description=__doc__)
    parser.add_argument("command", choices=["migrate", "load-profile", "load-kb"])
    args = parser.parse_args(argv)
    return {"migrate": cmd_migrate, "load-profile": cmd_load_profile, "load-kb": cmd_load_kb}[args.command]()


if __name__ == "__main__":
    sys.exit(main())
