"""At the end of a run: the measures its tests recorded, the last GO's values of them, the runbook's limits judged.

Runs once, on the controller; the kept verdicts are read only when the run measured something.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gonogo.measures import Baseline, Comparison, Measure, collect, evaluate
from gonogo.runbook import Criterion, Runbook
from gonogo.settings import Settings
from gonogo.verdict import TestRecord


@dataclass(frozen=True)
class Compared:
    """What the fold adds for the comparison: the limits as criteria with one record each, and what they judged."""

    measures: Mapping[str, Measure] = field(default_factory=dict)
    comparison: Comparison | None = None
    criteria: tuple[Criterion, ...] = ()
    records: tuple[TestRecord, ...] = ()


def compare_run(runbook: Runbook, settings: Settings, tests: Iterable[tuple[str, str, Iterable[Mapping[str, Any]]]],
                records: Iterable[TestRecord], selected: Iterable[str], target: str | None) -> Compared:
    """`tests`: (nodeid, criterion, evidence) in report order; `records`: the tests' final outcomes."""
    stage_of = {cid: c.stage for cid, c in runbook.criteria.items()}
    measures = collect((nodeid, cid, stage_of.get(cid, ""), evidence) for nodeid, cid, evidence in tests)
    baselines: dict[str, Baseline] = {}
    forced = ""
    if measures:
        from gonogo import history  # only a run that measured something reads the kept verdicts

        if settings.baseline is not None:
            forced = str(settings.baseline)
            baselines = history.forced(settings.baseline, measures)
        elif settings.history_dir is not None:
            baselines = history.last_go(settings.history_dir, target, measures)
    # The stages the fold will judge: those selected, and those whose criteria ran.
    in_scope = {*selected, *(stage_of[r.criterion] for r in records if r.criterion in stage_of)}
    judged = evaluate(runbook.limits.values(), stage_of, measures, baselines, in_scope, target)
    if not measures and not judged:
        return Compared()
    return Compared(
        measures, Comparison(target, baselines, tuple(runbook.limits[c.id] for c, _, _ in judged), forced),
        tuple(c for c, _, _ in judged),
        tuple(TestRecord(f"[limits.{c.id}]", c.id, status, message=message) for c, status, message in judged))


def keep(settings: Settings, text: str, word: str, target: str | None) -> str | None:
    """Keep a copy of this run's verdict.json for the runs after it; a one-line problem, or None."""
    from gonogo import history

    assert settings.history_dir is not None
    try:
        history.keep(settings.history_dir, text, word, target)
    except OSError as exc:
        # The verdict stands; only the next run's comparison will lack it.
        return (f"gonogo: cannot keep the verdict in {settings.history_dir}: {exc.strerror}; "
                "fix --gonogo-history (ini gonogo_history)")
    return None
