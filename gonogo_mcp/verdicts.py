"""The verdicts the tools read: where they are, what one says (through gonogo's own view of it), a criterion's
last outcome with its failing tests' messages and evidence, and what rolls back.

A verdict is a `verdict.json` a run wrote: `reports/verdict.json` (a run by hand), `reports/mcp/<run>/` (the
stages these tools ran), `reports/releases/<release>/<stage>/` (the release conductor's stages).
"""
from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gonogo import EXIT_ROLLBACK_FAILED, Criterion, Verdict
from gonogo.rollback import RollbackResult
from gonogo.verdict import is_verdict_file
from gonogo.view import VerdictView
from gonogo_mcp.workspace import Problem, Workspace
from harness import rollback as playbook
from harness.target import Target

VERDICT = "verdict.json"
REPORT_FILES = {"verdict_json": VERDICT, "summary_md": "summary.md", "report_html": "report.html",
                "junit_xml": "junit.xml", "output": "output.txt"}


@dataclass(frozen=True)
class Found:
    """A verdict file, what it holds, and which run wrote it."""

    path: Path
    data: dict
    kind: str  # "run" (reports/mcp), "release" (reports/releases), "file" (any other)
    ref: str  # the run id, the release id, or the path

    @property
    def source(self) -> str:
        """`run 20261129-150102-smoke`, `release R stage smoke`, `reports/verdict.json`."""
        if self.kind == "release":
            return f"release {self.ref} stage {self.path.parent.name}"
        return f"{self.kind} {self.ref}" if self.kind == "run" else self.ref

    @property
    def sort_key(self) -> tuple[str, float]:
        # The run's own end (to the second), then the file's time for runs ending in the same second.
        return (str(self.data.get("finished_at") or ""), self.path.stat().st_mtime)


def read(path: Path) -> dict | None:
    """A gonogo verdict.json's content; None for anything else (missing, not JSON, another schema)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not is_verdict_file(data):
        return None
    return data


def found(ws: Workspace, path: Path, data: dict) -> Found:
    """Which run wrote the verdict at `path`, from where it lies."""
    try:
        parts = path.relative_to(ws.reports).parts
    except ValueError:
        return Found(path, data, "file", str(path))
    if len(parts) == 3 and parts[0] == "mcp":
        return Found(path, data, "run", parts[1])
    if len(parts) == 4 and parts[0] == "releases":
        return Found(path, data, "release", parts[1])
    return Found(path, data, "file", str(Path(ws.reports.name, *parts)))


def scan(ws: Workspace) -> Iterator[Found]:
    """Every verdict the checkout's reports hold."""
    paths = [ws.reports / VERDICT, *ws.runs_dir.glob(f"*/{VERDICT}"), *ws.releases_dir.glob(f"*/*/{VERDICT}")]
    for path in paths:
        data = read(path) if path.is_file() else None
        if data is not None:
            yield found(ws, path, data)


def newest(ws: Workspace, criterion: str | None = None) -> Found | None:
    """The newest verdict, or the newest holding `criterion` (judged in that run, not only in scope)."""
    def holds(one: Found) -> bool:
        return criterion is None or any(c.get("id") == criterion for c in one.data.get("criteria", ()))
    return max((f for f in scan(ws) if holds(f)), key=lambda f: f.sort_key, default=None)


def reports_of(path: Path) -> dict[str, str]:
    """The files a run left beside its verdict.json."""
    return {key: str(path.parent / name) for key, name in REPORT_FILES.items() if (path.parent / name).is_file()}


def summary(data: dict, path: Path | None = None) -> dict[str, Any]:
    """The verdict as the terminal, summary.md and report.html word it (gonogo.view), as plain data."""
    verdict = Verdict.from_json(data)
    rolled = RollbackResult.from_json(data.get("rollback"))
    view = VerdictView.of(verdict, rolled)
    exit_code = EXIT_ROLLBACK_FAILED if verdict.outcome.value == "NO-GO" and rolled.failed else verdict.exit_code
    return {
        "verdict": view.word, "exit_code": exit_code, "target": verdict.target, "stages": list(verdict.stages),
        "started_at": verdict.started_at, "finished_at": verdict.finished_at, "scope": list(view.scope),
        "reasons": [line.text for line in view.reasons], "warnings": [line.text for line in view.warnings],
        "criteria": [{"id": row.id, "title": row.title, "stage": row.stage, "go_no_go": result.criterion.go_no_go,
                      "blocking": result.criterion.blocking, "status": row.status.text, "tests": row.tests,
                      "time": row.time} for row, result in zip(view.criteria, verdict.criteria, strict=True)],
        "rollback": rollback_view(data),
        **({"reports": reports_of(path)} if path is not None else {}),
    }


