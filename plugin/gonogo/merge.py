"""Fold the verdict.json files of sharded runs into one verdict, with the same rules."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gonogo.measures import Comparison
from gonogo.rollback import RollbackMode, RollbackResult
from gonogo.runbook import Criterion
from gonogo.verdict import (
    EXIT_USAGE,
    READABLE_SCHEMAS,
    Outcome,
    TestRecord,
    Verdict,
    VerdictWarning,
    WaiverState,
    WarningKind,
    fold,
)
from gonogo.view import VerdictView

Shard = tuple[Verdict, RollbackResult]


class MergeError(ValueError):
    """An input that is not a gonogo verdict; the message is one line naming the file and the fix."""


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MergeError(f"{path}: cannot read it ({exc.strerror}); fix the path") from None
    except json.JSONDecodeError as exc:
        raise MergeError(f"{path}: not JSON ({exc.msg} at line {exc.lineno}); pass a verdict.json") from None
    if not isinstance(data, dict) or data.get("schema") not in READABLE_SCHEMAS:
        raise MergeError(f"{path}: schema is not one of {', '.join(READABLE_SCHEMAS)}; pass a verdict.json "
                         "written by gonogo")
    return data


def read(data: dict[str, Any]) -> Shard:
    """The typed verdict and rollback of one verdict.json."""
    return Verdict.from_json(data), RollbackResult.from_json(data.get("rollback"))


def merge(shards: Sequence[Shard]) -> Shard:
    """One verdict from several: tests of a criterion are pooled, then folded again with the same rules.

    Always this version's rules: a gonogo.verdict/1 file's NO-GO that only had criteria missing or skipped
    (or an interrupted session, kept by kind) comes out INCONCLUSIVE.
    """
    verdicts = [v for v, _ in shards]
    criteria: dict[str, Criterion] = {}
    waivers: dict[str, WaiverState] = {}
    records: list[TestRecord] = []
    for verdict in verdicts:
        for result in verdict.criteria:
            cid = result.criterion.id
            criteria.setdefault(cid, result.criterion)
            records.extend(result.tests)
            # A waiver current in any shard counts as current.
            if result.waiver is not None and (cid not in waivers or result.waiver.current):
                waivers[cid] = result.waiver
    # What the fold derives from the criteria it derives again; what a session said is carried over.
    problems = [r for v in verdicts for r in v.reasons if not r.derived]
    targets = [v.target for v in verdicts if v.target]
    warnings: list[VerdictWarning] = []
    unmapped = 0
    for verdict in verdicts:
        for w in verdict.warnings:
            if w.kind is WarningKind.UNMAPPED_FAILURES:
                unmapped += w.count
            elif w.kind is WarningKind.TARGETS_DIFFER:
                targets.extend(w.targets)
            elif not w.derived:
                warnings.append(w)
    if unmapped:
        warnings.insert(0, VerdictWarning(WarningKind.UNMAPPED_FAILURES, count=unmapped))
    if len(set(targets)) > 1:
        warnings.append(VerdictWarning(WarningKind.TARGETS_DIFFER, targets=tuple(sorted(set(targets)))))
    merged = fold(
        criteria.values(), records, selected_stages={s for v in verdicts for s in v.stages}, waivers=waivers,
        measures={name: m for v in verdicts for name, m in v.measures.items()},
        comparison=_merge_comparisons([v.comparison for v in verdicts if v.comparison is not None]),
        session_problems=list(dict.fromkeys(problems)), extra_warnings=list(dict.fromkeys(warnings)),
        target=next((v.target for v in verdicts if v.target), None),
        started_at=min((v.started_at for v in verdicts if v.started_at), default=""),
        finished_at=max((v.finished_at for v in verdicts), default=""),
    )
    return merged, _merge_rollbacks([r for _, r in shards], merged.outcome)


def _merge_comparisons(comparisons: Sequence[Comparison]) -> Comparison | None:
    """What the shards were compared with: every measure's last GO, every limit judged (a later shard wins)."""
    if not comparisons:
        return None
    limits = {limit.id: limit for c in comparisons for limit in c.limits}
    return Comparison(comparisons[0].target, {k: b for c in comparisons for k, b in c.baselines.items()},
                      tuple(limits.values()), next((c.forced for c in comparisons if c.forced), ""))


def _merge_rollbacks(results: Sequence[RollbackResult], outcome: Outcome) -> RollbackResult:
    modes = {r.mode for r in results}
    mode = next((m for m in (RollbackMode.AUTO, RollbackMode.PLAN) if m in modes), RollbackMode.OFF)
    scopes = tuple(sorted({s for r in results for s in r.scopes}))
    # A shard's list of what it did not run stands only while the merged verdict is still inconclusive.
    withheld = outcome is Outcome.INCONCLUSIVE and any(r.withheld for r in results)
    return RollbackResult(mode, any(r.triggered for r in results), scopes, tuple(a for r in results for a in r.actions),
                          withheld)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gonogo",
        description="gonogo tools. Exit codes: 0 GO, 1 NO-GO, 4 usage error, 7 INCONCLUSIVE.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("merge", help="fold the verdict.json files of sharded runs into one")
    cmd.add_argument("inputs", nargs="+", type=Path, metavar="VERDICT.json")
    cmd.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.json")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else 0
    try:
        verdict, rollback = merge([read(_load(p)) for p in args.inputs])
    except MergeError as exc:
        print(f"gonogo merge: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (KeyError, ValueError, TypeError) as exc:
        print(f"gonogo merge: an input is not a valid verdict ({type(exc).__name__}: {exc}); "
              "pass files written by gonogo", file=sys.stderr)
        return EXIT_USAGE
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(verdict.to_json(rollback.to_json()), indent=2) + "\n", encoding="utf-8")
    view = VerdictView.of(verdict)
    print(f"{view.word}: {len(args.inputs)} verdicts merged into {args.output}")
    for reason in view.reasons:
        print(f"  {view.reasons_heading} {reason.text}")
    return verdict.exit_code
