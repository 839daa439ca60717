"""Each fault switch's effect observed directly on one real stack, and `fault --clear` undoing it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import httpx
import psycopg
import pytest
from _stack import module_stack, newest_deploy, served_build, wait_until

stack = module_stack()
FOREIGN = "http://attacker.example.test"
CHROMIUM = "/usr/bin/chromium"


def _active(stack) -> list[str]:
    return json.loads(stack.call("status", "--json").stdout)["faults"]


def _sql(stack, query: str):
    with psycopg.connect(stack.status["database_url"], connect_timeout=5) as conn:
        return conn.execute(query).fetchall()


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_data_plane_and_project_faults_then_clear(stack):
    for name in ("node-version-mismatch", "migration-missing", "rls-disabled", "pinecone-not-ready"):
        stack.fault(name)
    assert _active(stack) == ["node-version-mismatch", "migration-missing", "rls-disabled", "pinecone-not-ready"]
    ref, project = stack.status["supabase_project_ref"], stack.status["vercel_project_id"]
    rls = "select relrowsecurity from pg_class where relname = 'feedback_events'"
    with stack.vercel() as v, stack.supabase() as s, stack.pinecone() as p:
        assert v.get(f"/v9/projects/{project}").json()["nodeVersion"] == "18.x"
        names = {m["name"] for m in s.get(f"/v1/projects/{ref}/database/migrations").json()}
        assert "add_feedback_learning_job_type" not in names and "phase7_feedback_learning_loop" in names
        assert _sql(stack, rls) == [(False,)]
        assert p.get("/indexes/digital-twin-brain").json()["status"] == {"ready": False, "state": "ScalingUp"}
        stack.clear()
        assert v.get(f"/v9/projects/{project}").json()["nodeVersion"] == "20.x"
        names = {m["name"] for m in s.get(f"/v1/projects/{ref}/database/migrations").json()}
        assert "add_feedback_learning_job_type" in names
        assert _sql(stack, rls) == [(True,)]
        assert p.get("/indexes/digital-twin-brain").json()["status"] == {"ready": True, "state": "Ready"}
    assert _active(stack) == []


def test_cors_wildcard_and_dev_mode_arrive_as_env_plus_deploy(stack):
    api = stack.status["api_url"]
    sid = stack.status["render_api_service_id"]
    assert "access-control-allow-origin" not in httpx.get(api + "/health", headers={"Origin": FOREIGN}).headers
    assert httpx.get(api + "/twins", timeout=5).status_code == 401
    stack.fault("cors-wildcard")
    stack.fault("dev-mode-on")
    with stack.render() as r:
        env = {row["envVar"]["key"]: row["envVar"]["value"]
               for row in r.get(f"/services/{sid}/env-vars", params={"limit": 100}).json()}
        assert env["ALLOWED_ORIGINS"] == "*" and env["DEV_MODE"] == "true"
        assert newest_deploy(r, sid)["status"] == "live"
    preflight = httpx.options(api + "/feedback", timeout=5, headers={
        "Origin": FOREIGN, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] in (FOREIGN, "*")
    unauthenticated = httpx.get(api + "/twins", timeout=5)
    assert unauthenticated.status_code == 200, "dev mode: the API accepts a call without a token"
    stack.clear()
    assert "access-control-allow-origin" not in httpx.get(api + "/health", headers={"Origin": FOREIGN}).headers
    assert httpx.get(api + "/twins", timeout=5).status_code == 401


def test_api_build_faults_stay_active_together_then_a_failed_build(stack, tmp_path):
    api, sid, twin = stack.status["api_url"], stack.status["render_api_service_id"], stack.status["twin_id"]
    share = stack.status["share_url"].rsplit("/", 1)[1]
    token = stack.owner_token()
    notes = [t["content"] for t in httpx.get(f"{api}/twins/{twin}/training", headers=_auth(token)).json()]
    count_share = "select count(*) from training_events where source = 'share'"
    before = _sql(stack, count_share)[0][0]
    for name in ("bad-deploy-health", "share-writes-training", "persona-regression-drop", "p0-in-logs"):
        stack.fault(name)
    health = httpx.get(api + "/health", timeout=5)
    assert health.status_code == 503 and health.json()["status"] == "unhealthy"
    chat = httpx.post(f"{api}/public/share/{share}/chat", json={"message": "What do you do?"}, timeout=10)
    assert chat.status_code == 200
    assert _sql(stack, count_share)[0][0] == before + 1, "the public share chat wrote a training row"
    assert any(note[:40] in chat.json()["answer"] for note in notes), "private notes leak on the public channel"
    code, report = _persona_regression(stack, tmp_path / "dropped.json")
    assert code == 1, f"the regression gate must fail under persona-regression-drop: {report}"
    params = {"ownerId": stack.status["render_owner_id"], "resource": sid, "level": "critical", "limit": 5}
    with stack.render() as r:
        lines = wait_until(lambda: r.get("/logs", params=params).json()["logs"], what="critical log lines")
        assert "P0" in lines[0]["message"]
        live = newest_deploy(r, sid)
        stack.fault("deploy-build-failed")
        assert newest_deploy(r, sid)["status"] == "build_failed"
        assert r.get(f"/services/{sid}/deploys/{live['id']}").json()["status"] == "live"
    assert httpx.get(api + "/health", timeout=5).status_code == 503, "the old (bad-health) process still serves"
    stack.clear()
    assert httpx.get(api + "/health", timeout=5).status_code == 200
    with stack.render() as r:
        assert newest_deploy(r, sid)["status"] == "live"
    healed = _sql(stack, count_share)[0][0]
    chat = httpx.post(f"{api}/public/share/{share}/chat", json={"message": "What do you do?"}, timeout=10)
    assert _sql(stack, count_share)[0][0] == healed, "no training write from the public context any more"
    assert not any(note[:40] in chat.json()["answer"] for note in notes)
    code, report = _persona_regression(stack, tmp_path / "healthy.json")
    assert code == 0, f"the healthy build passes the regression gate: {report}"


def _persona_regression(stack, out) -> tuple[int, dict]:
    """Run the app checkout's persona regression runner against the sandbox API (runbook 3.5)."""
    repo = stack.status["app_repo"]
    env = {**os.environ, "PERSONA_API_URL": stack.status["api_url"], "PERSONA_OWNER_EMAIL":
           stack.status["owner_email"], "PERSONA_OWNER_PASSWORD": stack.status["owner_password"]}
    res = subprocess.run([sys.executable, "backend/eval/persona_regression_runner.py", "--dataset",
                          "backend/eval/persona_regression_dataset.json", "--output", str(out),
                          "--min-pass-rate", "0.95", "--min-adversarial-pass-rate", "0.95",
                          "--min-channel-isolation-pass-rate", "1.0"],
                         cwd=repo, env=env, capture_output=True, text=True, timeout=60)
    return res.returncode, (json.loads(out.read_text()) if out.exists() else {"stderr": res.stderr})


