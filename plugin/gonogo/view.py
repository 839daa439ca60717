"""One view of a verdict: the words, tones and rows that the terminal, summary.md and the HTML report show.

No `from __future__ import annotations` here: typing.NamedTuple compiles a string annotation for every field of
every row class at import (paid by every pytest run with gonogo installed); real annotations cost nothing.
"""

import datetime as dt
import enum
import operator
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from gonogo.rollback import ActionStatus, RollbackMode, RollbackResult
from gonogo.runbook import Limit, Waiver
from gonogo.verdict import CriterionResult, Outcome, Status, Verdict

if TYPE_CHECKING:
    # Loaded only by a run that measured something, or that sent its end state somewhere.
    from gonogo.measures import Baseline, Measure
    from gonogo.notify import Delivery


_OUTCOME = operator.attrgetter("outcome")
_EVIDENCE = operator.attrgetter("evidence")


class Tone(str, enum.Enum):
    """How a label looks; each output maps a tone to its own colour, icon or emphasis."""

    GOOD = "good"
    WARN = "warn"
    BAD = "bad"
    NEUTRAL = "neutral"


class _Word(NamedTuple):
    tone: Tone
    icon: str
    # What the rollback section says when none ran; None: the rollback mode and why it did not trigger.
    no_rollback: str | None


# One row per verdict word (with its exit code in verdict.py and the statuses that demand it in findings.py).
_WORDS = {
    Outcome.GO: _Word(Tone.GOOD, "🟢", "GO: nothing to roll back"),
    Outcome.NO_GO: _Word(Tone.BAD, "🔴", None),
    Outcome.INCONCLUSIVE: _Word(Tone.WARN, "🟡", "not run: the verdict is INCONCLUSIVE, no evidence against the "
                                "app (what we look through failed, or a criterion was not judged): hold, fix the "
                                "observation, re-run"),
}
_STATUS_ICON = {Status.PASSED: "✅", Status.WAIVED: "⚠️", Status.FAILED: "❌", Status.ERROR: "❌",
                Status.INCONCLUSIVE: "🟡", Status.SKIPPED: "⏭️", Status.MISSING: "❔"}
_ACTION_TONE = {ActionStatus.PLANNED: Tone.NEUTRAL, ActionStatus.DONE: Tone.GOOD, ActionStatus.FAILED: Tone.BAD,
                ActionStatus.NOT_RUN: Tone.WARN}
_DELIVERY_TONE = {"sent": Tone.GOOD, "failed": Tone.WARN}  # gonogo.notify's SENT and FAILED
ADVISORY = "(advisory)"
NOT_IN_RUN = "(not in this run)"
WAIVER_CURRENT, WAIVER_EXPIRED = "current", "EXPIRED (ignored)"
NO_ACTIONS = "no action was returned for these scopes"
NOT_MEASURED = "not measured"


@dataclass(frozen=True)
class Line:
    """A sentence and its tone: a reason, a warning, a status."""

    text: str
    tone: Tone


class CriterionRow(NamedTuple):
    id: str
    advisory: str  # ADVISORY for a criterion that never blocks, else ""
    title: str
    stage: str
    go_no_go: str
    status: Line  # "failed"; "waived (missing)" keeps the status under a waiver
    icon: str
    blocks: bool  # a blocking criterion that stands in the way of GO (its status's tone says how)
    tests: str  # "1 failed, 2 passed" or "none ran"
    evidence: str
    time: str

    @property
    def label(self) -> str:
        return f"{self.id} {self.advisory}".rstrip()


class WaiverRow(NamedTuple):
    criterion: str
    scope: str  # NOT_IN_RUN when its criterion was not judged in this run, else ""
    reason: str
    approved_by: str
    expires: str
    state: Line


class ActionRow(NamedTuple):
    name: str
    status: Line
    detail: str


class RollbackView(NamedTuple):
    title: str  # "rollback (plan)", or "rollback" when none was asked for
    # "scopes backend, 1 action(s)", "GO: nothing to roll back", "not triggered (...)", "not run: ...; would roll
    # back scopes backend, 1 action(s)"
    summary: str
    actions: tuple[ActionRow, ...] = ()
    empty: str = ""  # NO_ACTIONS when asked for and the hook returned nothing

    @property
    def headline(self) -> str:
        return f"{self.title}: {self.summary}"

    def lines(self) -> tuple[str, ...]:
        """As plain lines (a notification's): the headline, then `status: action: detail` per action."""
        actions = tuple(f"{a.status.text}: {a.name}" + (f": {a.detail}" if a.detail else "") for a in self.actions)
        return (self.headline, *((self.empty,) if self.empty else ()), *actions)


