"""Read configuration from the environment, with development secrets kept in var/."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("CAREPLUS_VAR_DIR", BASE_DIR / "var"))


class MissingSettingError(RuntimeError):
    """A setting required in production is absent from the environment."""


def env_str(name: str, default: str | None = None) -> str | None:
    """Return an environment variable, or the default when unset or empty."""
    value = os.environ.get(name, "")
    return value if value else default


def env_bool(name: str, *, default: bool = False) -> bool:
    """Return a boolean environment variable ("1", "true", "yes", "on")."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """Return a comma-separated environment variable as a list."""
    value = os.environ.get(name, "")
    if not value:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def dev_secret(filename: str, *, nbytes: int = 50) -> str:
    """Return a secret kept in var/, generating it on first use (development only)."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / filename
    if not path.exists():
        value = secrets.token_urlsafe(nbytes)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(value)
    return path.read_text().strip()


def required(name: str) -> str:
    """Return a mandatory environment variable or stop with a one-line message."""
    value = env_str(name)
    if not value:
        raise MissingSettingError(f"CARE+ refuses to start: environment variable {name} is missing.")
    return value


def env_int(name: str, default: int) -> int:
    """Return an integer environment variable, or stop with a one-line message when it is not one."""
    value = env_str(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        message = f"CARE+ refuses to start: environment variable {name} must be a whole number."
        raise MissingSettingError(message) from None