def rollback_view(data: dict) -> dict[str, Any]:
    """A verdict's rollback section: what it planned, ran, or withheld, and the criteria that chose its scopes."""
    verdict = Verdict.from_json(data)
    rolled = RollbackResult.from_json(data.get("rollback"))
    view = VerdictView.of(verdict, rolled).rollback
    picked = [{"criterion": r.criterion.id, "status": r.status.value, "scopes": list(r.criterion.rollback)}
              for r in verdict.not_proven() if set(r.criterion.rollback) & set(rolled.scopes)]
    return {"headline": view.headline, "mode": rolled.mode.value, "triggered": rolled.triggered,
            "withheld": rolled.withheld, "scopes": list(rolled.scopes), "chosen_by": picked,
            "actions": [{"name": a.name, "status": a.status.value, "detail": a.detail} for a in rolled.actions]}


def criterion_of(ws: Workspace, criterion_id: str) -> Criterion:
    criterion = ws.runbook.criteria.get(criterion_id)
    if criterion is None:
        close = difflib.get_close_matches(criterion_id, list(ws.runbook.criteria), n=3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise Problem(f"criterion {criterion_id!r} is not in {ws.runbook.path.name}; {hint}list_criteria lists "
                      f"all {len(ws.runbook.criteria)}")
    return criterion


def last_outcome(one: Found, criterion_id: str) -> dict[str, Any]:
    """The criterion in that verdict: its status, every test, and each test that did not pass with its message
    and evidence (as verdict.json recorded them)."""
    result = next(c for c in one.data["criteria"] if c.get("id") == criterion_id)
    tests = []
    for test in result.get("tests", ()):
        entry = {"nodeid": test.get("nodeid"), "outcome": test.get("outcome"), "duration_s": test.get("duration_s")}
        if test.get("outcome") != "passed":
            entry.update(message=test.get("message", ""), evidence=list(test.get("evidence", ())))
        else:
            entry["evidence_items"] = len(test.get("evidence", ()))
        tests.append(entry)
    return {"status": result.get("status"), "underlying": result.get("underlying"), "waiver": result.get("waiver"),
            "run_verdict": one.data.get("verdict"), "target": one.data.get("target"),
            "finished_at": one.data.get("finished_at"), "source": one.source, "verdict_json": str(one.path),
            "tests": tests}


def would_roll_back(ws: Workspace, criterion: Criterion, target_spec: str | None, *, given: bool = False
                    ) -> dict[str, Any]:
    """What the rollback playbook (section 7) does when this criterion fails: its scopes and their actions, as
    the binding's rollback hook builds them for the target (built, never run). A target the caller `given` must
    load; one only recorded with the last run falls back to production when it no longer does."""
    scopes = list(criterion.rollback)
    if not criterion.blocking:
        when = "advisory: it never blocks, so its failure never rolls anything back"
    elif criterion.stage == "predeploy":
        when = "its failure makes the verdict NO-GO; a predeploy run never rolls back (nothing is deployed yet)"
    elif not scopes:
        when = "its failure makes the verdict NO-GO, and it names no rollback scope: nothing rolls back for it"
    else:
        when = (f"when it fails or errors, the verdict is NO-GO and the rollback plays scopes {', '.join(scopes)}: "
                "planned with --rollback plan (run_stage), run with --rollback auto; on INCONCLUSIVE they are "
                "listed, never run")
    target = ws.target(target_spec) if given and target_spec else _first_loading(ws, (target_spec, "production"))
    actions = playbook.actions(target, scopes, {}) if target is not None and scopes else []
    return {"scopes": scopes, "when": when, "target": target.name if target else None,
            "actions": [{"name": a.name, "detail": a.detail} for a in actions]}


def _first_loading(ws: Workspace, specs: tuple[str | None, ...]) -> Target | None:
    for spec in specs:
        if spec:
            try:
                return ws.target(spec)
            except Problem:
                continue
    return None