def _learning_job(stack, token: str, run_id: str) -> str:
    api, twin = stack.status["api_url"], stack.status["twin_id"]
    job_id = None
    for _ in range(5):
        msg = httpx.post(f"{api}/twins/{twin}/chat", json={"message": "hello"}, headers=_auth(token), timeout=10)
        res = httpx.post(f"{api}/feedback", headers=_auth(token), timeout=10, json={
            "twin_id": twin, "message_id": msg.json()["message_id"], "rating": 1, "run_id": run_id})
        assert res.status_code == 201, res.text
        job_id = res.json()["job_id"] or job_id
    assert job_id, "five feedback events enqueue a learning job"
    return job_id


def _job_status(stack, token: str, job_id: str) -> str:
    res = httpx.get(f"{stack.status['api_url']}/feedback/jobs/{job_id}", headers=_auth(token), timeout=5)
    return res.json()["status"]


def test_worker_redis_missing_then_worker_stalled(stack):
    token, api = stack.owner_token(), stack.status["api_url"]
    wid = stack.status["render_worker_service_id"]
    stack.fault("worker-redis-missing")
    run = f"faults-{uuid.uuid4().hex[:8]}"
    try:
        job = _learning_job(stack, token, run)
        params = {"ownerId": stack.status["render_owner_id"], "resource": wid, "level": "error", "limit": 5}
        with stack.render() as r:
            wait_until(lambda: r.get("/logs", params=params).json()["logs"], what="worker error lines")
        assert _job_status(stack, token, job) == "queued", "nothing processes the job"
        stack.clear()
        wait_until(lambda: _job_status(stack, token, job) == "completed", what="job completed after clear")
    finally:
        httpx.delete(f"{api}/feedback/events", params={"run_id": run}, headers=_auth(token), timeout=5)
    stack.fault("worker-stalled")
    run = f"faults-{uuid.uuid4().hex[:8]}"
    try:
        job = _learning_job(stack, token, run)
        wait_until(lambda: _job_status(stack, token, job) == "processing", what="job taken")
        with pytest.raises(pytest.fail.Exception):
            wait_until(lambda: _job_status(stack, token, job) == "completed", timeout=2, what="completion")
    finally:
        httpx.delete(f"{api}/feedback/events", params={"run_id": run}, headers=_auth(token), timeout=5)
        stack.clear()


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium")
def test_vercel_faults_in_a_real_browser(stack):
    from playwright.sync_api import sync_playwright

    front, project = stack.status["frontend_url"], stack.status["vercel_project_id"]
    stack.fault("owner-flow-broken")
    stack.fault("e2e-bypass-enabled")
    assert served_build(stack) == "owner-flow-broken", "the bypass deployment kept the broken build"
    with stack.vercel() as v:
        production = v.get(f"/v9/projects/{project}").json()["targets"]["production"]["id"]
        stack.fault("vercel-unaliased")
        newest = v.get("/v7/deployments", params={"projectId": project, "target": "production",
                                                  "limit": 1}).json()["deployments"][0]
        assert newest["readyState"] == "READY" and newest["aliasAssigned"] is False
        assert v.get(f"/v13/deployments/{newest['uid']}").json()["alias"] == []
        assert v.get(f"/v9/projects/{project}").json()["targets"]["production"]["id"] == production
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page()
            page.goto(front + "/dashboard", timeout=15_000)
            page.wait_for_selector("#bypass-banner", timeout=5_000)
            assert page.url.endswith("/dashboard"), "the dashboard skipped login"
            errors = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(front + "/dashboard/training", timeout=15_000)
            page.wait_for_timeout(500)
            assert page.locator("#simulator-input").count() == 0 and errors, "the simulator never renders"
            stack.clear()
            page.goto(front + "/dashboard", timeout=15_000)
            page.wait_for_url("**/login", timeout=5_000)
            page.fill("#email", stack.status["owner_email"])
            page.fill("#password", stack.status["owner_password"])
            page.click("button[type=submit]")
            page.wait_for_url("**/dashboard", timeout=10_000)
            page.goto(front + "/dashboard/training", timeout=15_000)
            page.wait_for_selector("#simulator-input", timeout=10_000)
        finally:
            browser.close()
    assert served_build(stack) == "healthy"


