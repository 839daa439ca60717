"""Release step C's arithmetic: the desired env (section 4 baseline + the release's env file), and its diff.

Values stay in memory: what leaves this module for any output is a key name and whether it is added,
changed or removed. `{ env = "NAME" }` values are read from the operator's environment at release time.
"""
from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field

# The services of the release env file, each a table (docs/runbook.md#release-conductor).
SERVICES = ("render_api", "render_worker", "vercel")
RENDER_SERVICES = ("render_api", "render_worker")
ACTIONS = ("added", "changed", "removed")


class EnvFileError(Exception):
    """The release env file cannot be used; one line naming the file, the key and the fix."""


@dataclass(frozen=True)
class Wanted:
    """What one key must be: a value (`remove` False) or absent; `keep` lists values that may stay as they are."""

    value: str | None
    source: str  # "baseline", "release.env.toml", "$NAME"
    remove: bool = False
    keep: tuple[str, ...] = field(default=())

    def __repr__(self) -> str:  # never the value
        return f"Wanted(source={self.source!r}, remove={self.remove})"


@dataclass(frozen=True)
class Change:
    service: str
    key: str
    action: str  # added | changed | removed
    source: str


def parse_env_file(text: str | None, where: str) -> dict[str, dict[str, dict]]:
    """service -> key -> {"literal": str} | {"env": NAME} | {"remove": True}; a missing file is no change."""
    if text is None:
        return {s: {} for s in SERVICES}
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise EnvFileError(f"{where}: not valid TOML ({exc}); fix the file in the release commit") from None
    unknown = sorted(set(data) - set(SERVICES))
    if unknown:
        raise EnvFileError(f"{where}: unknown table [{unknown[0]}]; use [{'], ['.join(SERVICES)}]")
    result: dict[str, dict[str, dict]] = {}
    for service in SERVICES:
        table = data.get(service, {})
        if not isinstance(table, dict):
            raise EnvFileError(f"{where}: {service} must be a table ([{service}])")
        entries = {}
        for key, value in table.items():
            if isinstance(value, str):
                entries[key] = {"literal": value}
            elif isinstance(value, dict) and set(value) == {"env"} and isinstance(value["env"], str) and value["env"]:
                entries[key] = {"env": value["env"]}
            elif isinstance(value, dict) and value == {"remove": True}:
                entries[key] = {"remove": True}
            else:
                raise EnvFileError(f'{where}: [{service}] {key} must be a string, {{ env = "NAME" }} or '
                                   "{ remove = true }; fix it in the release commit")
        result[service] = entries
    return result


def desired_env(baseline: Mapping, release_env: Mapping[str, Mapping[str, dict]], environ: Mapping[str, str],
                where: str = "release.env.toml") -> dict[str, dict[str, Wanted]]:
    """The runbook's section 4 baseline (runbook.toml [env_baseline]) with the release's env file over it."""
    wanted: dict[str, dict[str, Wanted]] = {s: {} for s in SERVICES}
    for service in RENDER_SERVICES:
        for key, value in baseline.get("render_expected", {}).items():
            wanted[service][key] = Wanted(str(value), "baseline")
    for key, allowed in baseline.get("vercel_forbidden", {}).items():
        wanted["vercel"][key] = Wanted(None, "baseline", remove=True, keep=tuple(str(a) for a in allowed))
    for service, entries in release_env.items():
        for key, entry in entries.items():
            if "remove" in entry:
                wanted[service][key] = Wanted(None, where, remove=True)
            elif "env" in entry:
                name = entry["env"]
                if name not in environ:
                    raise EnvFileError(f'{where}: [{service}] {key} = {{ env = "{name}" }} but ${name} is not set; '
                                       "export it before the release")
                wanted[service][key] = Wanted(environ[name], f"${name}")
            else:
                wanted[service][key] = Wanted(entry["literal"], where)
    return wanted


def diff(wanted: Mapping[str, Mapping[str, Wanted]], current: Mapping[str, Mapping[str, str | None]]) -> list[Change]:
    """What to write so that `current` (service -> key -> value; None: present, unreadable) becomes `wanted`."""
    changes = []
    for service in SERVICES:
        now = current.get(service, {})
        for key, want in sorted(wanted.get(service, {}).items()):
            if want.remove:
                if key in now and (now[key] is None or now[key] not in want.keep):
                    changes.append(Change(service, key, "removed", want.source))
            elif key not in now:
                changes.append(Change(service, key, "added", want.source))
            elif now[key] != want.value:
                changes.append(Change(service, key, "changed", want.source))
    return changes


def required_missing(baseline: Mapping, current: Mapping[str, Mapping[str, str | None]]) -> list[tuple[str, str]]:
    """Baseline keys that must be present but are not, by service (after the writes, nothing should be)."""
    missing = []
    for service in RENDER_SERVICES:
        keys = current.get(service, {})
        missing += [(service, k) for k in baseline.get("render_required", []) if k not in keys]
        for group in baseline.get("render_one_of", []):
            if not any(k in keys for k in group):
                missing.append((service, " or ".join(group)))
    keys = current.get("vercel", {})
    missing += [("vercel", k) for k in baseline.get("vercel_required", []) if k not in keys]
    return missing


def by_service(changes: list[Change]) -> dict[str, dict[str, list[str]]]:
    """service -> added/changed/removed -> key names: the only form the env diff takes in any output."""
    result = {s: {a: [] for a in ACTIONS} for s in SERVICES}
    for change in changes:
        result[change.service][change.action].append(change.key)
    return result


def describe(changes: list[Change]) -> str:
    """One line per service with changes: `render_api: added A, B; changed C; removed D` (names only)."""
    lines = []
    for service, actions in by_service(changes).items():
        parts = [f"{action} {', '.join(keys)}" for action, keys in actions.items() if keys]
        if parts:
            lines.append(f"{service}: {'; '.join(parts)}")
    return "\n".join(lines) or "no change"


def values_of(wanted: Mapping[str, Mapping[str, Wanted]]) -> list[str]:
    """Every value the release would write, for redaction of anything printed."""
    return [w.value for entries in wanted.values() for w in entries.values() if w.value]
