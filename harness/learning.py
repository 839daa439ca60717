"""Go/no-go 5's queue proof: follow a learning job through the worker and judge it by its own timestamps.

The job is polled often (so `processing` is usually seen), but the latencies come from the job's
`created_at`, `started_at` (taken by the worker) and `completed_at` (`finished_at` in older answers), not
from when the poll happened to look (docs/runbook.md#map-section-5, line 5.F.3).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

POLL_INTERVAL_S = 0.2
FINAL = ("completed", "failed")


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else (end - start).total_seconds()


@dataclass(frozen=True)
class JobTimeline:
    """What `GET /feedback/jobs/{id}` said last, and every status the polls saw, in order."""

    job_id: str
    status: str
    created_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    error: str | None
    seen: tuple[str, ...]

    @classmethod
    def from_json(cls, job_id: str, body: Mapping[str, Any], seen: tuple[str, ...]) -> JobTimeline:
        return cls(job_id=job_id, status=str(body.get("status")), created_at=_time(body.get("created_at")),
                   started_at=_time(body.get("started_at")),
                   completed_at=_time(body.get("completed_at") or body.get("finished_at")),
                   error=body.get("error"), seen=seen)

    @property
    def pickup_s(self) -> float | None:
        """created_at -> started_at: how long the job waited in the queue."""
        return _seconds(self.created_at, self.started_at)

    @property
    def total_s(self) -> float | None:
        """created_at -> completed_at."""
        return _seconds(self.created_at, self.completed_at)

    @property
    def processing_s(self) -> float | None:
        return _seconds(self.started_at, self.completed_at)


def follow_job(
    read: Callable[[], Mapping[str, Any]],
    job_id: str,
    *,
    pickup_s: float,
    timeout_s: float,
    interval: float = POLL_INTERVAL_S,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> JobTimeline:
    """Poll until the job is completed or failed, is still queued after `pickup_s`, or `timeout_s` passes.

    Both bounds count from now (the job was just created); the verdict on them is `failures`, from the
    job's own timestamps.
    """
    start = clock()
    seen: list[str] = []
    while True:
        body = read()
        status = str(body.get("status"))
        if not seen or seen[-1] != status:
            seen.append(status)
        elapsed = clock() - start
        waiting = body.get("started_at") is None and status not in FINAL
        if status in FINAL or elapsed >= timeout_s or (waiting and elapsed >= pickup_s):
            return JobTimeline.from_json(job_id, body, tuple(seen))
        sleep(interval)


def failures(job: JobTimeline, *, pickup_s: float, timeout_s: float) -> list[str]:
    """One sentence per way the job missed go/no-go 5, naming the latency and the bound; empty when proven."""
    name = f"learning job {job.job_id}"
    found = []
    if job.created_at is None:
        found.append(f"{name} has no created_at, so its latencies cannot be measured")
    if job.status == "failed":
        found.append(f"{name} failed: {job.error or 'no error given'}")
    if job.started_at is None:
        if job.status == "completed":
            found.append(f"{name} completed without a started_at: it never passed through processing")
        elif job.status != "failed":
            found.append(f"{name} was not picked up within {pickup_s:g} s (still {job.status})")
    elif job.pickup_s is not None and job.pickup_s > pickup_s:
        found.append(f"{name} was picked up after {_shown(job.pickup_s)}, bound {pickup_s:g} s")
    if job.status not in FINAL:
        if job.started_at is not None:
            found.append(f"{name} did not complete within {timeout_s:g} s (still {job.status}, "
                         f"picked up after {_shown(job.pickup_s)})")
    elif job.status == "completed":
        if job.completed_at is None:
            found.append(f"{name} is completed without a completed_at, so its completion latency cannot be shown")
        elif job.total_s is not None and job.total_s > timeout_s:
            found.append(f"{name} completed after {_shown(job.total_s)}, bound {timeout_s:g} s")
    return found


def _shown(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    return f"{seconds:.1f} s" if abs(seconds) >= 1 else f"{seconds:.2f} s"


def _stamp(value: datetime | None) -> str:
    return value.isoformat() if value else "(none)"


def describe(job: JobTimeline, *, pickup_s: float, timeout_s: float) -> str:
    """The evidence: the three timestamps, the latencies against their bounds, the statuses the polls saw."""
    return "\n".join([
        f"status={job.status}",
        f"created_at={_stamp(job.created_at)}",
        f"started_at={_stamp(job.started_at)}",
        f"completed_at={_stamp(job.completed_at)}",
        f"picked up after {_precise(job.pickup_s)} (bound {pickup_s:g} s); completed after "
        f"{_precise(job.total_s)} (bound {timeout_s:g} s); processing {_precise(job.processing_s)}",
        f"statuses seen polling every {POLL_INTERVAL_S:g} s: {' -> '.join(job.seen)}",
    ])


def _precise(seconds: float | None) -> str:
    return "?" if seconds is None else f"{seconds:.3f} s"
