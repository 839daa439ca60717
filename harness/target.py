"""Targets: where the runbook runs (a named target of runbook.toml or a PATH.toml) and with what credentials."""
from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType

from gonogo_providers import DEFAULT_MAX_ATTEMPTS, DEFAULT_TIMEOUT_S

# Status keys of `python -m sandbox status --json` that become target fields as they are.
_SANDBOX_FIELDS = (
    "api_url", "frontend_url", "render_api_url", "vercel_api_url", "supabase_api_url",
    "pinecone_api_url", "render_owner_id", "render_api_service_id", "render_worker_service_id",
    "vercel_team_id", "vercel_project_id", "vercel_alias", "supabase_project_ref", "pinecone_index",
    "render_keyvalue_id", "app_repo",
)
# Sandbox status keys that are credentials, by the role the runbook gives them.
_SANDBOX_SECRETS = {
    "render_api_key": ("secrets", "RENDER_API_KEY"),
    "vercel_token": ("secrets", "VERCEL_TOKEN"),
    "supabase_access_token": ("secrets", "SUPABASE_ACCESS_TOKEN"),
    "pinecone_api_key": ("secrets", "PINECONE_API_KEY"),
    "supabase_db_url": ("database_url",),
    "redis_url": ("redis_url",),
    "owner_email": ("owner_email",),
    "owner_password": ("owner_password",),
    "share_url": ("share_url",),
}
SANDBOX_START_HINT = "start it with `python -m sandbox up` (stop it later with `python -m sandbox down`)"


class TargetError(Exception):
    """A target cannot be loaded or is not usable; the message is one line an operator can act on."""


@dataclass(frozen=True)
class Target:
    """Everything the suites need to know about one deployment, secrets kept out of repr."""

    name: str
    source: str
    api_url: str
    frontend_url: str
    render_api_url: str
    vercel_api_url: str
    supabase_api_url: str
    pinecone_api_url: str
    render_owner_id: str
    render_api_service_id: str
    render_worker_service_id: str
    vercel_project_id: str
    vercel_alias: str
    supabase_project_ref: str
    pinecone_index: str
    vercel_team_id: str | None = None
    # The Render Key Value instance (`red-...`) serving as Redis (docs/runbook.md#1-live-topology).
    render_keyvalue_id: str | None = None
    expected_migrations: tuple[str, ...] = ()
    frontend_node_version: str = "20.x"
    foreign_origin: str = "https://gonogo-foreign-origin.invalid"
    soak_duration_s: float = 1800.0
    # How long a learning job may take here, and how soon the worker must take it (defaults: runbook.toml
    # thresholds.learning_job_timeout_s and learning_job_pickup_s).
    learning_job_timeout_s: float | None = None
    learning_job_pickup_s: float | None = None
    # Every provider client's timeout per attempt and attempts per call: a dead provider holds one call at
    # most attempts x timeout + the retry wait budget (docs/providers.md#shared-transport).
    provider_timeout_s: float = DEFAULT_TIMEOUT_S
    provider_attempts: int = DEFAULT_MAX_ATTEMPTS
    app_repo: str | None = None
    # Production writes (feedback, chats) go to this dedicated smoke twin; default: the owner's first twin.
    smoke_twin_id: str | None = None
    sandbox_state: str | None = None
    commands: Mapping[str, str] = field(default_factory=dict)
    # role -> env var name (where the secret comes from) and role -> value (resolved).
    secret_env: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)

    def secret(self, role: str) -> str:
        """The secret for `role`; the caller checked it is present (see `missing`)."""
        return self.secrets[role]

    def missing(self, roles: Iterable[str]) -> list[str]:
        """Env var names (or roles) of the needed secrets that have no value."""
        return sorted({self.secret_env.get(r, r) for r in roles if not self.secrets.get(r)})

    def secret_values(self) -> list[str]:
        """Every credential value this target holds, for redaction."""
        return [v for v in self.secrets.values() if v]

    def credential_label(self, role: str) -> str:
        """Where the credential of `role` comes from, to name it in a refusal: its env var, else its key in
        the sandbox state file (never the value)."""
        if role in self.secret_env:
            return self.secret_env[role]
        if self.sandbox_state and role in _SANDBOX_SECRETS:
            return f"{'.'.join(_SANDBOX_SECRETS[role])} of {self.sandbox_state}"
        return role


_FIELD_NAMES = {f.name for f in fields(Target)} - {"name", "source", "secrets", "secret_env"}


def _required_fields() -> set[str]:
    from dataclasses import MISSING

    return {f.name for f in fields(Target) if f.default is MISSING and f.default_factory is MISSING}


def _check_keys(data: Mapping, where: str) -> None:
    unknown = sorted(set(data) - _FIELD_NAMES - {"secrets", "extends"})
    if unknown:
        raise TargetError(
            f"{where}: unknown target field {unknown[0]!r}; known fields: {', '.join(sorted(_FIELD_NAMES))}"
        )


