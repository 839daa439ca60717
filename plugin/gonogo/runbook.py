"""Read and validate the criteria, limits and waivers of runbook.toml into frozen values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gonogo.notify import NotifyTable

STAGES: tuple[str, ...] = ("predeploy", "smoke", "postdeploy", "soak")
# Stages that run after the deploy: a NO-GO in one of them triggers the rollback playbook.
POST_DEPLOY_STAGES: frozenset[str] = frozenset({"smoke", "postdeploy", "soak"})

_CRITERION_KEYS = ("title", "stage", "blocking", "go_no_go", "rollback", "abort")
_WAIVER_KEYS = ("criterion", "reason", "approved_by", "expires")
_LIMIT_KEYS = ("title", "measure", "criterion", "drop_max", "rise_max", "relative", "blocking", "rollback")
# The tables gonogo owns; every other top-level table is the project's (Runbook.extra).
_OWN_TABLES = ("criteria", "limits", "notify", "waivers")


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
class Limit:
    """How far a measure may move from the last GO on the same target: a criterion outcome of its own.

    `direction` is "drop" (the value may fall by at most `max`) or "rise"; `relative`: `max` is a fraction of
    the last GO's value (0.5: 50 %) instead of an amount in the measure's unit. Its stage is that of
    `criterion`, whose tests record the measure (`evidence.measure`). Advisory unless `blocking`.
    """

    id: str
    measure: str
    criterion: str
    direction: str
    max: float
    relative: bool = False
    blocking: bool = False
    title: str = ""
    rollback: tuple[str, ...] = ()

    @property
    def bound(self) -> str:
        """`drop <= 0.02`, `rise <= 50%`: the limit in a few characters."""
        amount = f"{self.max * 100:g}%" if self.relative else f"{self.max:g}"
        return f"{self.direction} <= {amount}"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "measure": self.measure, "criterion": self.criterion, "direction": self.direction,
                "max": self.max, "relative": self.relative, "blocking": self.blocking, "title": self.title,
                "rollback": list(self.rollback)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Limit:
        return cls(str(data["id"]), str(data["measure"]), str(data.get("criterion", "")), str(data["direction"]),
                   float(data["max"]), bool(data.get("relative")), bool(data.get("blocking")),
                   str(data.get("title", "")), tuple(str(s) for s in data.get("rollback", ())))


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
    """The parsed runbook: criteria and limits by id, waivers, and the other tables left untouched."""

    path: Path
    criteria: Mapping[str, Criterion]
    waivers: tuple[Waiver, ...] = ()
    # Tables gonogo does not own ([targets.*], [thresholds], ...): the project's conftest reads them.
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    # [notify]: where the end state of a run is sent (gonogo.notify), None without the table.
    notify: NotifyTable | None = None
    limits: Mapping[str, Limit] = field(default_factory=lambda: MappingProxyType({}))

    def waiver_for(self, criterion_id: str, today: dt.date) -> Waiver | None:
        """The current waiver of a criterion, else its latest expired one, else None."""
        mine = [w for w in self.waivers if w.criterion == criterion_id]
        current = [w for w in mine if w.is_current(today)]
        pool = current or mine
        return max(pool, key=lambda w: w.expires) if pool else None


def load_runbook(path: Path) -> Runbook:
    """Parse and validate `path`; raise RunbookError with a one-line message on any problem."""
    # Imported here: a pytest run without a runbook (gonogo installed, not used) never pays for it.
    import tomllib

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
    raw_limits = data.get("limits", {})
    if not isinstance(raw_limits, dict):
        raise RunbookError(f"{path}: 'limits' must be a table of [limits.ID] tables")
    limits = {lid: _limit(path, lid, body, criteria) for lid, body in raw_limits.items()}
    raw_waivers = data.get("waivers", [])
    if not isinstance(raw_waivers, list):
        raise RunbookError(f"{path}: 'waivers' must be an array of [[waivers]] tables")
    # A limit is a criterion outcome like any other: a waiver may cover it too.
    waivable = {*criteria, *limits}
    waivers = tuple(_waiver(path, i, body, waivable) for i, body in enumerate(raw_waivers))
    notify = None
    if "notify" in data:
        from gonogo.notify import NotifyError, parse_table  # only a runbook with a [notify] table needs it

        try:
            notify = parse_table(data["notify"], f"{path}: [notify]")
        except NotifyError as exc:
            raise RunbookError(str(exc)) from None
    extra = {k: v for k, v in data.items() if k not in _OWN_TABLES}
    return Runbook(path, MappingProxyType(criteria), waivers, MappingProxyType(extra), notify=notify,
                   limits=MappingProxyType(limits))


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


def _limit(path: Path, lid: str, body: Any, criteria: Mapping[str, Criterion]) -> Limit:
    where = f"{path}: [limits.{lid}]"
    if not isinstance(body, dict):
        raise RunbookError(f"{where} must be a table with measure, criterion and drop_max or rise_max")
    if lid in criteria:
        raise RunbookError(f"{where} has the id of [criteria.{lid}]; give the limit an id of its own")
    _reject_unknown(where, body, _LIMIT_KEYS)
    for key, example in (("measure", "persona_pass_rate"), ("criterion", "persona-regression")):
        if key not in body:
            raise RunbookError(f"{where} misses '{key}'; add {key} = \"{example}\"")
        value = body[key]
        if not isinstance(value, str) or not value:
            raise RunbookError(f"{where} {key} = {value!r} must be a non-empty string, e.g. {key} = \"{example}\"")
    criterion = body["criterion"]
    if criterion not in criteria:
        raise RunbookError(f"{where} criterion {criterion!r} is not declared; name the [criteria.ID] whose tests "
                           "record the measure")
    given = [key for key in ("drop_max", "rise_max") if key in body]
    if len(given) != 1:
        raise RunbookError(f"{where} needs exactly one of drop_max or rise_max (has "
                           f"{' and '.join(given) or 'neither'}), e.g. drop_max = 0.02")
    key = given[0]
    amount = body[key]
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not 0 <= amount < float("inf"):
        raise RunbookError(f"{where} {key} = {amount!r} must be a number >= 0, e.g. {key} = 0.02")
    relative = _typed(where, body, "relative", bool, "true or false", default=False)
    blocking = _typed(where, body, "blocking", bool, "true or false", default=False)
    rollback = body.get("rollback", [])
    if not isinstance(rollback, list) or not all(isinstance(s, str) and s for s in rollback):
        raise RunbookError(f"{where} rollback = {rollback!r} must be a list of scope names, e.g. [\"backend\"]")
    direction = key.removesuffix("_max")
    measure = body["measure"]
    shown = f"{amount * 100:g}%" if relative else f"{amount:g}"
    title = _typed(where, body, "title", str, "a string",
                   default=f"{measure} {direction}s by at most {shown} from the last GO")
    return Limit(lid, measure, criterion, direction, float(amount), relative, blocking, title, tuple(rollback))


def _waiver(path: Path, index: int, body: Any, criteria: Collection[str]) -> Waiver:
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
            f"{where} criterion {criterion!r} is not declared; add [criteria.{criterion}] (or [limits.{criterion}]) "
            "or fix the id"
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