@dataclass(frozen=True)
class ComparisonRow:
    """One measure of this run against the last GO, and a limit on it (one row per limit)."""

    measure: str
    unit: str
    this_run: str  # "0.95", or NOT_MEASURED
    last_go: str  # "1", or "" without a previous GO holding it
    when: str  # the last GO's finished_at and the kept verdict it came from
    difference: str  # "-0.05 (-5%, worse)"
    limit: str  # "persona-pass-rate-drop: drop <= 0.02, blocking", or ""
    outcome: Line  # the limit's status ("failed", "passed (advisory)"), or an empty neutral line


@dataclass(frozen=True)
class ComparisonView:
    heading: str  # "compared with the last GO on sandbox"
    note: str  # "no previous GO on sandbox" when nothing of this run was compared, else ""
    rows: tuple[ComparisonRow, ...]


class VerdictView(NamedTuple):
    """Everything an output shows, worded once; renderers only lay it out."""

    word: str
    tone: Tone
    icon: str
    target: str | None
    scope: tuple[str, ...]  # "target sandbox", "stages smoke", "2 criteria, 1 blocking not proven"
    times: str  # "started → finished"
    reasons_heading: str  # "NO-GO because"
    reasons: tuple[Line, ...]
    warnings: tuple[Line, ...]
    criteria: tuple[CriterionRow, ...]
    waivers: tuple[WaiverRow, ...]
    rollback: RollbackView | None
    # Where the end state was sent (`sent ...`, `failed ...: why`, `skipped ...`): never part of the verdict.
    notifications: tuple[Line, ...] = ()
    comparison: ComparisonView | None = None  # None: the run measured nothing and judged no limit

    @property
    def end_state(self) -> str:
        """The verdict and what the rollback did, as a notification's headline: `NO-GO, rolled back`."""
        return end_state(self.word, self.rollback)

    @classmethod
    def of(cls, verdict: Verdict, rollback: RollbackResult | None = None, waivers: Iterable[Waiver] = (),
           today: dt.date | None = None, notifications: Iterable["Delivery"] = ()) -> "VerdictView":
        """The view of a verdict, its rollback (None: no rollback section), the runbook's waivers and where the
        end state was sent."""
        word = _WORDS[verdict.outcome]
        today = today or dt.datetime.now(dt.UTC).date()
        target = [f"target {verdict.target}"] if verdict.target else []
        scope = (*target, f"stages {', '.join(verdict.stages) or 'none'}",
                 f"{len(verdict.criteria)} criteria, {len(verdict.not_proven())} blocking not proven")
        in_scope = {r.criterion.id for r in verdict.criteria}
        return cls(
            word=verdict.word, tone=word.tone, icon=word.icon, target=verdict.target, scope=scope,
            times=f"{verdict.started_at} → {verdict.finished_at}", reasons_heading=f"{verdict.word} because",
            reasons=tuple(Line(r.text, _WORDS[r.demands].tone) for r in verdict.reasons),
            warnings=tuple(Line(w.text, Tone.WARN) for w in verdict.warnings),
            criteria=tuple(_row(r) for r in verdict.criteria),
            waivers=tuple(_waiver(w, today, in_scope) for w in waivers),
            rollback=None if rollback is None else rollback_view(verdict.outcome, rollback),
            notifications=tuple(Line(d.text, _DELIVERY_TONE.get(d.status, Tone.NEUTRAL)) for d in notifications),
            comparison=_comparison(verdict) if verdict.measures or verdict.comparison else None,
        )


def _tone(result: CriterionResult) -> Tone:
    if result.status is Status.PASSED:
        return Tone.GOOD
    if result.status is Status.WAIVED or not result.criterion.blocking:
        return Tone.WARN
    return _WORDS[result.demands].tone


def _row(result: CriterionResult) -> CriterionRow:
    c = result.criterion
    status = result.status.value
    if result.status is not result.underlying:
        status += f" ({result.underlying.value})"
    counts = Counter(map(_OUTCOME, result.tests))  # map, not a generator: one row can hold thousands of tests
    tests = ", ".join(f"{counts[s]} {s.value}" for s in Status if counts[s]) or "none ran"
    return CriterionRow(
        id=c.id, advisory="" if c.blocking else ADVISORY, title=c.title, stage=c.stage,
        go_no_go="" if c.go_no_go is None else str(c.go_no_go), status=Line(status, _tone(result)),
        icon=_STATUS_ICON[result.status], blocks=c.blocking and not result.ok, tests=tests,
        evidence=str(sum(map(len, map(_EVIDENCE, result.tests)))), time=f"{result.duration_s:.2f} s",
    )


