"""What a verdict says: the status of a criterion, the verdict's word, and typed reasons and warnings."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any


class Status(str, enum.Enum):
    """The status of a criterion (and the outcome of one test, minus WAIVED; MISSING only for a limit whose
    measure the run did not record)."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    # What the test depends on to observe failed (a provider it reads through), not what it judges.
    INCONCLUSIVE = "inconclusive"
    SKIPPED = "skipped"
    MISSING = "missing"
    WAIVED = "waived"


class Outcome(str, enum.Enum):
    """The verdict's word."""

    GO = "GO"
    NO_GO = "NO-GO"
    # Not proven either way: what we look through failed, or nothing was judged. Never GO, never a rollback.
    INCONCLUSIVE = "INCONCLUSIVE"


# Worst first: the verdict is the worst word any reason demands, GO when there is no reason.
_OUTCOME_SEVERITY = (Outcome.NO_GO, Outcome.INCONCLUSIVE, Outcome.GO)
# The word a blocking criterion that was not proven demands, by its status: only evidence against the app
# (a failure, an error) is NO-GO; a criterion that could not be observed or did not run is INCONCLUSIVE.
_DEMANDED_BY = {Status.FAILED: Outcome.NO_GO, Status.ERROR: Outcome.NO_GO, Status.INCONCLUSIVE: Outcome.INCONCLUSIVE,
                Status.SKIPPED: Outcome.INCONCLUSIVE, Status.MISSING: Outcome.INCONCLUSIVE}


def demanded_by(status: Status) -> Outcome:
    """The word a blocking criterion with this status (not passed, not waived) demands."""
    return _DEMANDED_BY[status]


def worst(outcomes: Iterable[Outcome]) -> Outcome:
    """The verdict that a set of demands adds up to: GO only when nothing demands another word."""
    demanded = set(outcomes)
    return next((o for o in _OUTCOME_SEVERITY if o in demanded), Outcome.GO)


class ReasonKind(str, enum.Enum):
    """Why a run is not GO."""

    NOT_PROVEN = "not_proven"  # a blocking criterion: criterion, status, test, message, more, expires
    INTERRUPTED = "interrupted"  # the session stopped early: message (why)
    COLLECTION_ERROR = "collection_error"  # test (the collector's node id), message (its last line)
    WORKER_CRASHED = "worker_crashed"  # test (running when the xdist worker died), message
    SESSION_PROBLEM = "session_problem"  # any other problem of the session: message (as recorded)
    NO_BLOCKING = "no_blocking"  # no blocking criterion was in scope


# The word each reason of the session demands (NOT_PROVEN's depends on the criterion's status): a run that
# stopped early or judged nothing is INCONCLUSIVE; a crashed worker, or a problem known only as text (an
# older file's), stays NO-GO.
_SESSION_DEMANDS = {ReasonKind.INTERRUPTED: Outcome.INCONCLUSIVE, ReasonKind.COLLECTION_ERROR: Outcome.INCONCLUSIVE,
                    ReasonKind.NO_BLOCKING: Outcome.INCONCLUSIVE, ReasonKind.WORKER_CRASHED: Outcome.NO_GO,
                    ReasonKind.SESSION_PROBLEM: Outcome.NO_GO}


class WarningKind(str, enum.Enum):
    """What a reader should know that does not change the verdict."""

    ADVISORY_NOT_PROVEN = "advisory_not_proven"  # criterion, status, test, message, more, expires
    WAIVER_APPLIED = "waiver_applied"  # criterion, status (underlying), message (the waiver's reason), ...
    WAIVER_EXPIRED = "waiver_expired"  # criterion, approved_by, expires
    UNMAPPED_FAILURES = "unmapped_failures"  # count
    TARGETS_DIFFER = "targets_differ"  # targets (of merged shards)
    HOOK_FAILED = "hook_failed"  # a project's hook raised: message (the hook and the exception type)
    NOTE = "note"  # a warning an older verdict.json kept only as text: message


# Derived from the criteria by the fold, so a merge derives them again rather than carrying them over.
_DERIVED_REASONS = frozenset({ReasonKind.NOT_PROVEN, ReasonKind.NO_BLOCKING})
_DERIVED_WARNINGS = frozenset({WarningKind.ADVISORY_NOT_PROVEN, WarningKind.WAIVER_APPLIED,
                               WarningKind.WAIVER_EXPIRED})


