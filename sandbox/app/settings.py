"""The app's configuration, read once from the environment of its deploy."""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import Enum

from sandbox.faults import APP_BUILD_FLAGS

# The build flags of `SANDBOX_BUILD`, one member per flag a build fault of the registry (sandbox/faults.py)
# deploys (`bad-health` is BuildFlag.BAD_HEALTH): each switches a real code path of the app.
BuildFlag = Enum("BuildFlag", {flag.upper().replace("-", "_"): flag for flag in sorted(APP_BUILD_FLAGS)}, type=str)


class ConfigError(ValueError):
    """A bad environment value; the message names the variable, the value and the fix."""


def _truthy(name: str, default: str = "false") -> bool:
    return os.environ.get(name, default).strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default)).strip()
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"env {name}={raw!r} is not an integer; set it to a whole number like {default}") from None


def build_flags(raw: str | None = None) -> frozenset[str]:
    raw = os.environ.get("SANDBOX_BUILD", "") if raw is None else raw
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    jwt_secret: str
    allowed_origins: tuple[str, ...]
    dev_mode: bool
    min_events: int
    cooldown_minutes: int
    pinecone_controller_url: str | None
    pinecone_api_key: str
    pinecone_index: str
    build: frozenset[str]

    @property
    def build_label(self) -> str:
        return ",".join(sorted(self.build)) or "healthy"

    def has(self, flag: BuildFlag) -> bool:
        return flag.value in self.build

    @classmethod
    def from_env(cls, need_jwt: bool = True) -> Settings:
        dsn = os.environ.get("DATABASE_URL", "").strip()
        if not dsn:
            raise ConfigError("env DATABASE_URL is empty; set it to the postgres DSN of the twin database")
        secret = os.environ.get("JWT_SECRET", "")
        if need_jwt and not secret:
            raise ConfigError("env JWT_SECRET is empty; set it to a random secret (tokens are signed with it)")
        origins = tuple(o.strip().rstrip("/") for o in os.environ.get("ALLOWED_ORIGINS", "").split(",") if o.strip())
        return cls(
            database_url=dsn,
            redis_url=os.environ.get("REDIS_URL", "").strip() or None,
            jwt_secret=secret,
            allowed_origins=origins,
            dev_mode=_truthy("DEV_MODE"),
            min_events=_int("FEEDBACK_LEARNING_MIN_EVENTS", 5),
            cooldown_minutes=_int("FEEDBACK_LEARNING_COOLDOWN_MINUTES", 30),
            pinecone_controller_url=os.environ.get("PINECONE_CONTROLLER_URL", "").strip().rstrip("/") or None,
            pinecone_api_key=os.environ.get("PINECONE_API_KEY", ""),
            pinecone_index=os.environ.get("PINECONE_INDEX_NAME", ""),
            build=build_flags(),
        )
