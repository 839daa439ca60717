"""Each API/worker build flag (and DEV_MODE) observed directly on real processes."""

from __future__ import annotations

import json
import sys
import time

import httpx
import pytest
from conftest import launch_stack
from test_app_repo import RUNNER_ARGS, copy_app_repo, run_in, runner_env

from sandbox.wait import wait_for

BUILD = "bad-health,share-writes-training,persona-regression-drop,p0-in-logs,worker-stalled"


@pytest.fixture(scope="module")
def stack(twin_db, redis_server, tmp_path_factory):
    # The flags touch separate code paths, so one process carrying all of them shows each one.
    running = launch_stack(twin_db, redis_server.url, tmp_path_factory.mktemp("builds"), build=BUILD,
                           DEV_MODE="true")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def client(stack):
    with httpx.Client(base_url=stack.api_url, timeout=10) as c:
        yield c


@pytest.fixture(scope="module")
def headers(stack, client):
    token = client.post("/auth/login", json={"email": stack.owner_email, "password": stack.owner_password})
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def test_bad_health_answers_503_while_the_rest_works(client, headers):
    resp = client.get("/health")
    assert resp.status_code == 503
    body = resp.json()
    assert body["status"] == "unhealthy" and body["checks"]["database"] == "ok" and body["checks"]["redis"] == "ok"
    assert "bad-health" in body["build"]
    assert client.get("/twins", headers=headers).status_code == 200


def test_share_writes_training_inserts_a_share_row(stack, client, headers):
    twin = stack.seeded["twin_id"]
    client.post(f"/public/share/{stack.seeded['share_token']}/chat", json={"message": "visitor text 42"})
    rows = client.get(f"/twins/{twin}/training", headers=headers).json()
    assert {"source": "share", "content": "visitor text 42"}.items() <= rows[-1].items()


def test_worker_stalled_leaves_the_job_processing(stack, client, headers):
    twin = stack.seeded["twin_id"]
    job = [client.post("/feedback", headers=headers, json={"twin_id": twin, "message_id": "m", "rating": -1})
           .json()["job_id"] for _ in range(5)][-1]
    assert job
    status = wait_for(lambda: client.get(f"/feedback/jobs/{job}", headers=headers).json()["status"],
                      lambda s: s != "queued", timeout=10, interval=0.05)
    assert status == "processing"
    time.sleep(1.5)
    assert client.get(f"/feedback/jobs/{job}", headers=headers).json()["status"] == "processing"
    assert "never finishes it" in stack.log("worker")


def test_p0_in_logs_writes_critical_lines_repeatedly(stack):
    critical = wait_for(lambda: [e for e in map(json.loads, stack.log("api").splitlines()) if e["level"] == "critical"],
                        lambda lines: len(lines) >= 2, timeout=8, interval=0.2)
    assert len(critical) >= 2 and all("P0" in e["message"] for e in critical)


def test_dev_mode_accepts_requests_without_a_token(client):
    assert client.get("/twins").status_code == 200


def test_persona_regression_drop_fails_the_runner(stack, tmp_path):
    repo = copy_app_repo(tmp_path)
    out = tmp_path / "persona.json"
    proc = run_in(repo, [sys.executable, "backend/eval/persona_regression_runner.py", *RUNNER_ARGS,
                         "--output", str(out)], env=runner_env(stack))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    assert report["passed"] is False
    assert report["adversarial_pass_rate"] < 0.95 and report["channel_isolation_pass_rate"] < 1.0
    assert report["pass_rate"] < 0.95
    assert any("leaked" in c["reason"] for c in report["cases"])
