"""HTML fragments for the reviewer's report: verdict banner, criteria, waivers, comparison, rollback, evidence."""

from __future__ import annotations

import base64
import html as _html
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from gonogo.view import Line, Tone, VerdictView

Escape = Callable[[object], str]

BODY_PREVIEW = 1200
HEADER_PREVIEW = 12

_TONE_COLOUR = {Tone.GOOD: "#1a7f37", Tone.WARN: "#9a6700", Tone.BAD: "#cf222e", Tone.NEUTRAL: "#57606a"}
# The banner: the tone's colour as background (a warning's amber lighter, so white text stays readable).
_BANNER_COLOUR = {**_TONE_COLOUR, Tone.WARN: "#bf8700"}

# Put the summary (with the verdict) right under the title and pytest-html's environment table last:
# a reviewer reads the verdict first. Plain CSS inside the report, so it stays one self-contained file.
_CSS = """
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
.gonogo h3::first-letter { text-transform: uppercase; }
.gonogo, .gonogo td, .gonogo-ev { color: #24292f; }
.gonogo ul { margin: 4px 0; padding-left: 22px; }
.gonogo table { border-collapse: collapse; margin: 4px 0; }
.gonogo th, .gonogo td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; vertical-align: top; }
.gonogo th { background: #f6f8fa; }
.gonogo .st { font-weight: bold; }
.gonogo tr.gonogo-bad td { background: #ffebe9; }
.gonogo tr.gonogo-warn td { background: #fff8c5; }
.gonogo-ev { margin: 6px 0 10px; font-size: 13px; }
.gonogo-ev pre { white-space: pre-wrap; background: #f6f8fa; padding: 6px; max-height: 320px; overflow: auto;
                 margin: 2px 0; }
.gonogo-ev img { max-width: min(900px, 100%); border: 1px solid #d0d7de; display: block; margin: 4px 0; }
.gonogo-ev .label { font-weight: bold; }
.gonogo-ev .label.tone-warn { color: #9a6700; }
.col-criterion .tone-warn { color: #9a6700; font-weight: bold; }
"""
_TONES = "".join(f".gonogo .tone-{t.value} {{ color: {colour}; }}\n" for t, colour in _TONE_COLOUR.items())
_BANNERS = "".join(f".gonogo .gonogo-banner.tone-{t.value} {{ color: #fff; background: {colour}; }}\n"
                   for t, colour in _BANNER_COLOUR.items())
STYLE = f"<style>{_CSS}{_TONES}{_BANNERS}</style>"


def _toned(tag: str, line: Line, esc: Escape, cls: str = "") -> str:
    return f'<{tag} class="{cls}{" " if cls else ""}tone-{line.tone.value}">{esc(line.text)}</{tag}>'


def banner(view: VerdictView, esc: Escape) -> str:
    """The verdict banner in the colour of its word (target, stages, counts, times), then reasons and warnings."""
    line = " · ".join((*view.scope, view.times))
    parts = [f'<div class="gonogo-banner tone-{view.tone.value}"><div class="gonogo-verdict">{esc(view.word)}</div>'
             f'<div class="gonogo-line">{esc(line)}</div></div>']
    if view.reasons:
        parts.append(f"<h3>{esc(view.reasons_heading)}</h3><ul>"
                     + "".join(_toned("li", r, esc, "reason") for r in view.reasons) + "</ul>")
    if view.warnings:
        parts.append("<h3>Warnings</h3><ul>" + "".join(_toned("li", w, esc, "warning") for w in view.warnings)
                     + "</ul>")
    return "".join(parts)


def criteria_table(view: VerdictView, esc: Escape) -> str:
    """One row per criterion in scope: id, title, stage, go/no-go number, status, tests, time."""
    rows = []
    for r in view.criteria:
        advisory = f" <em>{esc(r.advisory)}</em>" if r.advisory else ""
        # A blocking criterion that stands in the way of GO is tinted (red, or amber for one that only could not
        # be judged), so the eye finds it in a long table.
        tint = f' class="gonogo-{r.status.tone.value}"' if r.blocks else ""
        rows.append(f"<tr{tint}><td>{esc(r.id)}{advisory}</td><td>{esc(r.title)}</td><td>{esc(r.stage)}</td>"
                    f"<td>{esc(r.go_no_go)}</td>{_toned('td', r.status, esc, 'st')}<td>{esc(r.tests)}</td>"
                    f"<td>{esc(r.time)}</td></tr>")
    return ("<h3>Criteria</h3><table class=\"gonogo-criteria\"><tr><th>criterion</th><th>title</th><th>stage</th>"
            "<th>go/no-go</th><th>status</th><th>tests</th><th>time</th></tr>" + "".join(rows) + "</table>")


def waivers_table(view: VerdictView, esc: Escape) -> str:
    """Every waiver of the runbook, with its expiry; an expired one is flagged and has no effect."""
    rows = [f"<tr><td>{esc(w.criterion)}{esc(f' {w.scope}' if w.scope else '')}</td><td>{esc(w.reason)}</td>"
            f"<td>{esc(w.approved_by)}</td><td>{esc(w.expires)}</td>{_toned('td', w.state, esc, 'st')}</tr>"
            for w in view.waivers]
    if not rows:
        return "<h3>Waivers</h3><p>none</p>"
    return ("<h3>Waivers</h3><table class=\"gonogo-waivers\"><tr><th>criterion</th><th>reason</th>"
            "<th>approved by</th><th>expires</th><th>state</th></tr>" + "".join(rows) + "</table>")


