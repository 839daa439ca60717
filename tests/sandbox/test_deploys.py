"""Deploys are real: env + deploy restarts the process, a bad build keeps the old one, rollbacks heal."""

from __future__ import annotations

import httpx
from _stack import commit_with, module_stack, newest_deploy, served_build, wait_deploy, wait_until, wait_vercel

stack = module_stack()
FOREIGN = "http://rehearsal.example.test"


def _cors(stack, origin: str) -> str | None:
    res = httpx.get(stack.status["api_url"] + "/health", headers={"Origin": origin}, timeout=5)
    return res.headers.get("access-control-allow-origin")


def _pid(stack, name: str) -> int:
    return int((stack.state_dir / "pids" / f"{name}.pid").read_text().split()[0])


def test_env_put_plus_deploy_restarts_the_api_with_the_new_value(stack):
    sid = stack.status["render_api_service_id"]
    before_pid = _pid(stack, "api")
    with stack.render() as r:
        previous = newest_deploy(r, sid)
        origins = f"{stack.status['frontend_url']},{FOREIGN}"
        assert r.put(f"/services/{sid}/env-vars/ALLOWED_ORIGINS", json={"value": origins}).status_code == 200
        assert _cors(stack, FOREIGN) is None, "an env change alone does not touch the running process"
        created = r.post(f"/services/{sid}/deploys", json={"clearCache": "do_not_clear"})
        assert created.status_code == 201
        dep = created.json()
        assert dep["status"] == "build_in_progress" and dep["trigger"] == "api"
        assert wait_deploy(r, sid, dep["id"])["status"] == "live"
        assert r.get(f"/services/{sid}/deploys/{previous['id']}").json()["status"] == "deactivated"
    assert _cors(stack, FOREIGN) == FOREIGN
    assert _pid(stack, "api") != before_pid, "a new process serves the new deploy"


def test_bad_health_deploy_goes_live_serves_503_and_a_rollback_heals_it(stack):
    sid = stack.status["render_api_service_id"]
    with stack.render() as r:
        good = newest_deploy(r, sid)
        dep = r.post(f"/services/{sid}/deploys", json={"clearCache": "do_not_clear",
                                                      "commitId": commit_with(stack, "bad-health")}).json()
        assert wait_deploy(r, sid, dep["id"])["status"] == "live", "no health check path: it goes live"
        health = httpx.get(stack.status["api_url"] + "/health", timeout=5)
        assert health.status_code == 503 and health.json()["status"] == "unhealthy"
        target = r.get(f"/services/{sid}/deploys", params={"status": "deactivated", "limit": 1}).json()[0]["deploy"]
        assert target["id"] == good["id"]
        rb = r.post(f"/services/{sid}/rollback", json={"deployId": target["id"]})
        assert rb.status_code == 201 and rb.json()["trigger"] == "rollback"
        done = wait_deploy(r, sid, rb.json()["id"])
        assert done["status"] == "live" and done["commit"]["id"] == good["commit"]["id"]
        assert r.get(f"/services/{sid}/deploys/{dep['id']}").json()["status"] == "deactivated"
    health = httpx.get(stack.status["api_url"] + "/health", timeout=5)
    assert health.status_code == 200 and health.json()["status"] == "healthy"
    assert _cors(stack, FOREIGN) == FOREIGN, "the rollback restored the good deploy's env snapshot too"


def test_failed_build_keeps_the_old_process_serving(stack):
    sid = stack.status["render_api_service_id"]
    pid = _pid(stack, "api")
    with stack.render() as r:
        live = newest_deploy(r, sid)
        dep = r.post(f"/services/{sid}/deploys", json={"commitId": commit_with(stack, "build-fails")}).json()
        assert wait_deploy(r, sid, dep["id"])["status"] == "build_failed"
        assert r.get(f"/services/{sid}/deploys/{live['id']}").json()["status"] == "live"
        assert r.post(f"/services/{sid}/rollback", json={"deployId": dep["id"]}).status_code == 400
        assert r.post(f"/services/{sid}/deploys", json={"commitId": "0" * 40}).status_code == 400
    assert _pid(stack, "api") == pid
    assert httpx.get(stack.status["api_url"] + "/health", timeout=5).status_code == 200


def test_worker_deploy_restarts_the_worker(stack):
    sid = stack.status["render_worker_service_id"]
    pid = _pid(stack, "worker")
    with stack.render() as r:
        dep = r.post(f"/services/{sid}/deploys", json={}).json()
        assert wait_deploy(r, sid, dep["id"])["status"] == "live"
    assert _pid(stack, "worker") != pid


def test_vercel_deployment_switches_the_served_build_and_rollback_switches_back(stack):
    pid = stack.status["vercel_project_id"]
    with stack.vercel() as v:
        before = v.get(f"/v9/projects/{pid}").json()["targets"]["production"]["id"]
        assert served_build(stack) == "healthy"
        body = {"name": "verified-digital-twin-brains", "project": pid, "target": "production",
                "gitSource": {"type": "github", "sha": commit_with(stack, "owner-flow-broken"), "ref": "main"}}
        created = v.post("/v13/deployments", json=body).json()
        assert created["readyState"] in ("QUEUED", "BUILDING")
        ready = wait_vercel(v, created["id"])
        assert ready["readyState"] == "READY" and stack.status["vercel_alias"] in ready["alias"]
        assert served_build(stack) == "owner-flow-broken"
        assert v.get(f"/v9/projects/{pid}").json()["targets"]["production"]["id"] == created["id"]
        res = v.post(f"/v1/projects/{pid}/rollback/{before}")
        assert res.status_code == 201 and res.content == b""
        req = v.get(f"/v9/projects/{pid}").json()["lastAliasRequest"]
        assert req["type"] == "rollback" and req["toDeploymentId"] == before
        assert req["jobStatus"] in ("pending", "in-progress")
        wait_until(lambda: v.get(f"/v9/projects/{pid}").json()["lastAliasRequest"]["jobStatus"] == "succeeded",
                   what="alias request succeeded")
        assert v.get(f"/v9/projects/{pid}").json()["targets"]["production"]["id"] == before
        assert v.get(f"/v2/deployments/{created['id']}/aliases").json()["aliases"] == []
    assert served_build(stack) == "healthy"


def test_vercel_unaliased_deployment_leaves_the_alias_and_promote_moves_it(stack):
    pid = stack.status["vercel_project_id"]
    with stack.vercel() as v:
        before = v.get(f"/v9/projects/{pid}").json()["targets"]["production"]["id"]
        body = {"name": "verified-digital-twin-brains", "project": pid, "target": "production",
                "gitSource": {"type": "github", "sha": commit_with(stack, "skip-alias")}}
        dep = wait_vercel(v, v.post("/v13/deployments", json=body).json()["id"])
        assert dep["readyState"] == "READY" and dep["aliasAssigned"] is False and dep["alias"] == []
        assert v.get(f"/v9/projects/{pid}").json()["targets"]["production"]["id"] == before
        assert v.post(f"/v10/projects/{pid}/promote/{dep['id']}").status_code == 201
        wait_until(lambda: v.get(f"/v9/projects/{pid}").json()["lastAliasRequest"]["jobStatus"] == "succeeded",
                   what="promote succeeded")
        assert v.get(f"/v2/deployments/{dep['id']}/aliases").json()["aliases"][0]["alias"] == \
            stack.status["vercel_alias"]
        assert v.post(f"/v9/projects/{pid}/rollback/{before}", json={}).status_code == 201
        wait_until(lambda: v.get(f"/v9/projects/{pid}").json()["targets"]["production"]["id"] == before,
                   what="rolled back")
