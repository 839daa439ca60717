"""The feedback -> learning job path shared by the API (enqueue) and the worker (process)."""

from __future__ import annotations

import psycopg

QUEUE_KEY = "feedback_learning:jobs"
JOB_TYPE = "feedback_learning"


def maybe_create_job(conn: psycopg.Connection, tenant_id: str, twin_id: str, min_events: int,
                     cooldown_minutes: int, run_id: str | None) -> str | None:
    """Insert a queued job when the twin has enough unprocessed events and none within the cooldown."""
    pending = conn.execute(
        "SELECT count(*) AS n FROM feedback_events WHERE twin_id = %s AND processed_at IS NULL", (twin_id,)
    ).fetchone()["n"]
    if pending < min_events:
        return None
    recent = conn.execute(
        "SELECT 1 FROM learning_jobs WHERE twin_id = %s AND job_type = %s "
        "AND created_at > now() - make_interval(mins => %s) LIMIT 1",
        (twin_id, JOB_TYPE, cooldown_minutes),
    ).fetchone()
    if recent:
        return None
    row = conn.execute(
        "INSERT INTO learning_jobs (tenant_id, twin_id, job_type, status, event_count, run_id) "
        "VALUES (%s, %s, %s, 'queued', %s, %s) RETURNING id",
        (tenant_id, twin_id, JOB_TYPE, pending, run_id),
    ).fetchone()
    return str(row["id"])


def claim(conn: psycopg.Connection, job_id: str) -> dict | None:
    """queued -> processing; None when the job is gone or already taken (a duplicate push)."""
    return conn.execute(
        "UPDATE learning_jobs SET status = 'processing', started_at = now() "
        "WHERE id = %s AND status = 'queued' RETURNING id, twin_id, job_type",
        (job_id,),
    ).fetchone()


def complete(conn: psycopg.Connection, job_id: str, twin_id: str) -> int:
    """Mark the twin's pending events processed and the job completed; return how many events."""
    with conn.transaction():
        done = conn.execute(
            "UPDATE feedback_events SET processed_at = now() WHERE twin_id = %s AND processed_at IS NULL",
            (twin_id,),
        ).rowcount
        conn.execute(
            "UPDATE learning_jobs SET status = 'completed', finished_at = now(), event_count = "
            "GREATEST(event_count, %s) WHERE id = %s",
            (done, job_id),
        )
    return done


def fail(conn: psycopg.Connection, job_id: str, error: str) -> None:
    conn.execute(
        "UPDATE learning_jobs SET status = 'failed', finished_at = now(), error = %s WHERE id = %s",
        (error[:500], job_id),
    )


def orphaned_queued(conn: psycopg.Connection, older_than_seconds: int = 30) -> list[str]:
    """Queued jobs Redis may have lost (e.g. a Redis restart): the worker re-takes them."""
    rows = conn.execute(
        "SELECT id FROM learning_jobs WHERE status = 'queued' AND job_type = %s "
        "AND created_at < now() - make_interval(secs => %s) ORDER BY created_at LIMIT 20",
        (JOB_TYPE, older_than_seconds),
    ).fetchall()
    return [str(r["id"]) for r in rows]
