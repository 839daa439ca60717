"""HTML fragments for the reviewer's report: verdict banner, criteria, waivers, rollback, evidence."""

from __future__ import annotations

import datetime as dt
import html as _html
from typing import Any, Callable, Iterable, Mapping

from gonogo.rollback import RollbackResult
from gonogo.runbook import Waiver
from gonogo.verdict import Status, Verdict

Escape = Callable[[object], str]

BODY_PREVIEW = 1200
HEADER_PREVIEW = 12

_STATUS_COLOUR = {Status.PASSED: "#1a7f37", Status.WAIVED: "#9a6700", Status.FAILED: "#cf222e",
                  Status.ERROR: "#cf222e", Status.SKIPPED: "#bc4c00", Status.MISSING: "#bc4c00"}

# Put the summary (with the verdict) right under the title and pytest-html's environment table last:
# a reviewer reads the verdict first. Plain CSS inside the report, so it stays one self-contained file.
STYLE = """<style>
body { display: flex; flex-direction: column; }
#title, body > p:first-of-type { order: -2; }
.summary { order: -1; }
#environment-header, #environment { order: 2; }
footer { order: 3; }
.gonogo { font-size: 14px; margin-bottom: 12px; }
.gonogo-banner { padding: 10px 14px; color: #fff; border-radius: 4px; }
.gonogo-verdict { font-size: 1.9em; font-weight: bold; }
.gonogo-line { font-size: 0.95em; }
.gonogo h3 { margin: 12px 0 4px; font-size: 1.05em; color: #24292f; }
.gonogo, .gonogo td, .gonogo-ev { color: #24292f; }
.gonogo ul { margin: 4px 0; padding-left: 22px; }
.gonogo li.reason { color: #cf222e; }
.gonogo li.warning { color: #9a6700; }
.gonogo table { border-collapse: collapse; margin: 4px 0; }
.gonogo th, .gonogo td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; vertical-align: top; }
.gonogo th { background: #f6f8fa; }
.gonogo .st { font-weight: bold; }
.gonogo tr.gonogo-bad td { background: #ffebe9; }
.gonogo-ev { margin: 6px 0 10px; font-size: 13px; }
.gonogo-ev pre { white-space: pre-wrap; background: #f6f8fa; padding: 6px; max-height: 320px; overflow: auto;
                 margin: 2px 0; }
.gonogo-ev img { max-width: min(900px, 100%); border: 1px solid #d0d7de; display: block; margin: 4px 0; }
.gonogo-ev .label { font-weight: bold; }
</style>"""


def _status_cell(status: Status, underlying: Status, esc: Escape) -> str:
    text = status.value if status is underlying else f"{status.value} ({underlying.value})"
    return f'<td class="st" style="color:{_STATUS_COLOUR[status]}">{esc(text)}</td>'


def banner(verdict: Verdict, esc: Escape) -> str:
    """The GO (green) / NO-GO (red) banner, with target, stages and the reasons."""
    colour = "#1a7f37" if verdict.go else "#cf222e"
    stages = ", ".join(verdict.stages) or "none"
    failed = len(verdict.not_proven())
    scope = f"target {verdict.target} · " if verdict.target else ""
    line = (f"{scope}stages {stages} · {len(verdict.criteria)} criteria, {failed} blocking not proven · "
            f"{verdict.started_at} → {verdict.finished_at}")
    parts = [f'<div class="gonogo-banner" style="background:{colour}"><div class="gonogo-verdict">{verdict.word}</div>'
             f'<div class="gonogo-line">{esc(line)}</div></div>']
    if verdict.reasons:
        parts.append("<h3>NO-GO because</h3><ul>"
                     + "".join(f'<li class="reason">{esc(r)}</li>' for r in verdict.reasons) + "</ul>")
    if verdict.warnings:
        parts.append("<h3>Warnings</h3><ul>"
                     + "".join(f'<li class="warning">{esc(w)}</li>' for w in verdict.warnings) + "</ul>")
    return "".join(parts)


def criteria_table(verdict: Verdict, esc: Escape) -> str:
    """One row per criterion in scope: id, title, stage, go/no-go number, status, tests, time."""
    rows = []
    for r in verdict.criteria:
        c = r.criterion
        counts: dict[str, int] = {}
        for t in r.tests:
            counts[t.outcome.value] = counts.get(t.outcome.value, 0) + 1
        tests = ", ".join(f"{n} {o}" for o, n in sorted(counts.items())) or "none ran"
        kind = "" if c.blocking else " <em>(advisory)</em>"
        # A blocking criterion that stands in the way of GO is tinted, so the eye finds it in a long table.
        tint = ' class="gonogo-bad"' if c.blocking and not r.ok else ""
        rows.append(f"<tr{tint}><td>{esc(c.id)}{kind}</td><td>{esc(c.title)}</td><td>{esc(c.stage)}</td>"
                    f"<td>{'' if c.go_no_go is None else c.go_no_go}</td>"
                    f"{_status_cell(r.status, r.underlying, esc)}<td>{esc(tests)}</td>"
                    f"<td>{r.duration_s:.2f} s</td></tr>")
    return ("<h3>Criteria</h3><table class=\"gonogo-criteria\"><tr><th>criterion</th><th>title</th><th>stage</th>"
            "<th>go/no-go</th><th>status</th><th>tests</th><th>time</th></tr>" + "".join(rows) + "</table>")