def _waiver(waiver: Waiver, today: dt.date, in_scope: set[str]) -> WaiverRow:
    state = Line(WAIVER_CURRENT, Tone.NEUTRAL) if waiver.is_current(today) else Line(WAIVER_EXPIRED, Tone.BAD)
    return WaiverRow(waiver.criterion, "" if waiver.criterion in in_scope else NOT_IN_RUN, waiver.reason,
                     waiver.approved_by, waiver.expires.isoformat(), state)


def rollback_view(outcome: Outcome, rollback: RollbackResult) -> RollbackView:
    """The rollback section of a verdict with this word (a release words a stage's rollback with it too)."""
    mode = rollback.mode.value
    why = _WORDS[outcome].no_rollback
    if not (rollback.triggered or rollback.withheld):
        if why is None:
            why = ("not triggered (mode off)" if rollback.mode is RollbackMode.OFF else
                   f"not triggered (mode {mode}; predeploy only, or no failed criterion names a scope)")
        return RollbackView("rollback", why)
    actions = tuple(ActionRow(a.name, Line(a.status.value, _ACTION_TONE[a.status]), a.detail)
                    for a in rollback.actions)
    scopes = f"scopes {', '.join(rollback.scopes) or 'none'}, {len(actions)} action(s)"
    empty = "" if actions else NO_ACTIONS
    if not rollback.triggered:
        # Listed, never run (INCONCLUSIVE): what would be rolled back, and why it was not.
        return RollbackView(f"rollback ({mode})", f"{why or 'not run'}; would roll back {scopes}", actions, empty)
    return RollbackView(f"rollback ({mode})", scopes, actions, empty)


def end_state(word: str, rollback: RollbackView | None) -> str:
    """`GO`, `INCONCLUSIVE`, `NO-GO`, or a NO-GO with what its rollback did: planned, rolled back, FAILED."""
    if word != Outcome.NO_GO.value or rollback is None or not rollback.actions or rollback.title == "rollback":
        return word
    statuses = {a.status.text for a in rollback.actions}
    if ActionStatus.FAILED.value in statuses:
        return f"{word}, rollback FAILED"
    if statuses == {ActionStatus.DONE.value}:
        return f"{word}, rolled back"
    if ActionStatus.PLANNED.value in statuses:
        return f"{word}, rollback planned"
    return word


def _comparison(verdict: Verdict) -> ComparisonView:
    from gonogo.measures import no_previous_go

    comparison = verdict.comparison
    target = comparison.target if comparison is not None else verdict.target
    baselines = comparison.baselines if comparison is not None else {}
    limits = comparison.limits if comparison is not None else ()
    results = {r.criterion.id: r for r in verdict.criteria}
    rows: list[ComparisonRow] = []
    names = [*verdict.measures, *(x.measure for x in limits if x.measure not in verdict.measures)]
    for name in dict.fromkeys(names):
        measure = verdict.measures.get(name)
        base = baselines.get(name)
        mine = [x for x in limits if x.measure == name] or [None]
        for limit in mine:
            rows.append(_comparison_row(name, measure, base, limit, results.get(limit.id) if limit else None))
    if comparison is not None and comparison.forced:
        heading = f"compared with {comparison.forced} (--gonogo-baseline)"
    else:
        heading = f"compared with the last GO on {target or '(no target)'}"
    note = "" if baselines else f"{no_previous_go(target)}: nothing to compare with"
    return ComparisonView(heading, note, tuple(rows))


def _comparison_row(name: str, measure: "Measure | None", base: "Baseline | None", limit: Limit | None,
                    result: CriterionResult | None) -> ComparisonRow:
    from gonogo.measures import difference, number

    unit = measure.unit if measure is not None else (base.unit if base is not None else "")
    when = ""
    if base is not None:
        when = ", ".join(x for x in (base.finished_at, base.source) if x)
    diff = ""
    if measure is not None and base is not None:
        diff = difference(measure.value, base.value, measure.better)
    outcome = Line("", Tone.NEUTRAL)
    bound = ""
    if limit is not None:
        bound = f"{limit.id}: {limit.bound}, {'blocking' if limit.blocking else 'advisory'}"
        if result is not None:
            text = result.status.value if result.status is result.underlying else \
                f"{result.status.value} ({result.underlying.value})"
            outcome = Line(text, _tone(result))
    return ComparisonRow(name, unit, NOT_MEASURED if measure is None else number(measure.value),
                         "" if base is None else number(base.value), when, diff, bound, outcome)
