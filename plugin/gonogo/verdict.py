"""The pure, fail-closed fold of test outcomes into one verdict, with typed reasons and warnings."""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

# Status and Outcome are part of this module's interface too (`from gonogo.verdict import Status`).
from gonogo.findings import Outcome, Reason, ReasonKind, Status, VerdictWarning, WarningKind, demanded_by, worst
from gonogo.runbook import STAGES, Criterion, Waiver

if TYPE_CHECKING:
    # Imported where a verdict has measures (gonogo.compare, from_json): a run that measures nothing never loads them.
    from gonogo.measures import Comparison, Measure

# /2: the INCONCLUSIVE word and status, a rollback's `withheld` and its actions' `not_run`.
SCHEMA = "gonogo.verdict/2"
# What `merge` and `Verdict.from_json` read: a /1 file is folded again with this version's rules.
READABLE_SCHEMAS = ("gonogo.verdict/1", SCHEMA)
SCHEMA_FAMILY = "gonogo.verdict/"


def is_verdict_file(data: object) -> bool:
    """Whether parsed JSON is a verdict.json gonogo wrote (any version: readers that only look, such as the
    history and the MCP server, take it; `merge`, which folds it again, takes READABLE_SCHEMAS only)."""
    return isinstance(data, dict) and str(data.get("schema", "")).startswith(SCHEMA_FAMILY)


EXIT_GO = 0
EXIT_NO_GO = 1
EXIT_USAGE = 4
EXIT_ROLLBACK_FAILED = 6
EXIT_INCONCLUSIVE = 7
# One exit code per verdict word.
EXIT_CODES: Mapping[Outcome, int] = {Outcome.GO: EXIT_GO, Outcome.NO_GO: EXIT_NO_GO,
                                     Outcome.INCONCLUSIVE: EXIT_INCONCLUSIVE}

# When tests of one criterion disagree, the worst wins, in this order.
SEVERITY = (Status.FAILED, Status.ERROR, Status.INCONCLUSIVE, Status.SKIPPED, Status.MISSING)

_DURATION = operator.attrgetter("duration_s")


# Made from real types, not this module's string annotations: typing.NamedTuple compiles a string annotation per
# field at import. The defaults are TestRecord.__new__'s.
_TestRecordFields = NamedTuple("_TestRecordFields", [("nodeid", str), ("criterion", str), ("outcome", Status),  # noqa: UP014
                                                     ("duration_s", float), ("message", str),
                                                     ("evidence", tuple[Mapping[str, Any], ...])])


class TestRecord(_TestRecordFields):
    """The final outcome of one test, folded over its setup, call and teardown.

    A named tuple, not a frozen dataclass: a run makes one per test, and a dataclass's frozen fields cost an
    `object.__setattr__` call each.
    """

    __slots__ = ()

    def __new__(cls, nodeid: str, criterion: str, outcome: Status, duration_s: float = 0.0, message: str = "",
                evidence: tuple[Mapping[str, Any], ...] = ()) -> TestRecord:
        # To the millisecond, as verdict.json keeps it: a verdict read back from the file is the same value,
        # down to the time each output shows.
        return tuple.__new__(cls, (nodeid, criterion, outcome, round(duration_s, 3), message, evidence))

    def to_json(self) -> dict[str, Any]:
        return {
            "nodeid": self.nodeid,
            "outcome": self.outcome._value_,  # the member's own attribute: `.value` is a descriptor call
            "duration_s": self.duration_s,
            "message": self.message,
            "evidence": [dict(e) for e in self.evidence] if self.evidence else [],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], criterion: str) -> TestRecord:
        return cls(data["nodeid"], criterion, Status(data["outcome"]), float(data.get("duration_s", 0)),
                   data.get("message", ""), tuple(data.get("evidence", ())))


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
    def demands(self) -> Outcome:
        """The word this criterion asks for on its own: GO when proven, waived or advisory."""
        return Outcome.GO if self.ok or not self.criterion.blocking else demanded_by(self.status)

    @property
    def duration_s(self) -> float:
        return sum(map(_DURATION, self.tests))  # map, not a generator: a criterion can hold thousands of tests

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

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CriterionResult:
        cid = data["id"]
        criterion = Criterion(cid, data.get("title", cid), data["stage"], bool(data.get("blocking", True)),
                              data.get("go_no_go"), tuple(data.get("rollback", ())))
        w = data.get("waiver")
        state = None
        if w:
            state = WaiverState(Waiver(cid, w["reason"], w["approved_by"], dt.date.fromisoformat(w["expires"])),
                                not w.get("expired"))
        status = Status(data["status"])
        return cls(criterion, status, Status(data.get("underlying", status)),
                   tuple(TestRecord.from_json(t, cid) for t in data.get("tests", ())), state)


