"""The terminal summary: one row per criterion, then the verdict line, reasons and rollback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gonogo.view import Tone, VerdictView

_MARKUP: dict[Tone, dict[str, Any]] = {Tone.GOOD: {"green": True}, Tone.WARN: {"yellow": True},
                                       Tone.BAD: {"red": True}, Tone.NEUTRAL: {}}
_LINE_LIMIT = 240


def _clip(text: str) -> str:
    return text if len(text) <= _LINE_LIMIT else text[: _LINE_LIMIT - 3] + "..."


def render_summary(view: VerdictView, json_path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Lines (with terminal markup) of the summary; short whatever the evidence kept."""
    rows = [("criterion", "status", "tests", "evidence", "time")]
    rows += [(r.label, r.status.text, r.tests, r.evidence, r.time) for r in view.criteria]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for n, row in enumerate(rows):
        line = "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        yield _clip(line), _MARKUP[view.criteria[n - 1].status.tone] if n else {"bold": True}
    yield f"{view.word}: {'; '.join(view.scope)}", {"bold": True, **_MARKUP[view.tone]}
    for reason in view.reasons:
        yield _clip(f"  {view.reasons_heading} {reason.text}"), _MARKUP[reason.tone]
    for warning in view.warnings:
        yield _clip(f"  warning: {warning.text}"), _MARKUP[warning.tone]
    if view.comparison is not None:
        yield from _comparison(view)
    if view.rollback is not None:
        yield _clip(view.rollback.headline), {"bold": True}
        if view.rollback.empty:
            yield f"  {view.rollback.empty}", {}
        for action in view.rollback.actions:
            detail = f": {action.detail}" if action.detail else ""
            yield _clip(f"  {action.status.text}: {action.name}{detail}"), _MARKUP[action.status.tone]
    for note in view.notifications:
        # A failed one is a warning: the verdict and the exit code stand.
        yield _clip(f"notify: {note.text}"), _MARKUP[note.tone]
    yield f"verdict written to {json_path}", {}


def _comparison(view: VerdictView) -> Iterator[tuple[str, dict[str, Any]]]:
    comparison = view.comparison
    assert comparison is not None
    yield _clip(f"{comparison.heading}{': ' + comparison.note if comparison.note else ''}"), {"bold": True}
    rows = [("measure", "this run", "last GO", "difference", "limit", "")]
    rows += [(f"{r.measure} ({r.unit})" if r.unit else r.measure, r.this_run, r.last_go or "-", r.difference,
              r.limit, r.outcome.text) for r in comparison.rows]
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    for n, row in enumerate(rows):
        line = "  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        yield _clip(line), _MARKUP[comparison.rows[n - 1].outcome.tone] if n else {}