def waivers_table(waivers: Iterable[Waiver], today: dt.date, in_scope: set[str], esc: Escape) -> str:
    """Every waiver of the runbook, with its expiry; an expired one is flagged and has no effect."""
    rows = []
    for w in waivers:
        current = w.is_current(today)
        state = ("current" if current else '<b style="color:#cf222e">EXPIRED (ignored)</b>')
        scope = "" if w.criterion in in_scope else " (not in this run)"
        rows.append(f"<tr><td>{esc(w.criterion)}{esc(scope)}</td><td>{esc(w.reason)}</td>"
                    f"<td>{esc(w.approved_by)}</td><td>{esc(w.expires.isoformat())}</td><td>{state}</td></tr>")
    if not rows:
        return "<h3>Waivers</h3><p>none</p>"
    return ("<h3>Waivers</h3><table class=\"gonogo-waivers\"><tr><th>criterion</th><th>reason</th>"
            "<th>approved by</th><th>expires</th><th>state</th></tr>" + "".join(rows) + "</table>")


def rollback_section(rollback: RollbackResult | None, verdict: Verdict, esc: Escape) -> str:
    """The rollback plan, or what the rollback did: mode, scopes, each action's status and detail."""
    if rollback is None:
        return ""
    if not rollback.triggered:
        why = ("GO: nothing to roll back" if verdict.go else
               f"not triggered (mode {rollback.mode.value}; predeploy only, or no failed criterion names a scope)")
        return f"<h3>Rollback</h3><p>{esc(why)}</p>"
    done = {"plan": "planned, not run", "auto": "run", "off": "off"}[rollback.mode.value]
    head = (f"<h3>Rollback ({esc(rollback.mode.value)}: {esc(done)})</h3>"
            f"<p>scopes: {esc(', '.join(rollback.scopes) or 'none')}</p>")
    if not rollback.actions:
        return head + "<p>no action was returned for these scopes</p>"
    colour = {"failed": "#cf222e", "done": "#1a7f37"}
    rows = "".join(f"<tr><td>{esc(a.name)}</td><td class=\"st\" style=\"color:{colour.get(a.status, '#57606a')}\">"
                   f"{esc(a.status)}</td><td>{esc(a.detail)}</td></tr>" for a in rollback.actions)
    return (head + "<table class=\"gonogo-rollback\"><tr><th>action</th><th>status</th><th>detail</th></tr>"
            + rows + "</table>")


def _size(size: Any) -> str:
    if not isinstance(size, int):
        return "missing"
    return f"{size} B" if size < 1024 else f"{size / 1024:.0f} KiB"


def _http(record: Mapping[str, Any], esc: Escape) -> str:
    elapsed = record.get("elapsed_s")
    took = f" in {elapsed:.2f} s" if isinstance(elapsed, (int, float)) else ""
    body = str(record.get("body") or "")
    if len(body) > BODY_PREVIEW:
        body = body[:BODY_PREVIEW] + f"... [{len(body) - BODY_PREVIEW} more characters in verdict.json]"
    headers = list((record.get("headers") or {}).items())[:HEADER_PREVIEW]
    head = "".join(f"{esc(k)}: {esc(v)}\n" for k, v in headers)
    return (f'<div class="gonogo-ev"><span class="label">HTTP</span> {esc(record.get("method"))} '
            f'{esc(record.get("url"))} → <b>{esc(record.get("status"))}</b>{esc(took)}'
            f"{f'<pre>{head}</pre>' if head else ''}<pre>{esc(body) or '(empty body)'}</pre></div>")


def _command(record: Mapping[str, Any], esc: Escape) -> str:
    return (f'<div class="gonogo-ev"><span class="label">Command</span> <code>{esc(record.get("argv"))}</code>'
            f' → exit {esc(record.get("returncode"))}<pre>{esc(record.get("output_tail")) or "(no output)"}</pre>'
            "</div>")


def _note(record: Mapping[str, Any], esc: Escape) -> str:
    text = str(record.get("text") or "")
    return (f'<div class="gonogo-ev"><span class="label">Note</span> {esc(record.get("title"))}'
            f"{f'<pre>{esc(text)}</pre>' if text else ''}</div>")


def _file(record: Mapping[str, Any], esc: Escape, read_image: Callable[[str], str | None]) -> str:
    mime = str(record.get("mime") or "")
    path = str(record.get("path") or "")
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    label = f'<span class="label">File</span> {esc(record.get("title"))} ({esc(name)}, {esc(mime)}, ' \
            f'{esc(_size(record.get("size")))})'
    if mime.startswith("image/"):
        data = read_image(path)
        if data is not None:
            # Embedded, so the report stays one file a reviewer can mail or archive.
            return (f'<div class="gonogo-ev">{label}<img alt="{esc(record.get("title"))}" '
                    f'src="data:{esc(mime)};base64,{data}"></div>')
    return f'<div class="gonogo-ev">{label}</div>'


def evidence_html(criterion: str, stage: str, records: Iterable[Mapping[str, Any]], esc: Escape,
                  read_image: Callable[[str], str | None]) -> str:
    """A test's criterion and its evidence, readable: HTTP exchanges, command tails, notes, images."""
    parts = [f'<div class="gonogo-ev"><span class="label">Criterion</span> {esc(criterion)} '
             f"(stage {esc(stage)})</div>"]
    for record in records:
        kind = record.get("kind")
        if kind == "http":
            parts.append(_http(record, esc))
        elif kind == "command":
            parts.append(_command(record, esc))
        elif kind == "note":
            parts.append(_note(record, esc))
        elif kind == "file":
            parts.append(_file(record, esc, read_image))
    return "".join(parts)


def escaper(redact: Callable[[str], str]) -> Escape:
    """Redact, then HTML-escape: every text that reaches the report goes through this."""
    return lambda value: _html.escape(redact("" if value is None else str(value)))
