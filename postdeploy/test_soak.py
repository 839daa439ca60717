"""Go/no-go 6 over the soak window: no P0/P1 in API and worker app logs; resource headroom (advisory)."""
from __future__ import annotations

import pytest

from harness import checks

pytestmark = pytest.mark.soak


@pytest.mark.criterion("no-p0-p1-errors")
def test_no_p0_or_p1_errors_in_app_logs(render, target, soak_window, thresholds, progress, soak_chart, evidence):
    levels = [*thresholds["p0_levels"], *thresholds["p1_levels"]]
    resources = [target.render_api_service_id, target.render_worker_service_id]
    for now in soak_window.ticks():
        entries = list(render.iter_logs(target.render_owner_id, resources, type="app", levels=levels,
                                        start=soak_window.start, end=now))
        if entries:
            first = entries[0]
            worst = "P0" if any(e.level in thresholds["p0_levels"] for e in entries) else "P1"
            seen = f"{worst} in app logs ({len(entries)} line{'s' if len(entries) > 1 else ''})"
            progress.poll("soak", soak_window.elapsed(now), soak_window.remaining(now), f"{seen}: stopping", at=now)
            soak_chart.abort(now, seen)
            checks.measure_log_levels(evidence, levels, entries)
            pytest.fail(f"{len(entries)} P0/P1 log line(s) since {soak_window.start:%H:%M:%S}Z; first: "
                        f"[{first.level}] {first.message[:200]} ({first.timestamp})")
        progress.poll("soak", soak_window.elapsed(now), soak_window.remaining(now), "no P0/P1 in app logs", at=now)
    # Soak error counts by level (warnings too, which never fail it), compared with the last GO.
    counted = [*levels, "warning"]
    checks.measure_log_levels(evidence, counted, render.iter_logs(target.render_owner_id, resources, type="app",
                                                                  levels=counted, start=soak_window.start, end=now))


@pytest.mark.criterion("resource-headroom")
def test_cpu_memory_and_requests_within_headroom(render, target, soak_window, thresholds, evidence):
    start, end = soak_window.start, soak_window.now()
    cpu = render.metrics("cpu", target.render_api_service_id, start=start, end=end)
    memory = render.metrics("memory", target.render_api_service_id, start=start, end=end)
    requests = render.metrics("http-requests", target.render_api_service_id, start=start, end=end)
    peak_cpu = max((v for series in cpu for v in (p.value for p in series.points)), default=None)
    peak_memory = max((v for series in memory for v in (p.value for p in series.points)), default=None)
    total_requests = sum(p.value for series in requests for p in series.points)
    # The window's peaks, request count and p95 latency, compared with the last GO (runbook.toml [limits]).
    for name, value, unit, better in (("api_cpu_peak", peak_cpu, "cores", "lower"),
                                      ("api_memory_peak", peak_memory, "bytes", "lower"),
                                      ("api_request_count", total_requests, "requests", "higher")):
        if value is not None:
            evidence.measure(name, value, unit=unit, better=better)
    checks.measure_p95_latency(render, target.render_api_service_id, start, end, evidence)
    assert peak_cpu is not None and peak_memory is not None, "Render returned no cpu or memory samples"
    assert peak_cpu <= thresholds["max_cpu_fraction"], f"API cpu peaked at {peak_cpu:.2f} of a core"
    assert peak_memory <= thresholds["max_memory_bytes"], f"API memory peaked at {peak_memory / 1e6:.0f} MB"
    assert total_requests > 0, "the API served no requests during the window"
