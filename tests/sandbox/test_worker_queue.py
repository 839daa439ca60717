"""The worker-queue-broken build on real processes: it cannot read its queue, only the recovery sweep finishes
jobs (late), and the job API shows when a job was queued, taken and completed."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import httpx
import redis
from conftest import launch_stack

from sandbox import services
from sandbox.app import db, learning
from sandbox.wait import wait_for


def _utc(stamp: str) -> datetime:
    value = datetime.fromisoformat(stamp)
    assert value.utcoffset() == timedelta(0), f"{stamp} is not UTC"
    return value


def test_broken_queue_reads_log_errors_and_jobs_finish_only_through_recovery(twin_db, tmp_path):
    own_redis = services.start_redis(tmp_path / "redis")
    api = launch_stack(twin_db, own_redis.url, tmp_path, worker=False)
    worker = None
    try:
        with httpx.Client(base_url=api.api_url, timeout=10) as client:
            token = client.post("/auth/login", json={"email": api.owner_email, "password": api.owner_password})
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            twin = api.seeded["twin_id"]
            fresh = [client.post("/feedback", headers=headers, json={"twin_id": twin, "message_id": f"m{i}",
                                                                   "rating": 1}).json()["job_id"]
                     for i in range(5)][-1]
            # A job queued 31 s ago (past the recovery sweep's 30 s), on the Redis list too.
            with db.service_connection(twin_db) as conn:
                old = str(conn.execute(
                    "INSERT INTO learning_jobs (tenant_id, twin_id, status, created_at) VALUES (%s, %s, 'queued', "
                    "now() - interval '31 seconds') RETURNING id", (api.seeded["tenant_id"], twin)).fetchone()["id"])
            queue = redis.Redis.from_url(own_redis.url)
            queue.rpush(learning.QUEUE_KEY, old)
            env = {"DATABASE_URL": twin_db, "REDIS_URL": own_redis.url, "SANDBOX_BUILD": "worker-queue-broken"}
            worker = services.start_app_process("sandbox.app.worker", env, tmp_path / "worker.log")

            def job(job_id: str) -> dict:
                return client.get(f"/feedback/jobs/{job_id}", headers=headers).json()

            def lines() -> list[dict]:
                return [json.loads(line) for line in (tmp_path / "worker.log").read_text().splitlines() if line]

            done = wait_for(lambda: job(old), lambda j: j["status"] == "completed", timeout=10, interval=0.1)
            errors = wait_for(lambda: [e for e in lines() if e["level"] == "error"], timeout=10, interval=0.1)
            assert "cannot read the job queue feedback_learning:jobs" in errors[0]["message"]
            assert "WRONGTYPE" in errors[0]["message"]
            assert any(f"job {old} was queued but not in Redis" in e["message"] for e in lines())
            assert job(fresh)["status"] == "queued", "nothing takes the new job from the queue"
            assert queue.llen(learning.QUEUE_KEY) == 2, "both ids are still on the list"
            queue.close()

            # Late, as the timestamps say: taken 30 s or more after it was queued.
            created, started, completed = (_utc(done[k]) for k in ("created_at", "started_at", "completed_at"))
            assert started - created >= timedelta(seconds=30) and completed >= started
            waiting = job(fresh)
            _utc(waiting["created_at"])
            assert waiting["started_at"] is None and waiting["completed_at"] is None
    finally:
        if worker is not None:
            services.stop_pid(worker.pid)
            worker.wait(timeout=5)
        api.stop()
        own_redis.stop()
