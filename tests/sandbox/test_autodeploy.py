"""Render topology facts, the autoDeploy switch, auto-deploy of a new commit on main, deploy by commit, Key Value.

Its own sandbox: the tests here move the app checkout's `main`, which the release-tagged gate reads.
"""

from __future__ import annotations

import os
import re
import subprocess

import httpx
import pytest
from _stack import module_stack, newest_deploy, wait_deploy, wait_until

stack = module_stack()


def git(stack, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "dev", "GIT_AUTHOR_EMAIL": "dev@example.test",
           "GIT_COMMITTER_NAME": "dev", "GIT_COMMITTER_EMAIL": "dev@example.test"}
    res = subprocess.run(["git", "-C", stack.status["app_repo"], *args], capture_output=True, text=True, env=env,
                         timeout=30)
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


def commit(stack, message: str, build: str = "") -> str:
    """An empty commit on the checked-out branch; `build` becomes its Sandbox-Build trailer."""
    extra = ["-m", f"Sandbox-Build: {build}"] if build else []
    git(stack, "commit", "-q", "--allow-empty", "-m", message, *extra)
    return git(stack, "rev-parse", "HEAD")


def test_services_key_value_and_supabase_show_the_topology_facts(stack):
    s = stack.status
    api_id, worker_id, kv_id = s["render_api_service_id"], s["render_worker_service_id"], s["render_keyvalue_id"]
    assert re.fullmatch(r"red-[a-z0-9]{20}", kv_id)
    with stack.render() as r, stack.supabase() as sb:
        api, worker = r.get(f"/services/{api_id}").json(), r.get(f"/services/{worker_id}").json()
        kv = r.get(f"/key-value/{kv_id}").json()
        listed = r.get("/key-value", params={"ownerId": s["render_owner_id"]}).json()
        missing = r.get("/key-value/red-aaaaaaaaaaaaaaaaaaaa")
        running = r.get("/services", params={"suspended": "not_suspended", "limit": 20}).json()
        project = sb.get(f"/v1/projects/{s['supabase_project_ref']}").json()
        health = sb.get(f"/v1/projects/{s['supabase_project_ref']}/health", params={"services": "db"}).json()
    assert (api["type"], worker["type"]) == ("web_service", "background_worker")
    for service in (api, worker):
        assert service["rootDir"] == "backend" and service["suspended"] == "not_suspended"
        assert service["serviceDetails"]["runtime"] == service["serviceDetails"]["env"] == "python"
        assert service["autoDeploy"] == "yes" and service["autoDeployTrigger"] == "commit"
        assert service["ownerId"] == s["render_owner_id"] and service["branch"] == "main"
    assert api["serviceDetails"]["url"] == s["api_url"] and "url" not in worker["serviceDetails"]
    assert {row["service"]["id"] for row in running} >= {api_id, worker_id}
    assert kv["id"] == kv_id and kv["status"] == "available" and kv["ownerId"] == s["render_owner_id"]
    assert {"id", "name", "status", "plan", "region", "ownerId"} <= set(kv)
    assert listed == [{"keyValue": kv, "cursor": kv_id}]
    assert missing.status_code == 404 and "message" in missing.json()
    assert httpx.get(f"{s['render_api_url']}/key-value/{kv_id}", timeout=5).status_code == 401
    assert project["status"] == "ACTIVE_HEALTHY" and project["ref"] == s["supabase_project_ref"]
    assert health == [{"name": "db", "healthy": True, "status": "ACTIVE_HEALTHY"}]


def test_patch_auto_deploy_in_either_spelling_answers_the_service(stack):
    sid = stack.status["render_worker_service_id"]
    with stack.render() as r:
        off = r.patch(f"/services/{sid}", json={"autoDeploy": "no"})
        assert off.status_code == 200 and off.json()["id"] == sid
        assert (off.json()["autoDeploy"], off.json()["autoDeployTrigger"]) == ("no", "off")
        on = r.patch(f"/services/{sid}", json={"autoDeployTrigger": "checksPass"}).json()
        assert (on["autoDeploy"], on["autoDeployTrigger"]) == ("yes", "checksPass")
        assert r.patch(f"/services/{sid}", json={"autoDeploy": "yes"}).json()["autoDeployTrigger"] == "checksPass"
        for body, says in (({"autoDeploy": "maybe"}, "autoDeploy must be"),
                           ({"autoDeployTrigger": "always"}, "autoDeployTrigger must be"),
                           ({"autoDeploy": "no", "autoDeployTrigger": "commit"}, "contradicts"),
                           ({"name": "renamed"}, "cannot update name"), ([], "JSON object")):
            res = r.patch(f"/services/{sid}", json=body)
            assert res.status_code == 400 and says in res.json()["message"], (body, res.text)
        assert r.patch("/services/srv-aaaaaaaaaaaaaaaaaaaa", json={"autoDeploy": "no"}).status_code == 404
        assert r.patch(f"/services/{sid}", json={"autoDeploy": "yes"}).json()["autoDeploy"] == "yes"


