"""Fold the verdict.json files of sharded runs into one verdict, with the same rules."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any, Sequence

from gonogo.runbook import Criterion, Waiver
from gonogo.verdict import (EXIT_USAGE, SCHEMA, SESSION_REASON_PREFIXES, Status, TestRecord, Verdict,
                            WaiverState, fold)


class MergeError(ValueError):
    """An input that is not a gonogo verdict; the message is one line naming the file and the fix."""


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MergeError(f"{path}: cannot read it ({exc.strerror}); fix the path") from None
    except json.JSONDecodeError as exc:
        raise MergeError(f"{path}: not JSON ({exc.msg} at line {exc.lineno}); pass a verdict.json") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise MergeError(f"{path}: schema is not {SCHEMA!r}; pass a verdict.json written by gonogo")
    return data


def merge(verdicts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One verdict.json from several: tests of a criterion are pooled, then folded again."""
    criteria: dict[str, Criterion] = {}
    waivers: dict[str, WaiverState] = {}
    records: list[TestRecord] = []
    stages: list[str] = []
    problems: list[str] = []
    warnings: list[str] = []
    targets: list[str] = []
    actions: list[dict[str, Any]] = []
    scopes: set[str] = set()
    modes: list[str] = []
    triggered = False
    for data in verdicts:
        stages.extend(data.get("stages", []))
        if data.get("target"):
            targets.append(data["target"])
        problems.extend(r for r in data.get("reasons", []) if r.startswith(SESSION_REASON_PREFIXES[:3]))
        rollback = data.get("rollback") or {}
        modes.append(rollback.get("mode", "off"))
        triggered = triggered or bool(rollback.get("triggered"))
        scopes.update(rollback.get("scopes", []))
        actions.extend(rollback.get("actions", []))
        for entry in data.get("criteria", []):
            cid = entry["id"]
            criteria.setdefault(cid, Criterion(cid, entry.get("title", cid), entry["stage"],
                                               bool(entry.get("blocking", True)), entry.get("go_no_go"),
                                               tuple(entry.get("rollback", ()))))
            w = entry.get("waiver")
            if w:
                state = WaiverState(Waiver(cid, w["reason"], w["approved_by"],
                                           dt.date.fromisoformat(w["expires"])), not w.get("expired"))
                # A waiver current in any shard counts as current.
                if cid not in waivers or state.current:
                    waivers[cid] = state
            for t in entry.get("tests", []):
                records.append(TestRecord(t["nodeid"], cid, Status(t["outcome"]), float(t.get("duration_s", 0)),
                                          t.get("message", ""), tuple(t.get("evidence", ()))))
        # The fold below says again what it derives from criteria; keep only the other warnings.
        warnings.extend(w for w in data.get("warnings", [])
                        if not w.startswith(("advisory ", "waiver for ")) and " but waived until " not in w)
    if len(set(targets)) > 1:
        warnings.append(f"shards ran against different targets: {', '.join(sorted(set(targets)))}")
    verdict: Verdict = fold(
        criteria.values(), records, selected_stages=stages, waivers=waivers,
        session_problems=list(dict.fromkeys(problems)), extra_warnings=list(dict.fromkeys(warnings)),
        target=targets[0] if targets else None,
        started_at=min((d.get("started_at", "") for d in verdicts), default=""),
        finished_at=max((d.get("finished_at", "") for d in verdicts), default=""),
    )
    mode = next((m for m in ("auto", "plan") if m in modes), "off")
    return verdict.to_json({"mode": mode, "triggered": triggered, "scopes": sorted(scopes), "actions": actions})


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gonogo",
        description="gonogo tools. Exit codes: 0 GO, 1 NO-GO, 4 usage error.",
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
        merged = merge([_load(p) for p in args.inputs])
    except MergeError as exc:
        print(f"gonogo merge: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (KeyError, ValueError, TypeError) as exc:
        print(f"gonogo merge: an input is not a valid verdict ({type(exc).__name__}: {exc}); "
              "pass files written by gonogo", file=sys.stderr)
        return EXIT_USAGE
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")
    print(f"{merged['verdict']}: {len(args.inputs)} verdicts merged into {args.output}")
    for reason in merged["reasons"]:
        print(f"  NO-GO because {reason}")
    return 0 if merged["verdict"] == "GO" else 1
