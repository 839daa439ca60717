"""The soak window as a picture: app log lines by level with the API's requests, then its CPU and memory.

Drawn by pygal (the `charts` extra) into one SVG file that the soak test attaches as evidence; the HTML report
and the release page embed it as an `<img>`, where nothing in it could run anyway. It loads nothing: no
script from the network (`js=[]`), pygal's inline config script dropped, system fonts only.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pygal
from pygal.style import Style

Point = tuple[datetime, float]

# Bucket sizes (seconds) a chart may use: the smallest that keeps a window to MAX_BUCKETS points, so a 20 s
# sandbox soak reads by 2 s and a 30 minute production soak by the minute.
BUCKETS_S = (2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
MAX_BUCKETS = 40
# Time labels: at most MAX_LABELS, on round clock times.
LABEL_STEPS_S = (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400)
MAX_LABELS = 8
# A chart spans at least this much, so an abort right after the deploy still has an axis to stand on; and a
# little past its end, so the abort marker stands clear of the right axis.
MIN_SPAN_S = 10.0
PAD_SHARE = 0.03
WIDTH, HEIGHT = 900, 400
INTERVALS = 5  # horizontal guides on both y axes, so the left and right ticks share them

P0_COLOUR, P1_COLOUR, WARNING_COLOUR = "#cf222e", "#e36209", "#bf8700"
REQUESTS_COLOUR, CPU_COLOUR, MEMORY_COLOUR, ABORT_COLOUR = "#0969da", "#0969da", "#1a7f37", "#000000"
_BASE_STYLE = dict(
    background="white", plot_background="white", foreground="#24292f", foreground_strong="#000",
    foreground_subtle="#57606a", font_family="DejaVu Sans, Helvetica, Arial, sans-serif", label_font_size=12,
    major_label_font_size=12, legend_font_size=13, title_font_size=15, stroke_width="2",
    guide_stroke_color="#d0d7de", major_guide_stroke_color="#8c959f",
)


@dataclass(frozen=True)
class Abort:
    """Where the soak stopped early, and why (`P0 in app logs`)."""

    at: datetime
    label: str


@dataclass(frozen=True)
class LevelSeries:
    """Log lines of some levels, counted per bucket; `partial` when only the newest lines could be read."""

    name: str
    levels: tuple[str, ...]
    points: tuple[Point, ...]
    colour: str
    partial: bool = False

    @property
    def legend(self) -> str:
        levels = "" if self.levels == (self.name,) else f" ({', '.join(self.levels)})"
        return f"{self.name}{levels} lines" + (", newest only" if self.partial else "")


@dataclass(frozen=True)
class SoakSeries:
    """What the soak saw from `start` (the deploy went live) to `end` (the abort, or the end of the window).

    Each point stands at the end of its bucket (`bucket_s` long) and counts, or averages, the bucket up to it.
    """

    start: datetime
    end: datetime
    bucket_s: int
    levels: tuple[LevelSeries, ...] = ()
    requests: tuple[Point, ...] = ()  # requests per bucket
    cpu: tuple[Point, ...] = ()  # cores (1.0 = one core busy)
    memory: tuple[Point, ...] = ()  # bytes
    abort: Abort | None = None
    # What could not be read (a provider call that failed): said under the chart, never hidden.
    missing: tuple[str, ...] = field(default=())


def bucket_seconds(span_s: float) -> int:
    """The bucket for a window of `span_s` seconds: at most MAX_BUCKETS points."""
    return next((b for b in BUCKETS_S if span_s / b <= MAX_BUCKETS), BUCKETS_S[-1])


def bucket_of(when: datetime, bucket_s: int) -> datetime:
    """The start of `when`'s bucket, on multiples of `bucket_s` since the epoch (as Render's metrics are)."""
    stamp = when.timestamp()
    return datetime.fromtimestamp(stamp - stamp % bucket_s, UTC)


def buckets(start: datetime, end: datetime, bucket_s: int) -> list[datetime]:
    """Every bucket start from `start`'s bucket to `end`'s."""
    first, out = bucket_of(start, bucket_s), []
    while first <= end:
        out.append(first)
        first += timedelta(seconds=bucket_s)
    return out


def nice_top(peak: float, minimum: float = INTERVALS) -> float:
    """A round top for an axis of INTERVALS steps that holds `peak` (1, 2, 2.5 or 5 times a power of ten)."""
    step = max(peak, minimum) / INTERVALS
    power = 10 ** math.floor(math.log10(step))
    for m in (1, 2, 2.5, 5, 10):
        if m * power >= step - 1e-9:
            return m * power * INTERVALS
    return 10 * power * INTERVALS  # pragma: no cover - the loop always returns


def _span(series: SoakSeries) -> tuple[datetime, datetime]:
    start = series.start
    end = max(series.end, start + timedelta(seconds=MIN_SPAN_S))
    return start, end + (end - start) * PAD_SHARE


def _clock(step_s: int) -> str:
    return "%H:%M:%S" if step_s < 60 else "%H:%M"


def time_labels(start: datetime, end: datetime) -> tuple[list[datetime], str]:
    """Round clock times between start and end (at most MAX_LABELS) and their strftime format."""
    span = (end - start).total_seconds()
    step = next((s for s in LABEL_STEPS_S if span / s <= MAX_LABELS), LABEL_STEPS_S[-1])
    first = bucket_of(start, step)
    if first < start:
        first += timedelta(seconds=step)
    labels = []
    while first <= end:
        labels.append(first)
        first += timedelta(seconds=step)
    return labels, _clock(step)


def _per(bucket_s: int) -> str:
    return "per minute" if bucket_s == 60 else f"per {bucket_s} s" if bucket_s < 60 else f"per {bucket_s // 60} min"


def _drop_scripts(root: ET.Element) -> ET.Element:
    # pygal keeps one inline <script> (its config as JSON) even with js=[]: nothing uses it here.
    for parent in root.iter():
        for child in [c for c in parent if str(c.tag).endswith("script")]:
            parent.remove(child)
    return root


def _chart(title: str, y_title: str, top: float, secondary_top: float | None, colours: Sequence[str],
           start: datetime, end: datetime) -> pygal.DateTimeLine:
    labels, fmt = time_labels(start, end)
    chart = pygal.DateTimeLine(
        js=[], disable_xml_declaration=True, width=WIDTH, height=HEIGHT, title=title, y_title=y_title,
        x_title="time (UTC)", x_labels=labels, x_value_formatter=lambda d: d.strftime(fmt), xrange=(start, end),
        range=(0, top), y_labels=[top * i / INTERVALS for i in range(INTERVALS + 1)],
        secondary_range=(0, secondary_top) if secondary_top is not None else None,
        show_dots=False, show_x_guides=True, legend_at_bottom=True, legend_at_bottom_columns=2,
        truncate_legend=-1, print_values=False, include_x_axis=True,
        style=Style(colors=tuple(colours), **_BASE_STYLE),
    )
    chart.add_xml_filter(_drop_scripts)
    return chart


def _abort_marker(chart: pygal.DateTimeLine, abort: Abort | None, top: float) -> None:
    # A vertical dashed line: a two-point series at the abort's time, bottom to top of the left axis.
    if abort is not None:
        chart.add(f"abort {abort.at:%H:%M:%S}: {abort.label}", [(abort.at, 0), (abort.at, top)],
                  stroke_style={"width": 3, "dasharray": "8,4"})


def _title(series: SoakSeries) -> str:
    span = f"{series.start:%H:%M:%S}–{series.end:%H:%M:%S} UTC"
    if series.abort is not None:
        return f"Soak {span}: aborted at {series.abort.at:%H:%M:%S}, {series.abort.label}"
    return f"Soak {span}"


def errors_chart(series: SoakSeries) -> str:
    """App log lines by level (left axis) and API requests (right axis), per bucket, the abort marked."""
    start, end = _span(series)
    top = nice_top(max((v for s in series.levels for _, v in s.points), default=0))
    requests_top = nice_top(max((v for _, v in series.requests), default=0))
    colours = [s.colour for s in series.levels] + ([ABORT_COLOUR] if series.abort else []) + [REQUESTS_COLOUR]
    per = _per(series.bucket_s)
    chart = _chart(_title(series), f"log lines {per}", top, requests_top, colours, start, end)
    for level in series.levels:
        chart.add(f"app log: {level.legend}", list(level.points))
    _abort_marker(chart, series.abort, top)
    chart.add(f"API requests {per} (right axis)", list(series.requests), secondary=True)
    return chart.render()


def resources_chart(series: SoakSeries) -> str:
    """API CPU in % of one core (left axis) and memory in MB (right axis), the abort marked."""
    start, end = _span(series)
    cpu = [(t, v * 100) for t, v in series.cpu]
    memory = [(t, v / 1e6) for t, v in series.memory]
    top = nice_top(max((v for _, v in cpu), default=0))
    memory_top = nice_top(max((v for _, v in memory), default=0), minimum=50)
    colours = [CPU_COLOUR] + ([ABORT_COLOUR] if series.abort else []) + [MEMORY_COLOUR]
    chart = _chart("API CPU and memory (peak instance)", "CPU (% of one core)", top, memory_top, colours,
                   start, end)
    chart.add("API CPU (% of one core)", cpu)
    _abort_marker(chart, series.abort, top)
    chart.add("API memory MB (right axis)", memory, secondary=True)
    return chart.render()


def soak_svg(series: SoakSeries) -> str:
    """Both charts stacked in one SVG document (each pygal chart a nested <svg>), with what was missing."""
    charts = [errors_chart(series), resources_chart(series)]
    note = "; ".join(series.missing)
    note_h = 24 if note else 0
    height = HEIGHT * len(charts) + note_h
    nested = "".join(chart.replace("<svg ", f'<svg x="0" y="{HEIGHT * i}" width="{WIDTH}" height="{HEIGHT}" ', 1)
                     for i, chart in enumerate(charts))
    text = ""
    if note:
        text = (f'<text x="12" y="{HEIGHT * len(charts) + 16}" font-family="DejaVu Sans, sans-serif" font-size="12" '
                f'fill="#9a6700">not drawn: {_xml_escape(note)}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}"><rect width="100%" height="100%" fill="white"/>{nested}{text}</svg>')


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
