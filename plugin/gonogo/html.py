"""Optional pytest-html glue: verdict banner, criteria, waivers and rollback on top; evidence per test."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pytest

from gonogo import html_render as render
from gonogo.html_render import read_image
from gonogo.redact import redact
from gonogo.verdict import Status
from gonogo.view import VerdictView

if TYPE_CHECKING:
    from gonogo.recorder import GonogoSession

# Larger images are listed by name: the report must stay small enough to open and to mail.
class HtmlSummary:
    """Registered on the controller only when pytest-html is present; the verdict is final before it renders."""

    def __init__(self, recorder: GonogoSession) -> None:
        self.recorder = recorder
        self._report_data: Any = None
        self._title = ""

    def _esc(self) -> render.Escape:
        config = self.recorder.config
        return render.escaper(lambda text: redact(text, config))

    def pytest_html_report_title(self, report: Any) -> None:
        # Kept to put the verdict into the title once it is known (pytest-html renders the title last).
        self._report_data = report
        self._title = str(report.title)

    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells.insert(2, '<th class="sortable" data-column-type="criterion">Criterion</th>')

    def pytest_html_results_table_row(self, report: Any, cells: list[str]) -> None:
        info = getattr(report, "gonogo", None) or {}
        cid = info.get("criterion") or self.recorder.nodemap.get(getattr(report, "nodeid", ""), "")
        # pytest-html's Result column says Failed for an inconclusive test: its filters know pytest's outcomes
        # only (a row whose result they do not know is never shown), so the word goes in gonogo's own column.
        word = ' <span class="tone-warn">inconclusive</span>' if info.get("inconclusive") else ""
        cells.insert(2, f'<td class="col-criterion">{self._esc()(cid)}{word}</td>')

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # The controller has the evidence (report.gonogo, also under xdist); pytest-html reads
        # report.extras in its own trylast logreport, so they are attached here, before it. The teardown
        # report carries every record, including what fixtures kept at teardown (a screenshot).
        if report.when != "teardown":
            return
        # A passing report without evidence carries nothing: its criterion is the recorder's to say.
        info = getattr(report, "gonogo", None) or {}
        cid = info.get("criterion") or self.recorder.nodemap.get(report.nodeid)
        if cid is None:
            return
        criterion = self.recorder.runbook.criteria.get(cid)
        stage = criterion.stage if criterion is not None else ""
        # Inconclusive in this teardown, or earlier (the recorder has folded setup and call by now).
        state = self.recorder.tests.get(report.nodeid)
        inconclusive = None
        if "inconclusive" in info:
            inconclusive = str(info.get("message", ""))
        elif state is not None and state.outcome is Status.INCONCLUSIVE:
            inconclusive = state.message
        fragment = render.evidence_html(cid, stage, info.get("evidence") or (), self._esc(), read_image, inconclusive)
        from pytest_html import extras

        report.extras = [*getattr(report, "extras", []), extras.html(fragment)]

    def pytest_html_results_summary(self, prefix: list[str], summary: list[str], postfix: list[str],
                                    session: pytest.Session) -> None:
        verdict = self.recorder.verdict
        if verdict is None:
            return
        esc = self._esc()
        view = VerdictView.of(verdict, self.recorder.rollback, self.recorder.runbook.waivers,
                              dt.datetime.now(dt.UTC).date(), self.recorder.notifications)
        prefix.append(f'{render.STYLE}<div class="gonogo">{render.banner(view, esc)}{render.criteria_table(view, esc)}'
                      f"{render.waivers_table(view, esc)}{render.comparison_section(view, esc)}"
                      f"{render.rollback_section(view, esc)}{render.notifications_section(view, esc)}</div>")
        if self._report_data is not None:
            target = f" {view.target}" if view.target else ""
            self._report_data.title = f"{view.word}{target}: {self._title}"
