"""Go/no-go 5's queue proof (harness/learning.py): follow a job on a fake clock, judge it by its own timestamps."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from harness.learning import JobTimeline, describe, failures, follow_job

T0 = "2026-11-24T10:00:00+00:00"


def at(seconds: float) -> str:
    return (datetime(2026, 11, 24, 10, tzinfo=UTC) + timedelta(seconds=seconds)).isoformat()


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t

    def sleep(self, seconds):
        self.t += seconds


def follow(answers, pickup_s=10, timeout_s=60):
    clock, answers = Clock(), list(answers)

    def read():
        return answers.pop(0) if len(answers) > 1 else answers[0]

    return follow_job(read, "job-1", pickup_s=pickup_s, timeout_s=timeout_s, clock=clock, sleep=clock.sleep), clock


def job(status, started=None, completed=None, **extra):
    return {"id": "job-1", "status": status, "created_at": T0, "started_at": started and at(started),
            "finished_at": completed and at(completed), **extra}


def test_a_job_taken_and_completed_in_time_passes_and_its_evidence_shows_the_three_timestamps():
    timeline, _ = follow([job("queued"), job("processing", 0.4), job("completed", 0.4, 1.25)])
    assert timeline.seen == ("queued", "processing", "completed")
    assert (timeline.pickup_s, timeline.total_s) == (0.4, 1.25)
    assert failures(timeline, pickup_s=10, timeout_s=60) == []
    text = describe(timeline, pickup_s=10, timeout_s=60)
    for line in (f"created_at={T0}", f"started_at={at(0.4)}", f"completed_at={at(1.25)}",
                 "picked up after 0.400 s (bound 10 s); completed after 1.250 s (bound 60 s); processing 0.850 s",
                 "statuses seen polling every 0.2 s: queued -> processing -> completed"):
        assert line in text


def test_completed_at_is_read_when_the_api_names_it_so():
    timeline = JobTimeline.from_json("job-1", {"status": "completed", "created_at": T0, "started_at": at(1),
                                               "completed_at": at(2)}, ("completed",))
    assert timeline.total_s == 2.0


def test_late_pickup_names_the_latency_and_the_bound():
    # Polls saw only `completed`: started_at, not the polls, proves the pass through processing.
    timeline, _ = follow([job("completed", 31.2, 31.5)])
    assert timeline.seen == ("completed",)
    assert failures(timeline, pickup_s=10, timeout_s=60) == [
        "learning job job-1 was picked up after 31.2 s, bound 10 s"]


def test_completed_late_names_the_latency():
    timeline, _ = follow([job("completed", 2, 75.5)])
    assert failures(timeline, pickup_s=10, timeout_s=60) == ["learning job job-1 completed after 75.5 s, bound 60 s"]


def test_a_job_still_queued_at_the_pickup_bound_stops_the_wait_there():
    timeline, clock = follow([job("queued")], pickup_s=10, timeout_s=60)
    assert 10 <= clock.t < 11
    assert failures(timeline, pickup_s=10, timeout_s=60) == [
        "learning job job-1 was not picked up within 10 s (still queued)"]


def test_a_job_stuck_in_processing_waits_until_the_timeout():
    timeline, clock = follow([job("queued"), job("processing", 0.6)], pickup_s=10, timeout_s=60)
    assert 60 <= clock.t < 61
    assert failures(timeline, pickup_s=10, timeout_s=60) == [
        "learning job job-1 did not complete within 60 s (still processing, picked up after 0.60 s)"]


@pytest.mark.parametrize(("body", "expected"), [
    (job("completed", None, 1.0), "learning job job-1 completed without a started_at: it never passed through "
                                  "processing"),
    (job("failed", 0.5, 0.9, error="boom"), "learning job job-1 failed: boom"),
    (job("completed", 0.5, None), "learning job job-1 is completed without a completed_at, so its completion "
                                  "latency cannot be shown"),
    ({**job("completed", 0.5, 0.9), "created_at": None}, "learning job job-1 has no created_at, so its latencies "
                                                          "cannot be measured"),
])
def test_a_job_that_cannot_prove_the_path_fails_saying_why(body, expected):
    timeline, _ = follow([body])
    assert failures(timeline, pickup_s=10, timeout_s=60) == [expected]
