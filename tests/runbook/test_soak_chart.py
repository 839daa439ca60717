"""The soak window's chart: series read from Render, bucketed, drawn by pygal into one SVG that loads nothing."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from gonogo_providers import LogEntry, MetricPoint, MetricSeries, ServerError
from harness.charts import (
    P0_COLOUR,
    Abort,
    LevelSeries,
    SoakSeries,
    bucket_seconds,
    buckets,
    nice_top,
    soak_svg,
    time_labels,
)
from harness.soak import SoakWindow
from harness.soak_series import read_series

T0 = datetime(2026, 11, 24, 10, 0, 7, tzinfo=UTC)
THRESHOLDS = {"p0_levels": ["critical", "alert", "emergency"], "p1_levels": ["error"]}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def series(span_s: float, abort_s: float | None) -> SoakSeries:
    end = at(abort_s if abort_s is not None else span_s)
    bucket = bucket_seconds(span_s)
    grid = buckets(T0, end, bucket)
    p0 = tuple((t, 2 if abort_s is not None and t >= at(abort_s - 6) else 0) for t in grid)
    return SoakSeries(
        start=T0, end=end, bucket_s=bucket,
        levels=(LevelSeries("P0", ("critical", "alert", "emergency"), p0, P0_COLOUR),
                LevelSeries("P1", ("error",), tuple((t, 1) for t in grid), "#e36209"),
                LevelSeries("warning", ("warning",), tuple((t, 3) for t in grid), "#bf8700")),
        requests=tuple((t, 40) for t in grid), cpu=tuple((t, 0.05) for t in grid[::2]),
        memory=tuple((t, 80e6) for t in grid[::2]),
        abort=Abort(end, "P0 in app logs (3 lines)") if abort_s is not None else None)


def test_the_bucket_reads_a_sandbox_soak_by_seconds_and_a_production_soak_by_the_minute():
    assert bucket_seconds(20) == 2 and bucket_seconds(45) == 2
    assert bucket_seconds(30 * 60) == 60 and bucket_seconds(40 * 60) == 60
    assert bucket_seconds(3 * 3600) == 300
    assert [nice_top(v) for v in (0, 3, 7, 12, 480, 1234)] == [5, 5, 10, 12.5, 500, 1250]
    labels, fmt = time_labels(T0, at(40))
    assert fmt == "%H:%M:%S" and len(labels) <= 8 and all(lb.second % 5 == 0 for lb in labels)
    assert time_labels(T0, at(1800))[1] == "%H:%M"


def test_an_aborted_soak_is_drawn_with_axes_units_and_the_abort_marked():
    svg = soak_svg(series(45, 33))
    ET.fromstring(svg)  # one well-formed document: two nested pygal charts
    for text in ("log lines per 2 s", "time (UTC)", "CPU (% of one core)", "API memory MB (right axis)",
                 "API requests per 2 s (right axis)", "app log: P0 (critical, alert, emergency) lines",
                 "app log: P1 (error) lines", "app log: warning lines",
                 "Soak 10:00:07–10:00:40 UTC: aborted at 10:00:40, P0 in app logs (3 lines)",
                 "abort 10:00:40: P0 in app logs (3 lines)"):
        assert text in svg, text
    assert svg.count("stroke-dasharray:8,4") == 2  # the marker, on both charts
    assert "10:00:20" in svg and "10:00:30" in svg  # clock labels on the time axis


def test_the_chart_loads_nothing_and_runs_nothing():
    for svg in (soak_svg(series(45, 33)), soak_svg(series(1800, None))):
        assert "<script" not in svg and "kozea" not in svg and "googlefont" not in svg
        assert not re.search(r"(href|src)\s*=\s*['\"]?(https?:)?//", svg)
        assert "@import" not in svg and "url(http" not in svg
        assert len(svg) < 100_000  # embedded as a data URI in the report


def test_a_passed_soak_has_no_abort_marker_and_says_what_it_could_not_read():
    clean = soak_svg(series(1800, None))
    assert "abort" not in clean and "log lines per minute" in clean and "stroke-dasharray:8,4" not in clean
    partial = soak_svg(SoakSeries(start=T0, end=at(20), bucket_s=2, missing=("API CPU (ServerError)",)))
    assert "not drawn: API CPU (ServerError)" in partial


class FakeRender:
    """Logs and metrics as the Render client answers them; `failing` kinds raise a 5xx."""

    def __init__(self, failing: tuple[str, ...] = ()) -> None:
        self.failing = failing
        self.logs = [LogEntry(f"l{i}", "x", at(s), {"level": level}) for i, (s, level) in enumerate(
            [(1, "warning"), (3, "warning"), (3.5, "error"), (31, "critical"), (32, "critical")])]

    def iter_logs(self, owner_id, resources, *, type, levels, start, end):
        assert type == "app" and len(resources) == 2
        return iter([e for e in self.logs if e.level in levels and start <= e.timestamp < end])

    def metrics(self, kind, resource, start, end, resolution_seconds):
        if kind in self.failing:
            raise ServerError(provider="render", method="GET", url=f"/metrics/{kind}", status=503)
        value = {"cpu": 0.1, "memory": 9e7, "http-requests": 5}[kind]
        # Two instances (a deploy overlaps two): requests add up, CPU and memory take the busier one.
        return [MetricSeries({"instance": i}, "", tuple(MetricPoint(at(s), value * (n + 1)) for s in (0, 10, 20)))
                for n, i in enumerate(("a", "b"))]


class FakeTarget:
    render_owner_id, render_api_service_id, render_worker_service_id = "tea-1", "srv-api", "srv-worker"


def test_read_series_buckets_log_lines_by_level_and_combines_instances():
    window = SoakWindow(start=T0, duration=20, interval=5, observe_from=at(10))
    got = read_series(FakeRender(), FakeTarget(), THRESHOLDS, window, at(33), Abort(at(33), "P0"))
    assert got.bucket_s == 2 and got.end == at(33) and got.abort.label == "P0" and got.missing == ()
    # Each point stands at its bucket's end; the log buckets end at the abort, so the last one holds what
    # the soak stopped on.
    counts = {s.name: {t: v for t, v in s.points if v} for s in got.levels}
    assert counts == {"P0": {at(31): 1, at(33): 1}, "P1": {at(5): 1}, "warning": {at(1): 1, at(3): 1}}
    assert got.levels[0].points[-1] == (at(33), 1) and got.levels[0].points[0][0] == at(1)
    # Render's buckets start on multiples of 2 s: 10:00:06-08 holds the samples of 10:00:07 (at(0)), drawn at
    # 10:00:08; requests add up over the two instances, CPU and memory take the busier one.
    assert dict(got.requests)[at(1)] == 15 and dict(got.cpu)[at(1)] == 0.2 and dict(got.memory)[at(1)] == 1.8e8
    assert dict(got.requests)[at(3)] == 0 and got.requests[-1][0] == at(33)


def test_a_metric_bucket_the_abort_cuts_short_is_left_out():
    window = SoakWindow(start=T0, duration=20, interval=5, observe_from=at(10))
    got = read_series(FakeRender(), FakeTarget(), THRESHOLDS, window, at(12))  # 10:00:19, in the 18-20 bucket
    assert got.requests[-1][0] == at(11) and [t for t, _ in got.cpu] == [at(1), at(11)]


def test_a_source_that_fails_is_left_out_and_named():
    window = SoakWindow(start=T0, duration=20, interval=5, observe_from=at(10))
    got = read_series(FakeRender(failing=("cpu",)), FakeTarget(), THRESHOLDS, window, at(20))
    assert got.cpu == () and got.memory and got.missing == ("API CPU (ServerError)",)


@pytest.mark.parametrize("span", [3, 45, 1800, 4 * 3600])
def test_any_window_length_renders(span):
    ET.fromstring(soak_svg(series(span, span * 0.8)))