def comparison_section(view: VerdictView, esc: Escape) -> str:
    """This run's measures against the last GO on the same target: both numbers, the difference, the limit."""
    comparison = view.comparison
    if comparison is None:
        return ""
    head = f"<h3>{esc(comparison.heading)}</h3>" + (f"<p>{esc(comparison.note)}</p>" if comparison.note else "")
    if not comparison.rows:
        return head
    rows = []
    for m in comparison.rows:
        tint = f' class="gonogo-{m.outcome.tone.value}"' if m.outcome.tone in (Tone.BAD, Tone.WARN) else ""
        rows.append(f"<tr{tint}><td>{esc(m.measure)}</td><td>{esc(m.unit)}</td><td>{esc(m.this_run)}</td>"
                    f"<td>{esc(m.last_go)}</td><td>{esc(m.when)}</td><td>{esc(m.difference)}</td>"
                    f"<td>{esc(m.limit)}</td>{_toned('td', m.outcome, esc, 'st')}</tr>")
    return (head + '<table class="gonogo-comparison"><tr><th>measure</th><th>unit</th><th>this run</th>'
            "<th>last GO</th><th>when</th><th>difference</th><th>limit</th><th>outcome</th></tr>"
            + "".join(rows) + "</table>")


def rollback_section(view: VerdictView, esc: Escape) -> str:
    """The rollback plan, or what the rollback did: mode, scopes, each action's status and detail."""
    rollback = view.rollback
    if rollback is None:
        return ""
    head = f"<h3>{esc(rollback.title)}</h3><p>{esc(rollback.summary)}</p>"
    if rollback.empty:
        return head + f"<p>{esc(rollback.empty)}</p>"
    if not rollback.actions:
        return head
    rows = "".join(f"<tr><td>{esc(a.name)}</td>{_toned('td', a.status, esc, 'st')}<td>{esc(a.detail)}</td></tr>"
                   for a in rollback.actions)
    return (head + "<table class=\"gonogo-rollback\"><tr><th>action</th><th>status</th><th>detail</th></tr>"
            + rows + "</table>")


def notifications_section(view: VerdictView, esc: Escape) -> str:
    """Where the end state was sent: one line per destination (a failed one never changes the verdict)."""
    if not view.notifications:
        return ""
    return "<h3>Notifications</h3><ul>" + "".join(_toned("li", n, esc, "notify") for n in view.notifications) + "</ul>"


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


def _measure(record: Mapping[str, Any], esc: Escape) -> str:
    unit = f" {record.get('unit')}" if record.get("unit") else ""
    return (f'<div class="gonogo-ev"><span class="label">Measure</span> {esc(record.get("name"))} = '
            f'<b>{esc(record.get("value"))}{esc(unit)}</b> ({esc(record.get("better"))} is better)</div>')


IMAGE_LIMIT = 5 * 1024 * 1024


def read_image(path: str, limit: int = IMAGE_LIMIT) -> str | None:
    """The file as base64 (to embed as a data URI), or None when it is gone, unreadable or over `limit` bytes."""
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError:
        return None
    if not data or len(data) > limit:
        return None
    return base64.b64encode(data).decode("ascii")


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


def _picture(record: Mapping[str, Any]) -> bool:
    return record.get("kind") == "file" and str(record.get("mime") or "").startswith("image/")


def evidence_html(criterion: str, stage: str, records: Iterable[Mapping[str, Any]], esc: Escape,
                  read_image: Callable[[str], str | None], inconclusive: str | None = None) -> str:
    """A test's criterion and its evidence, readable: HTTP exchanges, command tails, notes, images.

    `inconclusive`: the message of a test that could not observe (pytest-html's own column says Failed).
    """
    parts = [f'<div class="gonogo-ev"><span class="label">Criterion</span> {esc(criterion)} '
             f"(stage {esc(stage)})</div>"]
    if inconclusive is not None:
        parts.append(f'<div class="gonogo-ev"><span class="label tone-warn">Inconclusive</span> {esc(inconclusive)}'
                     "</div>")
    # Pictures first (a chart, a screenshot): what a reviewer takes in at a glance, above a long run of
    # exchanges; every other record keeps its order.
    for record in sorted(records, key=lambda r: not _picture(r)):
        kind = record.get("kind")
        if kind == "http":
            parts.append(_http(record, esc))
        elif kind == "command":
            parts.append(_command(record, esc))
        elif kind == "note":
            parts.append(_note(record, esc))
        elif kind == "file":
            parts.append(_file(record, esc, read_image))
        elif kind == "measure":
            parts.append(_measure(record, esc))
    return "".join(parts)


def escaper(redact: Callable[[str], str]) -> Escape:
    """Redact, then HTML-escape: every text that reaches the report goes through this."""
    return lambda value: _html.escape(redact("" if value is None else str(value)))
