"""What the soak window saw, read from Render for its chart: app log lines by level, the API's requests, CPU
and memory, per bucket (docs/providers.md#render-logs, #render-metrics).

A source that cannot be read is left out and named (`SoakSeries.missing`): the chart is a picture of the
window, never a judgment, so nothing here raises a provider error.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from itertools import islice

from gonogo_providers import ProviderError, RenderClient
from harness.charts import (
    MIN_SPAN_S,
    P0_COLOUR,
    P1_COLOUR,
    WARNING_COLOUR,
    Abort,
    LevelSeries,
    Point,
    SoakSeries,
    bucket_of,
    bucket_seconds,
    buckets,
)
from harness.soak import SoakWindow
from harness.target import Target

# Render's name for a warning line (UNCONFIRMED like every level name: docs/providers.md#render-logs).
WARNING_LEVELS = ("warning",)
# Lines read per level group at most (20 pages of 100): a noisy window's warnings keep the newest ones.
LINES_CAP = 2000


def read_series(render: RenderClient, target: Target, thresholds: dict, window: SoakWindow, until: datetime,
                abort: Abort | None = None) -> SoakSeries:
    """The window from the deploy going live to `until` (the abort, or the end), bucketed to read at a glance."""
    start = window.start
    bucket = bucket_seconds(max(MIN_SPAN_S, (until - start).total_seconds()))
    grid = buckets(start, until, bucket)
    if len(grid) > 1 and (until - grid[-1]).total_seconds() < bucket / 2:
        # A last bucket cut short by the abort would read as a drop in errors and requests right before it.
        grid = grid[:-1]
    missing: list[str] = []
    resources = [target.render_api_service_id, target.render_worker_service_id]
    groups = (("P0", thresholds["p0_levels"], P0_COLOUR), ("P1", thresholds["p1_levels"], P1_COLOUR),
              ("warning", WARNING_LEVELS, WARNING_COLOUR))
    levels = []
    for name, names, colour in groups:
        if not names:
            continue
        try:
            entries = islice(render.iter_logs(target.render_owner_id, resources, type="app", levels=list(names),
                                              start=start, end=until), LINES_CAP + 1)
            counts = _count((e.timestamp for e in entries if e.timestamp is not None), bucket)
        except ProviderError as exc:
            missing.append(f"{name} log lines ({type(exc).__name__})")
            continue
        partial = sum(counts.values()) > LINES_CAP
        levels.append(LevelSeries(name, tuple(names), tuple((t, counts.get(t, 0)) for t in grid), colour, partial))

    def metric(kind: str, combine: Callable[[list[float]], float], label: str) -> dict[datetime, float] | None:
        try:
            series = render.metrics(kind, target.render_api_service_id, start=grid[0], end=until,
                                    resolution_seconds=bucket)
        except ProviderError as exc:
            missing.append(f"{label} ({type(exc).__name__})")
            return None
        values: dict[datetime, list[float]] = defaultdict(list)
        for one in series:  # one series per instance: a deploy overlaps two
            for point in one.points:
                if point.timestamp is not None:
                    values[bucket_of(point.timestamp, bucket)].append(point.value)
        return {t: combine(v) for t, v in values.items()}

    requests = metric("http-requests", sum, "API requests")
    cpu = metric("cpu", max, "API CPU")
    memory = metric("memory", max, "API memory")
    return SoakSeries(
        start=start, end=until, bucket_s=bucket, levels=tuple(levels),
        # A bucket without requests served none; CPU and memory are drawn only where sampled.
        requests=tuple((t, requests.get(t, 0.0)) for t in grid) if requests is not None else (),
        cpu=_points(cpu), memory=_points(memory), abort=abort, missing=tuple(missing))


def _count(stamps: Iterable[datetime], bucket: int) -> dict[datetime, int]:
    counts: dict[datetime, int] = defaultdict(int)
    for stamp in stamps:
        counts[bucket_of(stamp, bucket)] += 1
    return counts


def _points(values: dict[datetime, float] | None) -> tuple[Point, ...]:
    return tuple(sorted((values or {}).items()))