@dataclass(frozen=True)
class Verdict:
    """The verdict of one run: GO only when every blocking criterion in scope was proven."""

    outcome: Outcome
    stages: tuple[str, ...]
    criteria: tuple[CriterionResult, ...]
    reasons: tuple[Reason, ...] = ()
    warnings: tuple[VerdictWarning, ...] = ()
    target: str | None = None
    started_at: str = ""
    finished_at: str = ""
    # The numbers this run measured (by name) and what they were compared with; the runbook's limits on them
    # are among `criteria`. Written to verdict.json only when the run has some.
    measures: Mapping[str, Measure] = field(default_factory=dict, hash=False)
    comparison: Comparison | None = None

    @property
    def go(self) -> bool:
        return self.outcome is Outcome.GO

    @property
    def word(self) -> str:
        return self.outcome.value

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.outcome]

    def not_proven(self) -> tuple[CriterionResult, ...]:
        """Blocking criteria that stand in the way of GO."""
        return tuple(r for r in self.criteria if r.criterion.blocking and not r.ok)

    def to_json(self, rollback: Mapping[str, Any] | None = None,
                notifications: Iterable[Mapping[str, Any]] = ()) -> dict[str, Any]:
        # `reasons` and `warnings` stay lists of sentences for readers of the file; the *_details lists (same
        # order) carry the typed values that `from_json` and a merge read back. `notifications`: what became of
        # each destination of the end state (gonogo.notify.Delivery), never part of the verdict.
        data = {
            "schema": SCHEMA, "verdict": self.word, "target": self.target,
            "stages": list(self.stages), "started_at": self.started_at,
            "finished_at": self.finished_at, "reasons": [r.text for r in self.reasons],
            "reason_details": [r.to_json() for r in self.reasons],
            "criteria": [r.to_json() for r in self.criteria], "warnings": [w.text for w in self.warnings],
            "warning_details": [w.to_json() for w in self.warnings],
            "rollback": dict(rollback) if rollback is not None else
            {"mode": "off", "triggered": False, "scopes": [], "actions": []},
            "notifications": [dict(n) for n in notifications],
        }
        if self.measures or self.comparison is not None:
            # Added keys, no new meaning for an older reader: the limits are criteria like any other.
            data["measures"] = {name: m.to_json() for name, m in self.measures.items()}
            data["comparison"] = None if self.comparison is None else self.comparison.to_json()
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Verdict:
        """The typed verdict of a verdict.json (`rollback` is read by RollbackResult.from_json)."""
        results = tuple(CriterionResult.from_json(c) for c in data.get("criteria", ()))
        if "reason_details" in data:
            reasons = tuple(Reason.from_json(r) for r in data["reason_details"])
            warnings = tuple(VerdictWarning.from_json(w) for w in data.get("warning_details", ()))
        else:
            reasons, warnings = _from_sentences(data, results)
        measures: Mapping[str, Measure] = {}
        comparison: Comparison | None = None
        if data.get("measures") or data.get("comparison") is not None:
            from gonogo.measures import Comparison, measures_of

            measures = measures_of(data.get("measures"))
            if data.get("comparison") is not None:
                comparison = Comparison.from_json(data["comparison"])
        return cls(Outcome(data["verdict"]), tuple(data.get("stages", ())), results, reasons, warnings,
                   data.get("target"), data.get("started_at", ""), data.get("finished_at", ""), measures, comparison)


def _from_sentences(data: Mapping[str, Any],
                    results: tuple[CriterionResult, ...]) -> tuple[tuple[Reason, ...], tuple[VerdictWarning, ...]]:
    """Reasons and warnings of a file written before the *_details lists, read by position, not by wording.

    The fold writes the session's reasons first and the extra warnings last; what it derives from the
    criteria (in between) is derived again here from the file's criteria.
    """
    reasons, warnings = _derive(results)
    said, noted = list(data.get("reasons", ())), list(data.get("warnings", ()))
    session = said[:max(0, len(said) - len(reasons))]
    extra = noted[len(warnings):]
    return ((*(Reason(ReasonKind.SESSION_PROBLEM, message=str(t)) for t in session), *reasons),
            (*warnings, *(VerdictWarning(WarningKind.NOTE, message=str(t)) for t in extra)))


