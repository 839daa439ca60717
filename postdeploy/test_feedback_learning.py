"""Go/no-go 5: a feedback event is stored, a learning job is enqueued, the worker takes it and completes it in time.

Proven on the queue itself: the job's own `started_at` (the worker took it) within `learning_job_pickup_s`,
`completed` within `learning_job_timeout_s`, both from its `created_at`, and no error line in the worker's
app logs while it ran (docs/runbook.md#map-section-5, line 5.F.3).
"""
from __future__ import annotations

import time
from datetime import timedelta

import pytest

from gonogo_providers.errors import ProviderError
from harness import learning
from harness.soak import utcnow

# Render's log API can lag a moment behind the worker's output; the window is widened by a second each side
# because the job's timestamps and the log timestamps come from different clocks.
LOG_SETTLE_S = 2.0
LOG_MARGIN = timedelta(seconds=1)


@pytest.mark.postdeploy
@pytest.mark.criterion("feedback-learning")
def test_feedback_event_reaches_a_processed_learning_job(api, api_unrecorded, owner, run_id, database, thresholds,
                                                         target, render, evidence):
    job_id = None
    # The API enqueues a job once the twin has FEEDBACK_LEARNING_MIN_EVENTS unprocessed events.
    for n in range(1, thresholds["max_feedback_events"] + 1):
        response = api.post("/feedback", headers=owner.headers, json={
            "twin_id": owner.twin_id, "message_id": None, "rating": 1 if n % 2 else -1,
            "comment": f"gonogo postdeploy feedback {n}", "run_id": run_id,
        })
        assert response.status_code == 201, f"POST /feedback answered {response.status_code}: {response.text[:200]}"
        event_id = response.json().get("event_id")
        assert database.feedback_event_exists(event_id), f"feedback event {event_id} is not in the database"
        job_id = response.json().get("job_id")
        if job_id:
            break
    assert job_id, (f"no learning job was enqueued after {thresholds['max_feedback_events']} feedback events "
                    "(check FEEDBACK_LEARNING_MIN_EVENTS and the cooldown)")
    enqueued = utcnow()

    pickup_s = target.learning_job_pickup_s or thresholds["learning_job_pickup_s"]
    timeout_s = target.learning_job_timeout_s or thresholds["learning_job_timeout_s"]
    last = []

    def read_job():
        # Polled every 0.2 s without per-request evidence; the last answer is kept below.
        reply = api_unrecorded.get(f"/feedback/jobs/{job_id}", headers=owner.headers)
        assert reply.status_code == 200, f"GET /feedback/jobs/{job_id} answered {reply.status_code}"
        last[:] = [reply]
        return reply.json()

    job = learning.follow_job(read_job, job_id, pickup_s=pickup_s, timeout_s=timeout_s)
    evidence.http(last[0])
    evidence.note(f"learning job {job_id}", learning.describe(job, pickup_s=pickup_s, timeout_s=timeout_s))
    # The job's own latencies, compared with the last GO (runbook.toml [limits.learning-job-pickup-rise]).
    for name, seconds in (("learning_job_pickup_s", job.pickup_s), ("learning_job_completion_s", job.total_s)):
        if seconds is not None:
            evidence.measure(name, round(seconds, 3), unit="s", better="lower")
    found = learning.failures(job, pickup_s=pickup_s, timeout_s=timeout_s)

    # The worker's app logs while the job was in its hands hold no P0/P1 line (the soak's levels).
    start = (job.created_at or enqueued) - LOG_MARGIN
    end = (job.completed_at or utcnow()) + LOG_MARGIN
    settle = (end - utcnow()).total_seconds() + LOG_SETTLE_S
    if settle > 0:
        time.sleep(settle)
    levels = [*thresholds["p0_levels"], *thresholds["p1_levels"]]
    try:
        errors = list(render.iter_logs(target.render_owner_id, target.render_worker_service_id, type="app",
                                       levels=levels, start=start, end=end))
    except ProviderError as exc:
        if not found:
            raise  # unchanged: provider trouble says nothing about the queue
        # The job already failed on its own timestamps: that verdict stands without the logs.
        evidence.note("worker app logs unavailable", str(exc))
        errors = None
    if errors is not None:
        evidence.note(f"worker app logs {start:%H:%M:%S.%f}Z to {end:%H:%M:%S.%f}Z, levels {', '.join(levels)}",
                      "\n".join(f"[{e.level}] {e.timestamp} {e.message[:300]}" for e in errors[:20]) or "no line")
    if errors:
        found.append(f"the worker logged {len(errors)} error line(s) while learning job {job_id} was pending; first: "
                     f"[{errors[0].level}] {errors[0].message[:200]}")
    assert not found, "; ".join(found)
