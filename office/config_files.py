"""Configuration files the office edits (profile, complaint routing): read as YAML, re-read when changed.

An edit takes effect on the next message in every process, without a restart.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml


class ConfigFileError(ValueError):
    """The file is missing or is not valid YAML; the message names the file."""


def read_yaml(path: Path) -> Any:
    """The parsed YAML of `path`, cached until the file's modification time changes."""
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError as exc:
        raise ConfigFileError(f"{path} not found") from exc
    return _read(path, mtime)


@lru_cache(maxsize=16)
def _read(path: Path, _mtime: int) -> Any:
    with path.open(encoding="utf-8") as handle:
        try:
            return yaml.safe_load(handle)
        except yaml.YAMLError as exc:
            raise ConfigFileError(f"{path}: not valid YAML ({exc})") from exc