def _deploys_of(r, sid: str) -> list[str]:
    return [row["deploy"]["id"] for row in r.get(f"/services/{sid}/deploys", params={"limit": 100}).json()]


def _newest_of(r, sid: str, sha: str) -> dict | None:
    newest = newest_deploy(r, sid)
    return newest if newest["commit"]["id"] == sha else None


def test_a_new_commit_on_main_deploys_only_where_auto_deploy_is_on(stack):
    api_id, worker_id = stack.status["render_api_service_id"], stack.status["render_worker_service_id"]
    cron_id = stack.status["render_scheduler_service_id"]
    with stack.render() as r:
        for sid in (api_id, worker_id):
            assert r.patch(f"/services/{sid}", json={"autoDeploy": "no"}).json()["autoDeploy"] == "no"
        before = {sid: _deploys_of(r, sid) for sid in (api_id, worker_id)}
        quiet = commit(stack, "docs: a commit nobody deploys")
        # The scheduler still auto-deploys: once it has the commit, the watch has seen it.
        wait_until(lambda: newest_deploy(r, cron_id)["commit"]["id"] == quiet, what="cron job deploys the commit")
        assert newest_deploy(r, cron_id)["trigger"] == "new_commit"
        assert {sid: _deploys_of(r, sid) for sid in (api_id, worker_id)} == before, "autoDeploy no: no deploy"

        r.patch(f"/services/{api_id}", json={"autoDeploy": "yes"})
        r.patch(f"/services/{worker_id}", json={"autoDeployTrigger": "commit"})
        loud = commit(stack, "feat: new health probe", build="bad-health")
        for sid in (api_id, worker_id):
            dep = wait_until(lambda sid=sid: _newest_of(r, sid, loud), what="auto-deploy of the new commit")
            assert dep["trigger"] == "new_commit" and dep["commit"]["message"] == "feat: new health probe"
            assert wait_deploy(r, sid, dep["id"])["status"] == "live"
    health = httpx.get(stack.status["api_url"] + "/health", timeout=5)
    assert health.status_code == 503 and health.json()["build"] == "bad-health", "the trailer's build is deployed"


def test_deploy_by_commit_builds_any_commit_of_the_checkout(stack):
    api_id = stack.status["render_api_service_id"]
    git(stack, "checkout", "-q", "-b", "hotfix", stack.status["release_sha"])
    try:
        side = commit(stack, "fix: hotfix off the release", build="p0-in-logs")
    finally:
        git(stack, "checkout", "-q", "main")
    with stack.render() as r:
        dep = r.post(f"/services/{api_id}/deploys", json={"clearCache": "do_not_clear", "commitId": side})
        assert dep.status_code == 201 and dep.json()["commit"]["id"] == side and dep.json()["trigger"] == "api"
        assert dep.json()["commit"]["message"] == "fix: hotfix off the release"
        assert wait_deploy(r, api_id, dep.json()["id"])["status"] == "live"
        assert httpx.get(stack.status["api_url"] + "/health", timeout=5).json()["build"] == "p0-in-logs"
        assert r.post(f"/services/{api_id}/deploys", json={"commitId": "f" * 40}).status_code == 400
        assert r.post(f"/services/{api_id}/deploys", json={"commitId": 42}).status_code == 400
        # Without commitId: the head of main (the bad-health commit of the test above, or the release).
        head = git(stack, "rev-parse", "main")
        plain = r.post(f"/services/{api_id}/deploys", json={}).json()
        assert plain["commit"]["id"] == head
        wait_deploy(r, api_id, plain["id"])
        healed = r.post(f"/services/{api_id}/deploys", json={"commitId": stack.status["release_sha"]}).json()
        assert wait_deploy(r, api_id, healed["id"])["status"] == "live"
    assert httpx.get(stack.status["api_url"] + "/health", timeout=5).status_code == 200


@pytest.mark.parametrize("status", ["suspended", "creating"])
def test_key_value_status_switch_changes_only_the_record(stack, status):
    s = stack.status
    base = s["render_api_url"].removesuffix("/v1")
    with stack.render() as r:
        assert httpx.post(base + "/_sandbox/key-value-status", json={"status": status}, timeout=5).status_code == 200
        assert r.get(f"/key-value/{s['render_keyvalue_id']}").json()["status"] == status
        assert httpx.get(s["api_url"] + "/health", timeout=5).json()["checks"]["redis"] == "ok"
        assert httpx.post(base + "/_sandbox/key-value-status", json={"status": "gone"}, timeout=5).status_code == 400
        httpx.post(base + "/_sandbox/key-value-status", json={"status": "available"}, timeout=5)
        assert r.get(f"/key-value/{s['render_keyvalue_id']}").json()["status"] == "available"
