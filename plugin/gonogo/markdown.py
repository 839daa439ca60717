"""reports/summary.md: the verdict, reasons, criteria, waivers and rollback in Markdown (CI step summary)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

import pytest

from gonogo.redact import redact
from gonogo.rollback import RollbackResult
from gonogo.runbook import Waiver
from gonogo.verdict import Status, Verdict

if TYPE_CHECKING:
    from gonogo.recorder import GonogoSession

STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
HELP = ("where the controller writes the Markdown summary (default: summary.md next to the verdict JSON); "
        f"it is also appended to ${STEP_SUMMARY_ENV} when that is set")
_ICON = {Status.PASSED: "✅", Status.WAIVED: "⚠️", Status.FAILED: "❌", Status.ERROR: "❌",
         Status.SKIPPED: "⏭️", Status.MISSING: "❔"}


def add_option(parser: pytest.Parser) -> None:
    parser.getgroup("gonogo").addoption("--summary-md", dest="gonogo_summary_md", metavar="PATH", default=None,
                                        help=HELP)
    parser.addini("gonogo_summary_md", HELP, default=None)


def summary_path(config: pytest.Config, verdict_json: Path) -> Path:
    """--summary-md (from the invocation dir), ini gonogo_summary_md (from the ini's dir), or beside verdict.json."""
    flag = config.getoption("gonogo_summary_md")
    if flag:
        return Path(config.invocation_params.dir) / flag
    ini = config.getini("gonogo_summary_md")
    if ini:
        inidir = Path(config.inipath).parent if config.inipath else Path(config.rootpath)
        return inidir / ini
    return verdict_json.with_name("summary.md")


def _cell(text: object) -> str:
    # A table cell is one line, and a pipe would end it early.
    return " ".join(str(text).split()).replace("|", "\\|")


def render_markdown(verdict: Verdict, rollback: RollbackResult | None, waivers: Iterable[Waiver],
                    today: dt.date, clean: Callable[[str], str] = lambda s: s) -> str:
    """The summary as Markdown; `clean` redacts each piece of text."""
    c = lambda text: clean(_cell(text))  # noqa: E731
    icon = "🟢" if verdict.go else "🔴"
    target = f" target `{c(verdict.target)}`," if verdict.target else ""
    lines = [f"## {icon} gonogo verdict: {verdict.word}", "",
             f"{target} stages {', '.join(verdict.stages) or 'none'}; {len(verdict.criteria)} criteria; "
             f"{verdict.started_at} → {verdict.finished_at}".lstrip(), ""]
    if verdict.reasons:
        lines += ["**NO-GO because**", "", *(f"- {c(r)}" for r in verdict.reasons), ""]
    lines += ["| criterion | title | stage | go/no-go | status | tests | time |",
              "|---|---|---|---|---|---|---|"]
    for r in verdict.criteria:
        crit = r.criterion
        status = r.status.value if r.status is r.underlying else f"{r.status.value} ({r.underlying.value})"
        bad = sum(1 for t in r.tests if t.outcome is not Status.PASSED)
        tests = f"{len(r.tests)}" + (f" ({bad} not passed)" if bad else "")
        label = crit.id + ("" if crit.blocking else " (advisory)")
        lines.append(f"| {c(label)} | {c(crit.title)} | {c(crit.stage)} | "
                     f"{'' if crit.go_no_go is None else crit.go_no_go} | {_ICON[r.status]} {status} | {tests} | "
                     f"{r.duration_s:.2f} s |")
    lines.append("")
    if verdict.warnings:
        lines += ["**Warnings**", "", *(f"- {c(w)}" for w in verdict.warnings), ""]
    waivers = list(waivers)
    if waivers:
        lines += ["**Waivers**", "", "| criterion | reason | approved by | expires | state |", "|---|---|---|---|---|"]
        for w in waivers:
            state = "current" if w.is_current(today) else "**EXPIRED** (ignored)"
            lines.append(f"| {c(w.criterion)} | {c(w.reason)} | {c(w.approved_by)} | {w.expires.isoformat()} | "
                         f"{state} |")
        lines.append("")
    lines += _rollback_lines(verdict, rollback, c)
    return "\n".join(lines).rstrip() + "\n"


def _rollback_lines(verdict: Verdict, rollback: RollbackResult | None, c: Callable[[object], str]) -> list[str]:
    if rollback is None:
        return []
    if not rollback.triggered:
        why = "GO: nothing to roll back" if verdict.go else f"not triggered (mode {rollback.mode.value})"
        return [f"**Rollback**: {why}", ""]
    lines = [f"**Rollback** ({rollback.mode.value}): scopes {c(', '.join(rollback.scopes) or 'none')}", ""]
    for a in rollback.actions:
        detail = f" — {c(a.detail)}" if a.detail else ""
        lines.append(f"- {a.status}: {c(a.name)}{detail}")
    return lines + [""]


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
        text = render_markdown(recorder.verdict, recorder.rollback, recorder.runbook.waivers,
                               dt.datetime.now(dt.timezone.utc).date(), lambda s: redact(s, config))
        path = summary_path(config, recorder.settings.verdict_json)
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
