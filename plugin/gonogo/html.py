"""Optional pytest-html glue: the verdict banner and criteria table at the top of the report."""

from __future__ import annotations

import html as _html
from typing import TYPE_CHECKING, Any

from gonogo.redact import redact

if TYPE_CHECKING:
    from gonogo.recorder import GonogoSession


class HtmlSummary:
    """Registered only when pytest-html is present; the verdict is final before it renders."""

    def __init__(self, recorder: GonogoSession) -> None:
        self.recorder = recorder

    def pytest_html_results_summary(self, prefix: list[str], summary: list[str], postfix: list[str]) -> None:
        verdict = self.recorder.verdict
        if verdict is None:
            return
        config = self.recorder.config
        colour = "#1a7f37" if verdict.go else "#cf222e"
        esc = lambda text: _html.escape(redact(str(text), config))  # noqa: E731
        reasons = "".join(f"<li>{esc(r)}</li>" for r in verdict.reasons)
        rows = "".join(
            f"<tr><td>{esc(r.criterion.id)}</td><td>{esc(r.criterion.title)}</td><td>{esc(r.criterion.stage)}</td>"
            f"<td>{esc(r.status.value)}</td><td>{len(r.tests)}</td><td>{r.duration_s:.2f}s</td></tr>"
            for r in verdict.criteria
        )
        prefix.append(
            f'<div class="gonogo-verdict" style="padding:8px;color:#fff;background:{colour};font-size:1.4em">'
            f"{verdict.word}</div><ul>{reasons}</ul>"
            "<table class=\"gonogo-criteria\"><tr><th>criterion</th><th>title</th><th>stage</th>"
            f"<th>status</th><th>tests</th><th>time</th></tr>{rows}</table>"
        )
