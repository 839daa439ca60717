"""The release page, `reports/releases/<id>/release.html`: one self-contained file, rewritten after each step.

The verdict, a timeline of the steps drawn to scale (SVG widths proportional to durations), the migrations
applied, the env diff (key names only), each stage's verdict with a link to its report, each stage's measures
against the last GO on the target, the soak window's chart, the rollback.
"""
from __future__ import annotations

import html
import os
from pathlib import Path

from gonogo.html_render import read_image
from release.journal import Journal, Release, parse_iso
from release.progress import seconds
from release.view import build, page_path

COLOURS = {"GO": "#1a7f37", "NO-GO": "#cf222e", "INCONCLUSIVE": "#9a6700", "ABANDONED": "#57606a"}
STATE_COLOURS = {"done": "#2da44e", "failed": "#cf222e", "held": "#bf8700", "interrupted": "#8c959f",
                 "running": "#0969da"}
# A limit's outcome, in the tone gonogo's view gives it.
TONE_COLOURS = {"good": "#1a7f37", "warn": "#9a6700", "bad": "#cf222e", "neutral": "#57606a"}
WIDTH = 900
# A chart larger than this is linked, not embedded: the page stays small enough to mail.
CHART_LIMIT = 2 * 1024 * 1024
STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#1f2328;max-width:1100px}
.banner{color:#fff;padding:1em 1.5em;border-radius:6px;font-size:1.3em}
table{border-collapse:collapse;margin:1em 0;width:100%}td,th{border:1px solid #d0d7de;padding:4px 8px;
text-align:left;vertical-align:top;font-size:.9em}th{background:#f6f8fa}code{font-size:.9em}
svg text{font-size:11px;font-family:system-ui,sans-serif}.muted{color:#57606a}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #d0d7de}figcaption{font-size:.9em;color:#57606a}
"""


def path_of(release: Release) -> Path:
    return page_path(release)


def _e(value) -> str:
    return html.escape("" if value is None else str(value))


def _clock(stamp: str | None) -> str:
    """`12:55:05.422` of an ISO time (the date is in the header)."""
    return stamp[11:23] if stamp else ""


def _link(path: str | None, page_dir: Path, label: str) -> str:
    if not path:
        return ""
    return f'<a href="{_e(os.path.relpath(path, page_dir))}">{_e(label)}</a>'


def _timeline(view: dict) -> str:
    attempts = [a for a in view["attempts"] if a["started_at"]]
    if not attempts:
        return "<p class=muted>no step yet</p>"
    origin = parse_iso(view["started_at"])
    ends = [parse_iso(a["ended_at"] or a["started_at"]) for a in attempts]
    span = max(1.0, (max(ends) - origin).total_seconds())
    scale = (WIDTH - 170) / span
    rows = []
    for i, a in enumerate(attempts):
        start = (parse_iso(a["started_at"]) - origin).total_seconds()
        duration = a["duration_s"] or 0.0
        x, y, w = 160 + start * scale, 8 + i * 22, max(1.5, duration * scale)
        label = f"{a['letter']} {a['name']}" + (f" #{a['attempt']}" if a["attempt"] > 1 else "")
        rows.append(f'<text x="0" y="{y + 13}">{_e(label)}</text>'
                    f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="16" rx="2" '
                    f'fill="{STATE_COLOURS.get(a["state"], "#8c959f")}"><title>{_e(label)}: {_e(a["state"])} '
                    f'{_e(seconds(duration))}</title></rect>'
                    f'<text x="{min(x + w + 4, WIDTH - 60):.1f}" y="{y + 13}" class="muted">'
                    f'{_e(seconds(duration))}</text>')
    height = 16 + len(attempts) * 22
    axis = f'<text x="160" y="{height + 4}" class="muted">0 s</text>' \
           f'<text x="{WIDTH - 60}" y="{height + 4}" class="muted">{_e(seconds(span))}</text>'
    return f'<svg width="{WIDTH}" height="{height + 10}" role="img">{"".join(rows)}{axis}</svg>'


def _charts(view: dict, page_dir: Path) -> str:
    """Each stage attempt's charts (the soak window), as an <img> of the SVG: nothing in it can run."""
    parts = []
    for a in view["attempts"]:
        label = f"{a['letter']} {a['name']}" + (f" #{a['attempt']}" if a["attempt"] > 1 else "")
        for chart in (a.get("evidence") or {}).get("charts") or []:
            data = read_image(chart["path"], CHART_LIMIT)
            caption = f"{_e(label)}: {_e(chart.get('title'))}"
            if data is None:
                parts.append(f"<p class=muted>{caption}: {_link(chart['path'], page_dir, 'chart')} (not embedded)</p>")
            else:
                parts.append(f'<figure><img alt="{_e(chart.get("title"))}" src="data:image/svg+xml;base64,{data}">'
                             f"<figcaption>{caption}</figcaption></figure>")
    if parts:
        return "".join(parts)
    if view.get("state") == "ended" and not any(a["name"] == "soak" for a in view["attempts"]):
        return "<p class=muted>no soak ran in this release</p>"
    return "<p class=muted>no chart yet (the soak draws its window when it ends)</p>"


def _comparisons(view: dict) -> str:
    """Each stage's measures against the last GO on the target: both numbers, the difference, the limit."""
    stages = [s for s in view["steps"] if s.get("comparison")]
    if not stages:
        return ""
    parts = ["<h2>Compared with the last GO</h2>"]
    for step in stages:
        c = step["comparison"]
        parts.append(f"<h3>{_e(step['name'])}: {_e(c['heading'])}</h3>")
        if c["note"]:
            parts.append(f"<p class=muted>{_e(c['note'])}</p>")
        if c["rows"]:
            parts.append("<table><tr><th>measure</th><th>unit</th><th>this run</th><th>last GO</th><th>when</th>"
                         "<th>difference</th><th>limit</th><th>outcome</th></tr>")
            for r in c["rows"]:
                colour = TONE_COLOURS.get(r["outcome"]["tone"], "inherit")
                parts.append(f"<tr><td>{_e(r['measure'])}</td><td>{_e(r['unit'])}</td><td>{_e(r['this_run'])}</td>"
                             f"<td>{_e(r['last_go'])}</td><td>{_e(r['when'])}</td><td>{_e(r['difference'])}</td>"
                             f"<td>{_e(r['limit'])}</td><td style=\"color:{colour};font-weight:bold\">"
                             f"{_e(r['outcome']['text'])}</td></tr>")
            parts.append("</table>")
    return "".join(parts)


def render(view: dict) -> str:
    page_dir = Path(view["page"]).parent
    verdict = view["verdict"] or ("RUNNING" if view["state"] == "running" else "-")
    colour = COLOURS.get(verdict, "#0969da")
    t = view["timing"]
    parts = [f"<!doctype html><html><head><meta charset=utf-8><title>{_e(verdict)} release {_e(view['id'])}</title>"
             f"<style>{STYLE}</style></head><body>",
             f'<div class=banner style="background:{colour}">{_e(verdict)}: release {_e(view["id"])} on '
             f'{_e(view["target"])}</div>',
             f"<p>commit <code>{_e(view['sha'])}</code>, tag <code>{_e(view['tag'])}</code>, strategy "
             f"{_e(view['strategy'])}, rollback {_e(view['rollback_mode'])}; state {_e(view['state'])}"
             f"{', exit ' + _e(view['exit_code']) if view['exit_code'] is not None else ''}</p>",
             f"<p>{_e(view['reason'] or '')}</p>",
             f"<p class=muted>started {_e(view['started_at'])}, ended {_e(view['ended_at'] or '-')}; wall "
             f"{_e(seconds(t['wall_s']))}, active {_e(seconds(t['active_s']))}: stages {_e(seconds(t['stages_s']))}, "
             f"provider waits {_e(seconds(t['provider_waits_s']))}, soak {_e(seconds(t['soak_s']))}, outside them "
             f"{_e(seconds(t['outside_s']))} ({t['outside_share'] * 100:.1f} %)</p>",
             "<h2>Timeline</h2>", _timeline(view), "<h2>Steps</h2>",
             "<table><tr><th>step</th><th>runbook</th><th>state</th><th>start (UTC)</th><th>end</th><th>duration</th>"
             "<th>detail</th><th>verdict</th></tr>"]
    for a in view["attempts"]:
        links = " ".join(x for x in (_link(a["report_html"], page_dir, "report"),
                                     _link(a["verdict_json"], page_dir, "verdict.json")) if x)
        parts.append(f"<tr><td>{_e(a['letter'])} {_e(a['name'])}{' #' + str(a['attempt']) if a['attempt'] > 1 else ''}"
                     f"</td><td>{_e(a['runbook_lines'])}</td><td>{_e(a['state'])}</td><td>{_e(_clock(a['started_at']))}</td>"
                     f"<td>{_e(_clock(a['ended_at']))}</td><td>{_e(seconds(a['duration_s']))}</td>"
                     f"<td>{_e(a['detail'])}</td><td>{_e(a['verdict'] or '')} {links}</td></tr>")
    parts.append("</table>")
    parts.append(_comparisons(view))
    parts.append("<h2>Soak window</h2>")
    parts.append(_charts(view, page_dir))
    parts.append("<h2>Migrations applied</h2>")
    if view["migrations_applied"]:
        parts.append("<ul>" + "".join(f"<li><code>{_e(m['name'])}</code> ({_e(m['version'])}, {_e(m['state'])})</li>"
                                      for m in view["migrations_applied"]) + "</ul>")
    else:
        parts.append("<p class=muted>none</p>")
    parts.append("<h2>Env diff (key names only)</h2>")
    rows = [(service, action, keys) for service, actions in view["env_diff"].items()
            for action, keys in actions.items() if keys]
    if rows:
        parts.append("<table><tr><th>service</th><th>change</th><th>keys</th></tr>" + "".join(
            f"<tr><td>{_e(s)}</td><td>{_e(a)}</td><td>{_e(', '.join(k))}</td></tr>" for s, a, k in rows) + "</table>")
    else:
        parts.append("<p class=muted>no change</p>")
    parts.append("<h2>Rollback</h2>")
    rolled = view["rolled_back"]
    if rolled and rolled.get("triggered"):
        parts.append(f"<p>mode {_e(rolled.get('mode'))}, scopes {_e(', '.join(rolled.get('scopes', [])))}</p><table>"
                     "<tr><th>action</th><th>status</th><th>detail</th></tr>" + "".join(
                         f"<tr><td>{_e(a.get('name'))}</td><td>{_e(a.get('status'))}</td><td>{_e(a.get('detail'))}"
                         "</td></tr>" for a in rolled.get("actions", [])) + "</table>")
    else:
        parts.append("<p class=muted>nothing rolled back</p>")
    parts.append("<h2>Events</h2><ul>" + "".join(f"<li>{_e(e['at'])} {_e(e['kind'])}: {_e(e['detail'])}</li>"
                                                 for e in view["events"]) + "</ul></body></html>")
    return "\n".join(parts)


def write(journal: Journal, release_id: str) -> Path:
    release = journal.release(release_id)
    path = path_of(release)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(render(build(journal, release)))
    tmp.replace(path)
    return path
