"""The pure, fail-closed fold of test outcomes into one GO / NO-GO verdict."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from gonogo.runbook import STAGES, Criterion, Waiver

SCHEMA = "gonogo.verdict/1"

EXIT_GO = 0
EXIT_NO_GO = 1
EXIT_USAGE = 4
EXIT_ROLLBACK_FAILED = 6

# Reasons that belong to the whole session, not to one criterion; `merge` carries them over.
SESSION_REASON_PREFIXES = ("session interrupted", "collection error", "worker crashed", "no blocking")


class Status(str, enum.Enum):
    """The status of a criterion (and the outcome of one test, minus WAIVED and MISSING)."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    MISSING = "missing"
    WAIVED = "waived"


# When tests of one criterion disagree, the worst wins, in this order.
_SEVERITY = (Status.FAILED, Status.ERROR, Status.SKIPPED, Status.MISSING)


@dataclass(frozen=True)
class TestRecord:
    """The final outcome of one test, folded over its setup, call and teardown."""

    nodeid: str
    criterion: str
    outcome: Status
    duration_s: float = 0.0
    message: str = ""
    evidence: tuple[Mapping[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "nodeid": self.nodeid,
            "outcome": self.outcome.value,
            "duration_s": round(self.duration_s, 3),
            "message": self.message,
            "evidence": [dict(e) for e in self.evidence],
        }


@dataclass(frozen=True)
class WaiverState:
    """A waiver as the fold sees it: the waiver and whether it is still current."""

    waiver: Waiver
    current: bool


@dataclass(frozen=True)
class CriterionResult:
    """A criterion, its tests, its status and what it was before a waiver applied."""

    criterion: Criterion
    status: Status
    underlying: Status
    tests: tuple[TestRecord, ...]
    waiver: WaiverState | None = None

    @property
    def ok(self) -> bool:
        return self.status in (Status.PASSED, Status.WAIVED)

    @property
    def duration_s(self) -> float:
        return sum(t.duration_s for t in self.tests)

    def to_json(self) -> dict[str, Any]:
        c = self.criterion
        waiver = None
        if self.waiver is not None:
            w = self.waiver.waiver
            waiver = {"reason": w.reason, "approved_by": w.approved_by,
                      "expires": w.expires.isoformat(), "expired": not self.waiver.current}
        return {
            "id": c.id, "title": c.title, "stage": c.stage, "blocking": c.blocking,
            "status": self.status.value, "underlying": self.underlying.value,
            "go_no_go": c.go_no_go, "rollback": list(c.rollback), "waiver": waiver,
            "tests": [t.to_json() for t in self.tests],
        }


@dataclass(frozen=True)
class Verdict:
    """The verdict of one run: GO only when every blocking criterion in scope was proven."""

    go: bool
    stages: tuple[str, ...]
    criteria: tuple[CriterionResult, ...]
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    target: str | None = None
    started_at: str = ""
    finished_at: str = ""

    @property
    def word(self) -> str:
        return "GO" if self.go else "NO-GO"

    @property
    def exit_code(self) -> int:
        return EXIT_GO if self.go else EXIT_NO_GO

    def not_proven(self) -> tuple[CriterionResult, ...]:
        """Blocking criteria that stand in the way of GO."""
        return tuple(r for r in self.criteria if r.criterion.blocking and not r.ok)

    def to_json(self, rollback: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return {
            "schema": SCHEMA, "verdict": self.word, "target": self.target,
            "stages": list(self.stages), "started_at": self.started_at,
            "finished_at": self.finished_at, "reasons": list(self.reasons),
            "criteria": [r.to_json() for r in self.criteria], "warnings": list(self.warnings),
            "rollback": dict(rollback) if rollback is not None else
            {"mode": "off", "triggered": False, "scopes": [], "actions": []},
        }


def status_of(tests: Iterable[TestRecord]) -> Status:
    """The status a criterion earns from its tests (before waivers)."""
    outcomes = {t.outcome for t in tests}
    for worst in _SEVERITY:
        if worst in outcomes:
            return worst
    # At least one test, and every one of them passed: only then is it proven.
    return Status.PASSED if outcomes else Status.MISSING


def fold(
    criteria: Iterable[Criterion],
    records: Iterable[TestRecord],
    *,
    selected_stages: Iterable[str],
    waivers: Mapping[str, WaiverState] | None = None,
    session_problems: Iterable[str] = (),
    extra_warnings: Iterable[str] = (),
    target: str | None = None,
    started_at: str = "",
    finished_at: str = "",
) -> Verdict:
    """Fold test records into a verdict (see DESIGN.md, "The plugin contract")."""
    waivers = waivers or {}
    by_criterion: dict[str, list[TestRecord]] = {}
    for record in records:
        by_criterion.setdefault(record.criterion, []).append(record)
    criteria = list(criteria)
    # A stage whose criterion actually ran is in scope even if the -m expression hid it from us.
    ran_stages = {c.stage for c in criteria if c.id in by_criterion}
    stages = tuple(s for s in STAGES if s in set(selected_stages) | ran_stages)
    results: list[CriterionResult] = []
    reasons: list[str] = list(session_problems)
    warnings: list[str] = []
    for c in criteria:
        if c.stage not in stages:
            continue
        tests = tuple(by_criterion.get(c.id, ()))
        underlying = status_of(tests)
        state = waivers.get(c.id)
        status = underlying
        if state is not None and not state.current:
            warnings.append(f"waiver for {c.id} expired on {state.waiver.expires.isoformat()} "
                            f"(approved by {state.waiver.approved_by}): ignored")
        if underlying is not Status.PASSED and state is not None and state.current:
            status = Status.WAIVED
            warnings.append(f"{c.id} {underlying.value} but waived until {state.waiver.expires.isoformat()} "
                            f"by {state.waiver.approved_by}: {state.waiver.reason}")
        result = CriterionResult(c, status, underlying, tests, state)
        results.append(result)
        if not result.ok:
            line = _explain(result)
            (reasons if c.blocking else warnings).append(line if c.blocking else f"advisory {line}")
    warnings.extend(extra_warnings)
    if not any(r.criterion.blocking for r in results):
        reasons.append("no blocking criterion in scope: nothing was proven")
    return Verdict(not reasons, stages, tuple(results), tuple(reasons), tuple(warnings),
                   target, started_at, finished_at)


def _explain(result: CriterionResult) -> str:
    c = result.criterion
    if result.status is Status.MISSING:
        return f"{c.id} missing: no test of it ran"
    bad = [t for t in result.tests if t.outcome is result.status]
    first = bad[0]
    more = f" (+{len(bad) - 1} more)" if len(bad) > 1 else ""
    expired = ""
    if result.waiver is not None and not result.waiver.current:
        expired = f" (waiver expired {result.waiver.waiver.expires.isoformat()})"
    detail = f": {first.message}" if first.message else ""
    return f"{c.id} {result.status.value}: {first.nodeid}{detail}{more}{expired}"