def test_worker_suspended_keyvalue_unavailable_and_worker_queue_broken_then_clear(stack):
    token, api = stack.owner_token(), stack.status["api_url"]
    wid, kv = stack.status["render_worker_service_id"], stack.status["render_keyvalue_id"]
    params = {"ownerId": stack.status["render_owner_id"], "resource": wid, "level": "error", "limit": 5,
              "text": "cannot read the job queue*"}
    stack.fault("worker-suspended")
    stack.fault("keyvalue-unavailable")
    run = f"faults-{uuid.uuid4().hex[:8]}"
    try:
        with stack.render() as r:
            assert r.get(f"/services/{wid}").json()["suspended"] == "suspended"
            assert not (stack.state_dir / "pids" / "worker.pid").exists(), "a suspended worker has no process"
            assert r.get(f"/key-value/{kv}").json()["status"] == "suspended"
        assert httpx.get(api + "/health", timeout=5).json()["checks"]["redis"] == "ok", "the Redis still answers"
        job = _learning_job(stack, token, run)
        with pytest.raises(pytest.fail.Exception):
            wait_until(lambda: _job_status(stack, token, job) != "queued", timeout=2, what="a job taken")
        stack.clear()
        with stack.render() as r:
            assert r.get(f"/services/{wid}").json()["suspended"] == "not_suspended"
            assert r.get(f"/key-value/{kv}").json()["status"] == "available"
        wait_until(lambda: _job_status(stack, token, job) == "completed", what="job completed after resume")
    finally:
        httpx.delete(f"{api}/feedback/events", params={"run_id": run}, headers=_auth(token), timeout=5)
    stack.fault("worker-queue-broken")
    run = f"faults-{uuid.uuid4().hex[:8]}"
    try:
        job = _learning_job(stack, token, run)
        with stack.render() as r:
            lines = wait_until(lambda: r.get("/logs", params=params).json()["logs"], what="queue read errors")
        assert "WRONGTYPE" in lines[0]["message"]
        assert _job_status(stack, token, job) == "queued", "the broken worker takes nothing from its queue"
    finally:
        httpx.delete(f"{api}/feedback/events", params={"run_id": run}, headers=_auth(token), timeout=5)
        stack.clear()
    assert _active(stack) == []
