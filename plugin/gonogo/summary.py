"""The terminal summary: one row per criterion, then the verdict line, reasons and rollback."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from gonogo.rollback import RollbackResult
from gonogo.verdict import Status, Verdict

_MARKUP = {Status.PASSED: {"green": True}, Status.WAIVED: {"yellow": True}}
_LINE_LIMIT = 240


def _clip(text: str) -> str:
    return text if len(text) <= _LINE_LIMIT else text[: _LINE_LIMIT - 3] + "..."


def render_summary(verdict: Verdict, rollback: RollbackResult, json_path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Lines (with terminal markup) of the summary; short whatever the evidence kept."""
    rows = [("criterion", "status", "tests", "evidence", "time")]
    for r in verdict.criteria:
        label = r.criterion.id + ("" if r.criterion.blocking else " (advisory)")
        status = r.status.value if r.status is r.underlying else f"{r.status.value} ({r.underlying.value})"
        evidence = sum(len(t.evidence) for t in r.tests)
        rows.append((label, status, str(len(r.tests)), str(evidence), f"{r.duration_s:.2f}s"))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for n, row in enumerate(rows):
        line = "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
        markup: dict[str, Any] = {"bold": True} if n == 0 else {}
        if n > 0:
            result = verdict.criteria[n - 1]
            markup = _MARKUP.get(result.status, {"red": True} if result.criterion.blocking else {"yellow": True})
        yield _clip(line), markup
    stages = ", ".join(verdict.stages) or "none"
    target = f" target {verdict.target}," if verdict.target else ""
    yield (f"{verdict.word}:{target} stages {stages}; {len(verdict.criteria)} criteria, "
           f"{len(verdict.reasons)} reason(s)"), {"bold": True, "green" if verdict.go else "red": True}
    for reason in verdict.reasons:
        yield _clip(f"  NO-GO because {reason}"), {"red": True}
    for warning in verdict.warnings:
        yield _clip(f"  warning: {warning}"), {"yellow": True}
    if rollback.triggered:
        scopes = ", ".join(rollback.scopes) or "none"
        yield f"rollback ({rollback.mode.value}): scopes {scopes}, {len(rollback.actions)} action(s)", {"bold": True}
        for action in rollback.actions:
            detail = f": {action.detail}" if action.detail else ""
            markup = {"red": True} if action.status == "failed" else {}
            yield _clip(f"  {action.status}: {action.name}{detail}"), markup
    yield f"verdict written to {json_path}", {}