def _from_table(name: str, table: Mapping, where: str) -> dict:
    _check_keys(table, where)
    data = {k: v for k, v in table.items() if k not in ("secrets", "extends")}
    secret_env = dict(table.get("secrets", {}))
    for role, var in secret_env.items():
        if not isinstance(var, str) or not var:
            raise TargetError(f"{where}: secrets.{role} must name an env var, got {var!r}")
    data["secret_env"] = secret_env
    data["name"], data["source"] = name, where
    return data


def _sandbox_fields(state_file: Path, where: str) -> tuple[dict, dict]:
    try:
        status = json.loads(state_file.read_text())
    except FileNotFoundError:
        raise TargetError(f"target sandbox: the sandbox is not running (no {state_file}); "
                          f"{SANDBOX_START_HINT}") from None
    except (OSError, ValueError) as exc:
        raise TargetError(f"{where}: cannot read sandbox state {state_file}: {exc}; "
                          f"run `python -m sandbox down` then `up`") from None
    data = {k: status[k] for k in _SANDBOX_FIELDS if status.get(k) is not None}
    secrets = {}
    for role, path in _SANDBOX_SECRETS.items():
        value = status
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value:
            secrets[role] = str(value)
    return data, secrets


def load_target(spec: str, runbook: Mapping, rootdir: Path, env: Mapping[str, str] | None = None) -> Target:
    """Resolve `--target SPEC`: a target named in runbook.toml, or a PATH.toml holding one target's fields.

    A file may say `extends = "production"` (or another named target) and override only what differs,
    which is how the runbook's blue/green canary or a staging stack stays one small file.
    """
    env = os.environ if env is None else env
    targets = runbook.get("targets", {})
    if spec.endswith(".toml") or os.sep in spec:
        path = Path(spec)
        try:
            table = tomllib.loads(path.read_text())
        except FileNotFoundError:
            raise TargetError(f"--target {spec}: no such file; "
                              f"give a target name ({', '.join(targets)}) or an existing .toml") from None
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise TargetError(f"--target {spec}: not valid TOML ({exc}); fix the file") from None
        table = table.get("target", table)
        data = _from_table(path.stem, table, str(path))
        base_name = table.get("extends")
        if base_name is not None:
            if base_name not in targets:
                raise TargetError(f"{path}: extends = {base_name!r} is not a target of runbook.toml; "
                                  f"use one of {', '.join(targets)}")
            base = _from_table(base_name, targets[base_name], f"runbook.toml [targets.{base_name}]")
            base_env = dict(base.pop("secret_env"))
            base_env.update(data.pop("secret_env"))
            base.update({k: v for k, v in data.items()})
            base["secret_env"] = base_env
            data = base
    elif spec in targets:
        data = _from_table(spec, targets[spec], f"runbook.toml [targets.{spec}]")
    else:
        raise TargetError(f"--target {spec!r} is not a target of runbook.toml; "
                          f"use one of {', '.join(targets)} or a PATH.toml")

    secrets: dict[str, str] = {}
    if data.get("sandbox_state"):
        state = Path(data["sandbox_state"])
        state = state if state.is_absolute() else rootdir / state
        status_fields, secrets = _sandbox_fields(state, data["source"])
        data = {**status_fields, **data}
    for role, var in data["secret_env"].items():
        if env.get(var):
            secrets[role] = env[var]

    missing = sorted(_required_fields() - set(data))
    if missing:
        raise TargetError(f"{data['source']}: target {data['name']!r} lacks {', '.join(missing)}; "
                          f"add them to the target")
    data["expected_migrations"] = tuple(data.get("expected_migrations", ()))
    data["commands"] = MappingProxyType(dict(data.get("commands", {})))
    data["secret_env"] = MappingProxyType(data["secret_env"])
    try:
        target = Target(**data, secrets=MappingProxyType(secrets))
    except TypeError as exc:
        raise TargetError(f"{data['source']}: {exc}") from None
    for key in ("api_url", "frontend_url", "render_api_url", "vercel_api_url", "supabase_api_url", "pinecone_api_url"):
        value = getattr(target, key)
        if not isinstance(value, str) or not value.startswith(("http://", "https://")):
            raise TargetError(f"{target.source}: {key} = {value!r} is not an http(s) URL")
    if not isinstance(target.soak_duration_s, (int, float)) or target.soak_duration_s <= 0:
        raise TargetError(f"{target.source}: soak_duration_s = {target.soak_duration_s!r} "
                          "must be a positive number of seconds")
    for key in ("learning_job_timeout_s", "learning_job_pickup_s"):
        value = getattr(target, key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
            raise TargetError(f"{target.source}: {key} = {value!r} must be a positive number of seconds")
    timeout, attempts = target.provider_timeout_s, target.provider_attempts
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise TargetError(f"{target.source}: provider_timeout_s = {timeout!r} must be a positive number of seconds")
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise TargetError(f"{target.source}: provider_attempts = {attempts!r} must be a whole number, 1 or more")
    return replace(target, soak_duration_s=float(target.soak_duration_s), provider_timeout_s=float(timeout))
