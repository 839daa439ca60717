"""reports/summary.md: the verdict, reasons, criteria, waivers and rollback in Markdown (CI step summary)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from gonogo.redact import redact
from gonogo.view import Line, Tone, VerdictView

if TYPE_CHECKING:
    from gonogo.recorder import GonogoSession

STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
def _cell(text: object) -> str:
    # A table cell is one line, and a pipe would end it early.
    return " ".join(str(text).split()).replace("|", "\\|")


def render_markdown(view: VerdictView, clean: Callable[[str], str] = lambda s: s) -> str:
    """The summary as Markdown; `clean` redacts each piece of text."""
    c = lambda text: clean(_cell(text))  # noqa: E731
    lines = [f"## {view.icon} gonogo verdict: {view.word}", "", c("; ".join((*view.scope, view.times))), ""]
    if view.reasons:
        lines += [f"**{view.reasons_heading}**", "", *(f"- {c(r.text)}" for r in view.reasons), ""]
    lines += ["| criterion | title | stage | go/no-go | status | tests | time |", "|---|---|---|---|---|---|---|"]
    for r in view.criteria:
        lines.append(f"| {c(r.label)} | {c(r.title)} | {c(r.stage)} | {r.go_no_go} | {r.icon} {c(r.status.text)} | "
                     f"{c(r.tests)} | {r.time} |")
    lines.append("")
    if view.warnings:
        lines += ["**Warnings**", "", *(f"- {c(w.text)}" for w in view.warnings), ""]
    if view.waivers:
        lines += ["**Waivers**", "", "| criterion | reason | approved by | expires | state |", "|---|---|---|---|---|"]
        for w in view.waivers:
            lines.append(f"| {c(f'{w.criterion} {w.scope}'.rstrip())} | {c(w.reason)} | {c(w.approved_by)} | "
                         f"{w.expires} | {_strong(w.state)} |")
        lines.append("")
    comparison = view.comparison
    if comparison is not None:
        lines += [f"**{c(comparison.heading)}**", ""]
        if comparison.note:
            lines += [c(comparison.note), ""]
        if comparison.rows:
            lines += ["| measure | unit | this run | last GO | when | difference | limit | outcome |",
                      "|---|---|---|---|---|---|---|---|"]
            for m in comparison.rows:
                lines.append(f"| {c(m.measure)} | {c(m.unit)} | {c(m.this_run)} | {c(m.last_go)} | {c(m.when)} | "
                             f"{c(m.difference)} | {c(m.limit)} | {_strong(m.outcome)} |")
            lines.append("")
    rollback = view.rollback
    if rollback is not None:
        lines += [f"**{rollback.title}**: {c(rollback.summary)}", ""]
        if rollback.empty:
            lines += [rollback.empty, ""]
        for a in rollback.actions:
            detail = f" — {c(a.detail)}" if a.detail else ""
            lines.append(f"- {_strong(a.status)}: {c(a.name)}{detail}")
        lines += [""] if rollback.actions else []
    if view.notifications:
        # A failed one is bold: it is why the message may not have reached anyone.
        lines += ["**Notifications**", "", *(f"- **{c(n.text)}**" if n.tone is Tone.WARN else f"- {c(n.text)}"
                                            for n in view.notifications), ""]
    return "\n".join(lines).rstrip() + "\n"


def _strong(line: Line) -> str:
    # Markdown has no colour: what is bad is bold.
    return f"**{line.text}**" if line.tone is Tone.BAD else line.text


class MarkdownSummary:
    """Registered on the controller when gonogo is active; writes after the verdict is final."""

    def __init__(self, recorder: GonogoSession) -> None:
        self.recorder = recorder
        self.problem: str | None = None

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        recorder = self.recorder
        if recorder.verdict is None:
            return
        config = recorder.config
        view = VerdictView.of(recorder.verdict, recorder.rollback, recorder.runbook.waivers,
                              dt.datetime.now(dt.UTC).date(), recorder.notifications)
        text = render_markdown(view, lambda s: redact(s, config))
        path = recorder.settings.summary_md
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            self.problem = f"gonogo: cannot write --summary-md {path}: {exc.strerror}; fix the path"
        step = os.environ.get(STEP_SUMMARY_ENV)
        if step:
            try:
                # GitHub renders this file on the job's page; other steps append to it too.
                with open(step, "a", encoding="utf-8") as f:
                    f.write(text + "\n")
            except OSError as exc:
                self.problem = (f"gonogo: cannot append to ${STEP_SUMMARY_ENV}={step}: {exc.strerror}; "
                                "fix or unset it")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        # The verdict stands (exit code, verdict.json); only this copy of it is missing.
        if self.problem:
            terminalreporter.write_line(self.problem, yellow=True)