def status_of(tests: Iterable[TestRecord]) -> Status:
    """The status a criterion earns from its tests (before waivers)."""
    outcomes = {t.outcome for t in tests}
    if len(outcomes) > 1:
        # A `missing` record (a limit whose measure this run did not record) speaks only when nothing else does:
        # measured in one shard and not in another is measured.
        outcomes.discard(Status.MISSING)
    for status in SEVERITY:
        if status in outcomes:
            return status
    # At least one test, and every one of them passed: only then is it proven.
    return Status.PASSED if outcomes else Status.MISSING


def fold(
    criteria: Iterable[Criterion],
    records: Iterable[TestRecord],
    *,
    selected_stages: Iterable[str],
    waivers: Mapping[str, WaiverState] | None = None,
    session_problems: Iterable[Reason] = (),
    extra_warnings: Iterable[VerdictWarning] = (),
    target: str | None = None,
    started_at: str = "",
    finished_at: str = "",
    measures: Mapping[str, Measure] | None = None,
    comparison: Comparison | None = None,
) -> Verdict:
    """Fold test records into a verdict (the rules are in README.md, "Verdict rules")."""
    waivers = waivers or {}
    by_criterion: dict[str, list[TestRecord]] = {}
    for record in records:
        by_criterion.setdefault(record.criterion, []).append(record)
    criteria = list(criteria)
    # A stage whose criterion actually ran is in scope even if the -m expression hid it from us.
    ran_stages = {c.stage for c in criteria if c.id in by_criterion}
    stages = tuple(s for s in STAGES if s in set(selected_stages) | ran_stages)
    results: list[CriterionResult] = []
    for c in criteria:
        if c.stage not in stages:
            continue
        tests = tuple(by_criterion.get(c.id, ()))
        underlying = status_of(tests)
        state = waivers.get(c.id)
        waived = underlying is not Status.PASSED and state is not None and state.current
        results.append(CriterionResult(c, Status.WAIVED if waived else underlying, underlying, tests, state))
    derived_reasons, derived_warnings = _derive(results)
    reasons = (*session_problems, *derived_reasons)
    warnings = (*derived_warnings, *extra_warnings)
    return Verdict(worst(r.demands for r in reasons), stages, tuple(results), reasons, warnings, target, started_at,
                   finished_at, dict(measures or {}), comparison)


def _derive(results: Iterable[CriterionResult]) -> tuple[tuple[Reason, ...], tuple[VerdictWarning, ...]]:
    """What the criteria alone say: a reason per blocking criterion not proven, warnings for the rest."""
    reasons: list[Reason] = []
    warnings: list[VerdictWarning] = []
    blocking = False
    for result in results:
        c = result.criterion
        blocking = blocking or c.blocking
        state = result.waiver
        if state is not None and not state.current:
            warnings.append(VerdictWarning(WarningKind.WAIVER_EXPIRED, criterion=c.id, expires=state.waiver.expires,
                                           approved_by=state.waiver.approved_by))
        if result.status is Status.WAIVED and state is not None:
            warnings.append(VerdictWarning(WarningKind.WAIVER_APPLIED, criterion=c.id, status=result.underlying,
                                           message=state.waiver.reason, expires=state.waiver.expires,
                                           approved_by=state.waiver.approved_by))
        if result.ok:
            continue
        fields = _shortfall_fields(result)
        if c.blocking:
            reasons.append(Reason(ReasonKind.NOT_PROVEN, **fields))
        else:
            warnings.append(VerdictWarning(WarningKind.ADVISORY_NOT_PROVEN, **fields))
    if not blocking:
        reasons.append(Reason(ReasonKind.NO_BLOCKING))
    return tuple(reasons), tuple(warnings)


def _shortfall_fields(result: CriterionResult) -> dict[str, Any]:
    """A criterion that was not proven: its status, the first test with that status and how many more."""
    fields: dict[str, Any] = {"criterion": result.criterion.id, "status": result.status}
    bad = [t for t in result.tests if t.outcome is result.status]
    if result.status is Status.MISSING:
        # No test of it ran; or a record says why it is missing (a limit's measure was not recorded).
        return {**fields, "message": bad[0].message} if bad else fields
    fields.update(test=bad[0].nodeid, message=bad[0].message, more=len(bad) - 1)
    if result.waiver is not None and not result.waiver.current:
        fields["expires"] = result.waiver.waiver.expires
    return fields