@dataclass(frozen=True)
class Reason:
    """One reason the verdict is not GO: its kind, the data it names, and its sentence (`text`)."""

    kind: ReasonKind
    criterion: str = ""
    status: Status | None = None
    test: str = ""
    message: str = ""
    more: int = 0  # further tests of the criterion with the same status
    expires: dt.date | None = None  # an expired waiver that no longer covers the criterion

    @property
    def text(self) -> str:
        return _REASON_TEXT[self.kind](self)

    def __str__(self) -> str:
        return self.text

    @property
    def demands(self) -> Outcome:
        if self.kind is ReasonKind.NOT_PROVEN and self.status is not None:
            return demanded_by(self.status)
        return _SESSION_DEMANDS.get(self.kind, Outcome.NO_GO)

    @property
    def derived(self) -> bool:
        """True when the fold derives it from the criteria (a merge derives it again)."""
        return self.kind in _DERIVED_REASONS

    def to_json(self) -> dict[str, Any]:
        return _details(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Reason:
        return _from_details(cls, ReasonKind, data)


@dataclass(frozen=True)
class VerdictWarning:
    """One warning of the verdict: its kind, the data it names, and its sentence (`text`)."""

    kind: WarningKind
    criterion: str = ""
    status: Status | None = None
    test: str = ""
    message: str = ""
    more: int = 0
    expires: dt.date | None = None
    approved_by: str = ""
    count: int = 0
    targets: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return _WARNING_TEXT[self.kind](self)

    def __str__(self) -> str:
        return self.text

    @property
    def derived(self) -> bool:
        """True when the fold derives it from the criteria (a merge derives it again)."""
        return self.kind in _DERIVED_WARNINGS

    def to_json(self) -> dict[str, Any]:
        return _details(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VerdictWarning:
        return _from_details(cls, WarningKind, data)


def _shortfall(f: Reason | VerdictWarning) -> str:
    assert f.status is not None
    if f.status is Status.MISSING:
        return f"{f.criterion} missing: {f.message or 'no test of it ran'}"
    detail = f": {f.message}" if f.message else ""
    more = f" (+{f.more} more)" if f.more else ""
    expired = f" (waiver expired {f.expires.isoformat()})" if f.expires else ""
    return f"{f.criterion} {f.status.value}: {f.test}{detail}{more}{expired}"


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


# The one place each kind is worded; verdict.json's `reasons` and `warnings`, the terminal, summary.md and
# the HTML report all show these sentences.
_REASON_TEXT: Mapping[ReasonKind, Callable[[Reason], str]] = {
    ReasonKind.NOT_PROVEN: _shortfall,
    ReasonKind.INTERRUPTED: lambda r: f"session interrupted: {r.message}",
    ReasonKind.COLLECTION_ERROR: lambda r: f"collection error: {r.test or '.'}: {r.message}",
    ReasonKind.WORKER_CRASHED: lambda r: f"worker crashed: {r.test}: {r.message}",
    ReasonKind.SESSION_PROBLEM: lambda r: r.message,
    ReasonKind.NO_BLOCKING: lambda r: "no blocking criterion in scope: nothing was proven",
}
_WARNING_TEXT: Mapping[WarningKind, Callable[[VerdictWarning], str]] = {
    WarningKind.ADVISORY_NOT_PROVEN: lambda w: f"advisory {_shortfall(w)}",
    WarningKind.WAIVER_APPLIED: lambda w: (f"{w.criterion} {w.status.value if w.status else ''} but waived until "
                                           f"{_date(w.expires)} by {w.approved_by}: {w.message}"),
    WarningKind.WAIVER_EXPIRED: lambda w: (f"waiver for {w.criterion} expired on {_date(w.expires)} "
                                           f"(approved by {w.approved_by}): ignored"),
    WarningKind.UNMAPPED_FAILURES: lambda w: f"{w.count} failure(s) outside any criterion (pytest's exit status kept)",
    WarningKind.TARGETS_DIFFER: lambda w: f"shards ran against different targets: {', '.join(w.targets)}",
    WarningKind.HOOK_FAILED: lambda w: f"{w.message}: the verdict does not depend on it",
    WarningKind.NOTE: lambda w: w.message,
}

_DECODE: Mapping[str, Callable[[Any], Any]] = {
    "status": Status, "expires": dt.date.fromisoformat, "more": int, "count": int,
    "targets": lambda v: tuple(str(t) for t in v),
}


def _details(value: Reason | VerdictWarning) -> dict[str, Any]:
    """The kind and every field that is not at its default, as plain JSON data."""
    data: dict[str, Any] = {"kind": value.kind.value}
    for f in dataclasses.fields(value)[1:]:
        v = getattr(value, f.name)
        if v == f.default:
            continue
        if isinstance(v, enum.Enum):
            v = v.value
        elif isinstance(v, dt.date):
            v = v.isoformat()
        elif isinstance(v, tuple):
            v = list(v)
        data[f.name] = v
    return data


def _from_details(cls: Any, kinds: type[enum.Enum], data: Mapping[str, Any]) -> Any:
    names = {f.name for f in dataclasses.fields(cls)} - {"kind"}
    # A kind this version does not know is a ValueError: the reader refuses the file, never guesses.
    return cls(kinds(data["kind"]), **{k: _DECODE.get(k, str)(v) for k, v in data.items() if k in names})
