"""Read and validate the criteria and waivers of runbook.toml into frozen values."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from gonogo.notify import NotifyError, NotifyTable, parse_table

STAGES: tuple[str, ...] = ("predeploy", "smoke", "postdeploy", "soak")
# Stages that run after the deploy: a NO-GO in one of them triggers the rollback playbook.
POST_DEPLOY_STAGES: frozenset[str] = frozenset({"smoke", "postdeploy", "soak"})

_CRITERION_KEYS = ("title", "stage", "blocking", "go_no_go", "rollback", "abort")
_WAIVER_KEYS = ("criterion", "reason", "approved_by", "expires")


class RunbookError(ValueError):
    """A runbook.toml that cannot be used; the message is one line naming file, key and fix."""


@dataclass(frozen=True)
class Criterion:
    """One go/no-go criterion of the runbook."""

    id: str
    title: str
    stage: str
    blocking: bool = True
    go_no_go: int | None = None
    rollback: tuple[str, ...] = ()
    abort: bool = False


@dataclass(frozen=True)
class Waiver:
    """A signed-off exception for one criterion, valid up to and including `expires`."""

    criterion: str
    reason: str
    approved_by: str
    expires: dt.date

    def is_current(self, today: dt.date) -> bool:
        return today <= self.expires


@dataclass(frozen=True)
class Runbook:
    """The parsed runbook: criteria by id, waivers, and the other tables left untouched."""

    path: Path
    criteria: Mapping[str, Criterion]
    waivers: tuple[Waiver, ...] = ()
    # Tables gonogo does not own ([targets.*], [thresholds], ...): the project's conftest reads them.
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    # [notify]: where the end state of a run is sent (gonogo.notify), None without the table.
    notify: NotifyTable | None = None

    def waiver_for(self, criterion_id: str, today: dt.date) -> Waiver | None:
        """The current waiver of a criterion, else its latest expired one, else None."""
        mine = [w for w in self.waivers if w.criterion == criterion_id]
        current = [w for w in mine if w.is_current(today)]
        pool = current or mine
        return max(pool, key=lambda w: w.expires) if pool else None


def load_runbook(path: Path) -> Runbook:
    """Parse and validate `path`; raise RunbookError with a one-line message on any problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RunbookError(f"{path}: cannot read the runbook ({exc.strerror}); fix the path") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RunbookError(f"{path}: invalid TOML ({exc}); fix the syntax") from None
    return parse_runbook(data, path)


def parse_runbook(data: Mapping[str, Any], path: Path) -> Runbook:
    """Validate already-parsed TOML data."""
    raw_criteria = data.get("criteria", {})
    if not isinstance(raw_criteria, dict):
        raise RunbookError(f"{path}: 'criteria' must be a table of [criteria.ID] tables")
    criteria = {cid: _criterion(path, cid, body) for cid, body in raw_criteria.items()}
    raw_waivers = data.get("waivers", [])
    if not isinstance(raw_waivers, list):
        raise RunbookError(f"{path}: 'waivers' must be an array of [[waivers]] tables")
    waivers = tuple(_waiver(path, i, body, criteria) for i, body in enumerate(raw_waivers))
    notify = None
    if "notify" in data:
        try:
            notify = parse_table(data["notify"], f"{path}: [notify]")
        except NotifyError as exc:
            raise RunbookError(str(exc)) from None
    extra = {k: v for k, v in data.items() if k not in ("criteria", "waivers", "notify")}
    return Runbook(path, MappingProxyType(criteria), waivers, MappingProxyType(extra), notify)


def _criterion(path: Path, cid: str, body: Any) -> Criterion:
    where = f"{path}: [criteria.{cid}]"
    if not isinstance(body, dict):
        raise RunbookError(f"{where} must be a table with title and stage")
    _reject_unknown(where, body, _CRITERION_KEYS)
    for key in ("title", "stage"):
        if key not in body:
            raise RunbookError(f"{where} misses '{key}'; add {key} = \"...\"")
    title = _typed(where, body, "title", str, "a string")
    stage = _typed(where, body, "stage", str, "a string")
    if stage not in STAGES:
        raise RunbookError(f"{where} stage {stage!r} is unknown; use one of {', '.join(STAGES)}")
    blocking = _typed(where, body, "blocking", bool, "true or false", default=True)
    abort = _typed(where, body, "abort", bool, "true or false", default=False)
    go_no_go = body.get("go_no_go")
    if go_no_go is not None and (isinstance(go_no_go, bool) or not isinstance(go_no_go, int)):
        raise RunbookError(f"{where} go_no_go = {go_no_go!r} must be an integer, e.g. go_no_go = 3")
    rollback = body.get("rollback", [])
    if not isinstance(rollback, list) or not all(isinstance(s, str) and s for s in rollback):
        raise RunbookError(f"{where} rollback = {rollback!r} must be a list of scope names, e.g. [\"backend\"]")
    return Criterion(cid, title, stage, blocking, go_no_go, tuple(rollback), abort)


def _waiver(path: Path, index: int, body: Any, criteria: Mapping[str, Criterion]) -> Waiver:
    where = f"{path}: [[waivers]] #{index + 1}"
    if not isinstance(body, dict):
        raise RunbookError(f"{where} must be a table")
    _reject_unknown(where, body, _WAIVER_KEYS)
    for key in _WAIVER_KEYS:
        if key not in body:
            raise RunbookError(f"{where} misses '{key}'; a waiver needs {', '.join(_WAIVER_KEYS)}")
    criterion = _typed(where, body, "criterion", str, "a string")
    if criterion not in criteria:
        raise RunbookError(
            f"{where} criterion {criterion!r} is not declared; add [criteria.{criterion}] or fix the id"
        )
    expires = body["expires"]
    if isinstance(expires, dt.datetime) or not isinstance(expires, dt.date):
        raise RunbookError(f"{where} expires = {expires!r} must be a TOML date, e.g. expires = 2026-12-31")
    return Waiver(
        criterion,
        _typed(where, body, "reason", str, "a string"),
        _typed(where, body, "approved_by", str, "a string"),
        expires,
    )


def _reject_unknown(where: str, body: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    for key in body:
        if key not in allowed:
            raise RunbookError(f"{where} key '{key}' is unknown; use one of {', '.join(allowed)}")


def _typed(where: str, body: Mapping[str, Any], key: str, kind: type, what: str, default: Any = None) -> Any:
    value = body.get(key, default)
    if not isinstance(value, kind):
        raise RunbookError(f"{where} {key} = {value!r} must be {what}")
    return value
