"""The feedback-learning worker: BLPOP job ids from Redis, move them queued -> processing -> completed."""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time

import psycopg
import redis

from sandbox.app import db, learning, logs
from sandbox.app.settings import BuildFlag, ConfigError, Settings

log = logging.getLogger("worker")
# BLPOP blocks at most this long, so a SIGTERM is honoured within about a second.
POP_TIMEOUT = 1
MISSING_REDIS_EVERY = 3.0
RECOVER_EVERY = 15.0


def process(settings: Settings, job_id: str) -> str:
    """Run one job; return its final status ('processing' in the worker-stalled build)."""
    with db.service_connection(settings.database_url) as conn:
        job = learning.claim(conn, job_id)
        if job is None:
            log.info("job %s is not queued any more; skipped", job_id)
            return "skipped"
        log.info("job %s processing", job_id, extra={"fields": {"job_id": job_id, "status": "processing"}})
        if settings.has(BuildFlag.WORKER_STALLED):
            # The stalled build: it takes the job and then hangs on it forever.
            log.warning("job %s taken but this build never finishes it", job_id)
            return "processing"
        try:
            events = learning.complete(conn, job_id, str(job["twin_id"]))
        except psycopg.Error as exc:
            learning.fail(conn, job_id, f"{type(exc).__name__}: {exc}")
            log.error("job %s failed: %s", job_id, type(exc).__name__)
            return "failed"
    log.info("job %s completed (%d events)", job_id, events,
             extra={"fields": {"job_id": job_id, "status": "completed", "events": events}})
    return "completed"


def take(client: redis.Redis, settings: Settings) -> str | None:
    """One job id from the queue (waiting up to POP_TIMEOUT s), or None."""
    if settings.has(BuildFlag.WORKER_QUEUE_BROKEN):
        # The stream refactor: it reads the queue as a Redis stream while the API still pushes to a list,
        # so a read of a non-empty queue fails (WRONGTYPE) and no job is ever taken from it; only the
        # recovery sweep (`_recover`) still finds the jobs, once they are old enough.
        entries = client.xread({learning.QUEUE_KEY: "$"}, count=1, block=POP_TIMEOUT * 1000)
        return entries[0][1][0][1][b"job_id"].decode() if entries else None
    item = client.blpop([learning.QUEUE_KEY], timeout=POP_TIMEOUT)
    return item[1].decode() if item else None


def run(settings: Settings, stop: threading.Event) -> None:
    if not settings.redis_url:
        # Misconfigured deploy: stay up (as Render would) but do nothing, loudly.
        while not stop.is_set():
            log.error("REDIS_URL is not set: feedback-learning jobs cannot be taken")
            stop.wait(MISSING_REDIS_EVERY)
        return
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=POP_TIMEOUT + 5, socket_connect_timeout=3)
    next_recover = 0.0
    while not stop.is_set():
        try:
            if time.monotonic() >= next_recover:
                next_recover = time.monotonic() + RECOVER_EVERY
                _recover(settings)
            job_id = take(client, settings)
        except redis.ResponseError as exc:
            log.error("cannot read the job queue %s: %s", learning.QUEUE_KEY, exc)
            stop.wait(1.0)
            continue
        except redis.RedisError as exc:
            log.error("redis unavailable: %s", type(exc).__name__)
            stop.wait(1.0)
            continue
        except psycopg.Error as exc:
            log.error("database unavailable: %s", type(exc).__name__)
            stop.wait(1.0)
            continue
        if job_id:
            try:
                process(settings, job_id)
            except psycopg.Error as exc:
                log.error("job %s: database error %s", job_id, type(exc).__name__)
    client.close()


def _recover(settings: Settings) -> None:
    """Re-take queued jobs Redis lost (it runs without persistence)."""
    with db.service_connection(settings.database_url) as conn:
        orphans = learning.orphaned_queued(conn)
    for job_id in orphans:
        log.warning("job %s was queued but not in Redis; recovering it", job_id)
        process(settings, job_id)


def main() -> int:
    logs.setup("worker")
    try:
        settings = Settings.from_env(need_jwt=False)
    except ConfigError as exc:
        log.error(str(exc))
        return 2
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    log.info("worker starting", extra={"fields": {"build": settings.build_label, "queue": learning.QUEUE_KEY}})
    run(settings, stop)
    log.info("worker stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
