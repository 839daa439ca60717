"""What the soak window saw, read from Render for its chart: app log lines by level, the API's requests, CPU
and memory, per bucket (docs/providers.md#render-logs, #render-metrics).

A source that cannot be read is left out and named (`SoakSeries.missing`): the chart is a picture of the
window, never a judgment, so nothing here raises a provider error.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
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
    """The window from the deploy going live to `until` (the abort, or the end), bucketed to read at a glance.

    Every point stands at the end of its bucket and counts (or averages) the bucket up to there. The log
    buckets end at `until`, so the last one is whole and holds the lines the soak stopped on; Render's metric
    buckets start on multiples of the resolution, so one the window cuts short is left out (its count would
    read as a drop right before the abort).
    """
    start = window.start
    bucket = bucket_seconds(max(MIN_SPAN_S, (until - start).total_seconds()))
    ends = log_bucket_ends(start, until, bucket)
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
            counts = _count((e.timestamp for e in entries if e.timestamp is not None), ends, bucket)
        except ProviderError as exc:
            missing.append(f"{name} log lines ({type(exc).__name__})")
            continue
        levels.append(LevelSeries(name, tuple(names), tuple(zip(ends, counts, strict=True)), colour,
                                  partial=sum(counts) > LINES_CAP))

    def metric(kind: str, combine: Callable[[list[float]], float], label: str) -> dict[datetime, float] | None:
        try:
            series = render.metrics(kind, target.render_api_service_id, start=bucket_of(start, bucket), end=until,
                                    resolution_seconds=bucket)
        except ProviderError as exc:
            missing.append(f"{label} ({type(exc).__name__})")
            return None
        values: dict[datetime, list[float]] = defaultdict(list)
        for one in series:  # one series per instance: a deploy overlaps two
            for point in one.points:
                if point.timestamp is None:
                    continue
                end = bucket_of(point.timestamp, bucket) + timedelta(seconds=bucket)
                if end <= until:
                    values[end].append(point.value)
        return {t: combine(v) for t, v in values.items()}

    requests = metric("http-requests", sum, "API requests")
    cpu = metric("cpu", max, "API CPU")
    memory = metric("memory", max, "API memory")
    if requests is not None:
        # A whole bucket without requests served none (Render lists only the buckets that have some).
        grid = buckets(start, until, bucket)
        requests = {t + timedelta(seconds=bucket): 0.0 for t in grid if t + timedelta(seconds=bucket) <= until
                    } | requests
    return SoakSeries(start=start, end=until, bucket_s=bucket, levels=tuple(levels), requests=_points(requests),
                      cpu=_points(cpu), memory=_points(memory), abort=abort, missing=tuple(missing))


def log_bucket_ends(start: datetime, until: datetime, bucket: int) -> list[datetime]:
    """Bucket ends counting back from `until`, the first bucket holding `start`."""
    count = max(1, math.ceil((until - start).total_seconds() / bucket))
    return [until - timedelta(seconds=bucket * k) for k in reversed(range(count))]


def _count(stamps: Iterable[datetime], ends: list[datetime], bucket: int) -> list[int]:
    counts = [0] * len(ends)
    for stamp in stamps:
        back = int((ends[-1] - stamp).total_seconds() // bucket)
        if 0 <= back < len(ends):
            counts[len(ends) - 1 - back] += 1
    return counts


def _points(values: dict[datetime, float] | None) -> tuple[Point, ...]:
    return tuple(sorted((values or {}).items()))
