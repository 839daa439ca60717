"""The numbers a run measures, the last GO's values of them, and the runbook's limits on the difference."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gonogo.findings import Status
from gonogo.runbook import Criterion, Limit

# A float's noise must not cross a limit that the numbers only touch (1.0 - 0.98 is 0.020000000000000018).
_EPSILON = 1e-9


@dataclass(frozen=True)
class Measure:
    """One number of this run (`evidence.measure`), with the criterion and the test that recorded it."""

    name: str
    value: float
    unit: str = ""
    better: str = "higher"
    criterion: str = ""
    stage: str = ""
    test: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "unit": self.unit, "better": self.better, "criterion": self.criterion,
                "stage": self.stage, "test": self.test}

    @classmethod
    def from_json(cls, name: str, data: Mapping[str, Any]) -> Measure:
        return cls(name, float(data["value"]), str(data.get("unit", "")), str(data.get("better", "higher")),
                   str(data.get("criterion", "")), str(data.get("stage", "")), str(data.get("test", "")))


@dataclass(frozen=True)
class Baseline:
    """A measure's value in the last GO run on the same target that recorded it, and which run that was."""

    value: float
    unit: str = ""
    started_at: str = ""
    finished_at: str = ""
    stages: tuple[str, ...] = ()
    source: str = ""  # the kept verdict it was read from (a file name in the history directory, or a path)

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "unit": self.unit, "started_at": self.started_at,
                "finished_at": self.finished_at, "stages": list(self.stages), "source": self.source}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Baseline:
        return cls(float(data["value"]), str(data.get("unit", "")), str(data.get("started_at", "")),
                   str(data.get("finished_at", "")), tuple(str(s) for s in data.get("stages", ())),
                   str(data.get("source", "")))


@dataclass(frozen=True)
class Comparison:
    """What this run was compared with: the target, the last GO's values, the limits judged (verdict.json)."""

    target: str | None
    baselines: Mapping[str, Baseline] = field(default_factory=dict, hash=False)
    limits: tuple[Limit, ...] = ()
    forced: str = ""  # --gonogo-baseline: the verdict the operator named instead of the last GO

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "forced": self.forced or None,
                "baselines": {name: b.to_json() for name, b in self.baselines.items()},
                "limits": [limit.to_json() for limit in self.limits]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Comparison:
        return cls(data.get("target"), {str(k): Baseline.from_json(v) for k, v in data.get("baselines", {}).items()},
                   tuple(Limit.from_json(x) for x in data.get("limits", ())), str(data.get("forced") or ""))


def measures_of(data: Mapping[str, Any] | None) -> dict[str, Measure]:
    """The `measures` object of a verdict.json, typed."""
    return {str(name): Measure.from_json(str(name), body) for name, body in (data or {}).items()}


def collect(tests: Iterable[tuple[str, str, str, Iterable[Mapping[str, Any]]]]) -> dict[str, Measure]:
    """The run's measures from the tests' evidence: (nodeid, criterion, stage, records) in report order."""
    found: dict[str, Measure] = {}
    for nodeid, criterion, stage, records in tests:
        for record in records:
            if record.get("kind") == "measure":
                name = str(record["name"])
                found.pop(name, None)  # the last one recorded wins, in the order of the run
                found[name] = Measure(name, float(record["value"]), str(record.get("unit", "")),
                                      str(record.get("better", "higher")), criterion, stage, nodeid)
    return found


def number(value: float) -> str:
    """A number as people read it: 0.95, 12.5, 1,500,000,000."""
    if float(value).is_integer() and abs(value) >= 1e6:
        return f"{value:,.0f}"
    return f"{value:.6g}"


def difference(value: float, base: float, better: str) -> str:
    """`-0.05 (-5%, worse)`: the change from the last GO, relative where it can be, and which way it went."""
    diff = value - base
    if abs(diff) <= _EPSILON:
        return "0 (same)"
    relative = f"{diff / abs(base) * 100:+.3g}%, " if base else ""
    improved = (diff > 0) == (better == "higher")
    return f"{'+' if diff > 0 else '-'}{number(abs(diff))} ({relative}{'better' if improved else 'worse'})"


def no_previous_go(target: str | None) -> str:
    """What a comparison says when there is nothing to compare with (never a failure)."""
    return f"no previous GO on {target or '(no target)'}"


def limit_criterion(limit: Limit, stage: str) -> Criterion:
    """A limit as the fold sees it: a criterion of its measure's stage, advisory unless the runbook says so."""
    return Criterion(limit.id, limit.title, stage, limit.blocking, None, limit.rollback)


def judge(limit: Limit, measure: Measure | None, baseline: Baseline | None, target: str | None) -> tuple[Status, str]:
    """A limit's status and its sentence, with both numbers and the difference.

    Not measured in this run: missing (fail-closed); no previous GO: passed, and said so (never a failure).
    """
    name = limit.measure
    if measure is None:
        return Status.MISSING, f"{name} was not recorded in this run (by a test of {limit.criterion})"
    unit = f" {measure.unit}" if measure.unit else ""
    if baseline is None:
        return Status.PASSED, (f"{no_previous_go(target)} holding {name}: {number(measure.value)}{unit} "
                               "is not compared")
    diff = measure.value - baseline.value
    moved = -diff if limit.direction == "drop" else diff
    allowed = limit.max * abs(baseline.value) if limit.relative else limit.max
    crossed = moved > allowed + _EPSILON
    return (Status.FAILED if crossed else Status.PASSED,
            f"{name} {number(measure.value)}{unit} vs {number(baseline.value)} on the last GO "
            f"({baseline.finished_at or baseline.source}): {difference(measure.value, baseline.value, measure.better)}"
            f", {'more than' if crossed else 'within'} the limit {limit.bound}")


def evaluate(limits: Iterable[Limit], stage_of: Mapping[str, str], measures: Mapping[str, Measure],
             baselines: Mapping[str, Baseline], in_scope: Iterable[str],
             target: str | None) -> list[tuple[Criterion, Status, str]]:
    """Each limit whose stage is in scope, as a criterion with its status and sentence (see `judge`).

    A limit out of scope says nothing, as a criterion of a stage that did not run.
    """
    scope = set(in_scope)
    judged = []
    for limit in limits:
        stage = stage_of.get(limit.criterion, "")
        if stage in scope:
            status, message = judge(limit, measures.get(limit.measure), baselines.get(limit.measure), target)
            judged.append((limit_criterion(limit, stage), status, message))
    return judged
