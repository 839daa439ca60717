"""Every emulator endpoint against one real sandbox: field names and enum values of docs/providers.md, 401, 404."""

from __future__ import annotations

import re

import httpx
import pytest
from _stack import module_stack, wait_deploy, wait_until

stack = module_stack()

DEPLOY_STATUSES = {"created", "queued", "build_in_progress", "update_in_progress", "pre_deploy_in_progress",
                   "live", "deactivated", "build_failed", "update_failed", "pre_deploy_failed", "canceled"}
DEPLOY_TRIGGERS = {"api", "blueprint_sync", "deploy_hook", "deployed_by_render", "manual", "new_commit", "other",
                   "rollback", "service_resumed", "service_updated"}
READY_STATES = {"QUEUED", "INITIALIZING", "BUILDING", "READY", "ERROR", "CANCELED", "BLOCKED", "DELETED"}
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def test_ids_have_the_real_formats(stack):
    s = stack.status
    assert re.fullmatch(r"srv-[a-z0-9]{20}", s["render_api_service_id"])
    assert re.fullmatch(r"srv-[a-z0-9]{20}", s["render_worker_service_id"])
    assert re.fullmatch(r"tea-[a-z0-9]{20}", s["render_owner_id"])
    assert re.fullmatch(r"prj_[A-Za-z0-9]+", s["vercel_project_id"])
    assert re.fullmatch(r"team_[A-Za-z0-9]+", s["vercel_team_id"])
    assert re.fullmatch(r"[a-z]{20}", s["supabase_project_ref"])
    assert s["pinecone_index"] == "digital-twin-brain"
    assert s["secrets"]["RENDER_API_KEY"].startswith("rnd_")
    assert s["secrets"]["SUPABASE_ACCESS_TOKEN"].startswith("sbp_")
    assert s["secrets"]["PINECONE_API_KEY"].startswith("pcsk_")
    assert re.fullmatch(r"crn-[a-z0-9]{20}", s["render_scheduler_service_id"])
    assert re.fullmatch(r"red-[a-z0-9]{20}", s["render_keyvalue_id"])
    assert s["render_api_url"].endswith("/v1")


def test_render_services_and_one_service(stack):
    with stack.render() as r:
        rows = r.get("/services", params={"limit": 20}).json()
        assert {row["service"]["id"] for row in rows} == {stack.status["render_api_service_id"],
                                                         stack.status["render_worker_service_id"],
                                                         stack.status["render_scheduler_service_id"]}
        assert all(set(row) == {"service", "cursor"} for row in rows)
        web = r.get("/services", params={"type": "web_service"}).json()
        assert [row["service"]["id"] for row in web] == [stack.status["render_api_service_id"]]
        svc = r.get(f"/services/{stack.status['render_worker_service_id']}").json()
    assert svc["type"] == "background_worker" and svc["ownerId"] == stack.status["render_owner_id"]
    assert svc["autoDeploy"] in ("yes", "no") and svc["suspended"] in ("suspended", "not_suspended")
    assert {"healthCheckPath", "plan", "region", "runtime", "numInstances"} <= set(svc["serviceDetails"])
    assert svc["serviceDetails"]["healthCheckPath"] == ""


def test_render_scheduler_cron_job_and_suspend_resume(stack):
    cid, wid = stack.status["render_scheduler_service_id"], stack.status["render_worker_service_id"]
    with stack.render() as r:
        crons = r.get("/services", params={"type": "cron_job"}).json()
        assert [row["service"]["id"] for row in crons] == [cid]
        details = crons[0]["service"]["serviceDetails"]
        assert details["schedule"] == "*/15 * * * *"
        assert "run_feedback_learning_scheduler" in details["envSpecificDetails"]["startCommand"]
        assert r.post(f"/services/{cid}/suspend").status_code == 202
        assert r.get(f"/services/{cid}").json()["suspended"] == "suspended"
        assert r.post(f"/services/{cid}/resume").status_code == 202
        assert r.get(f"/services/{cid}").json()["suspended"] == "not_suspended"
        pid_file = stack.state_dir / "pids" / "worker.pid"
        assert r.post(f"/services/{wid}/suspend").status_code == 202
        assert not pid_file.exists(), "a suspended worker really stops"
        assert r.post(f"/services/{wid}/resume").status_code == 202
        assert pid_file.exists()
        assert r.get(f"/services/{wid}").json()["suspended"] == "not_suspended"


def test_render_deploys_newest_first_with_limit_and_status_filter(stack):
    sid = stack.status["render_api_service_id"]
    with stack.render() as r:
        rows = r.get(f"/services/{sid}/deploys").json()
        one = r.get(f"/services/{sid}/deploys", params={"limit": 1}).json()
        deactivated = r.get(f"/services/{sid}/deploys", params={"status": "deactivated", "limit": 1}).json()
        both = r.get(f"/services/{sid}/deploys", params=[("status", "live"), ("status", "deactivated")]).json()
        single = r.get(f"/services/{sid}/deploys/{rows[0]['deploy']['id']}").json()
        page2 = r.get(f"/services/{sid}/deploys", params={"cursor": one[0]["cursor"], "limit": 1}).json()
        newer = r.get(f"/services/{sid}/deploys", params={"createdAfter": rows[1]["deploy"]["createdAt"]}).json()
    deploys = [row["deploy"] for row in rows]
    assert len(deploys) >= 2
    created = [d["createdAt"] for d in deploys]
    assert created == sorted(created, reverse=True), "newest first"
    for d in deploys:
        assert set(d) >= {"id", "commit", "status", "trigger", "createdAt", "startedAt", "finishedAt", "updatedAt"}
        assert re.fullmatch(r"dep-[a-z0-9]{20}", d["id"])
        assert re.fullmatch(r"[0-9a-f]{40}", d["commit"]["id"]) and {"message", "createdAt"} <= set(d["commit"])
        assert d["status"] in DEPLOY_STATUSES and d["trigger"] in DEPLOY_TRIGGERS
        assert RFC3339.match(d["createdAt"])
    assert one[0]["deploy"]["status"] == "live"
    assert deactivated[0]["deploy"]["status"] == "deactivated"
    assert deactivated[0]["deploy"]["commit"]["id"] != one[0]["deploy"]["commit"]["id"]
    assert {row["deploy"]["status"] for row in both} == {"live", "deactivated"}
    assert single == deploys[0]
    assert page2[0]["deploy"]["id"] == deploys[1]["id"]
    assert [row["deploy"]["id"] for row in newer] == [d["id"] for d in deploys[:1]]


def test_render_env_vars_get_put_delete(stack):
    sid = stack.status["render_worker_service_id"]
    with stack.render() as r:
        rows = r.get(f"/services/{sid}/env-vars", params={"limit": 100}).json()
        env = {row["envVar"]["key"]: row["envVar"]["value"] for row in rows}
        assert env["DEV_MODE"] == "false" and env["REDIS_URL"] == stack.status["redis_url"]
        assert "*" not in env["ALLOWED_ORIGINS"]
        for key in ("FEEDBACK_LEARNING_MIN_EVENTS", "FEEDBACK_LEARNING_COOLDOWN_MINUTES",
                    "FEEDBACK_LEARNING_AUTO_PUBLISH", "FEEDBACK_LEARNING_RUN_REGRESSION_GATE"):
            assert key in env
        assert r.get(f"/services/{sid}/env-vars/DEV_MODE").json() == {"key": "DEV_MODE", "value": "false"}
        put = r.put(f"/services/{sid}/env-vars/SANDBOX_PROBE", json={"value": "1"})
        assert put.status_code == 200 and put.json() == {"key": "SANDBOX_PROBE", "value": "1"}
        assert r.delete(f"/services/{sid}/env-vars/SANDBOX_PROBE").status_code == 204
        assert r.get(f"/services/{sid}/env-vars/SANDBOX_PROBE").status_code == 404


def test_render_auth_and_unknown_ids(stack):
    base = stack.status["render_api_url"]
    no_token = httpx.get(base + "/services", timeout=5)
    bad_token = httpx.get(base + "/services", headers={"Authorization": "Bearer rnd_wrong"}, timeout=5)
    assert no_token.status_code == bad_token.status_code == 401
    assert set(bad_token.json()) >= {"id", "message"}
    with stack.render() as r:
        for path in ("/services/srv-aaaaaaaaaaaaaaaaaaaa", "/services/srv-aaaaaaaaaaaaaaaaaaaa/deploys",
                     f"/services/{stack.status['render_api_service_id']}/deploys/dep-aaaaaaaaaaaaaaaaaaaa"):
            res = r.get(path)
            assert res.status_code == 404 and "message" in res.json(), path
        res = r.post(f"/services/{stack.status['render_api_service_id']}/rollback",
                     json={"deployId": "dep-aaaaaaaaaaaaaaaaaaaa"})
        assert res.status_code == 404


def test_render_logs_from_real_lines(stack):
    sid = stack.status["render_api_service_id"]
    with stack.api() as api:
        for _ in range(3):
            api.get("/health")
    params = {"ownerId": stack.status["render_owner_id"], "resource": sid, "type": "request", "limit": 2,
              "direction": "backward"}
    with stack.render() as r:
        page = wait_until(lambda: (lambda b: b if b["logs"] else None)(r.get("/logs", params=params).json()),
                          what="request log lines")
        assert set(page) >= {"hasMore", "logs"}
        entry = page["logs"][0]
        assert set(entry) == {"id", "message", "timestamp", "labels"} and RFC3339.match(entry["timestamp"])
        labels = {lab["name"]: lab["value"] for lab in entry["labels"]}
        assert labels["resource"] == sid and labels["type"] == "request" and labels["instance"].startswith(sid)
        assert labels["level"] in ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
        assert {"method", "path", "statusCode"} <= set(labels)
        assert page["hasMore"] is True and "nextEndTime" in page and "nextStartTime" in page
        nxt = r.get("/logs", params={**params, "startTime": page["nextStartTime"],
                                     "endTime": page["nextEndTime"]}).json()
        assert nxt["logs"] and nxt["logs"][0]["timestamp"] <= page["logs"][-1]["timestamp"]
        assert r.get("/logs", params={"resource": sid}).status_code == 400, "ownerId is required"
        future = r.get("/logs", params={**params, "startTime": "2099-01-01T00:00:00Z",
                                        "endTime": "2099-01-02T00:00:00Z"}).json()
        assert future["logs"] == [] and future["hasMore"] is False
        values = r.get("/logs/values", params={"ownerId": stack.status["render_owner_id"], "label": "type",
                                               "resource": sid}).json()
        assert "request" in values


def test_render_metrics_time_series(stack):
    sid = stack.status["render_api_service_id"]
    with stack.api() as api:
        api.get("/health")
    with stack.render() as r:
        cpu = wait_until(lambda: r.get("/metrics/cpu", params={"resource": sid}).json(), what="cpu samples")
        mem = r.get("/metrics/memory", params={"resource": sid}).json()
        reqs = r.get("/metrics/http-requests", params={"resource": sid, "aggregateBy": "statusCode"}).json()
        latency = r.get("/metrics/http-latency", params={"resource": sid, "quantile": "0.95"}).json()
        assert r.get("/metrics/http-latency", params={"resource": sid, "quantile": "2"}).status_code == 400
        assert r.get("/metrics/cpu").status_code == 400
        assert r.get("/metrics/disk", params={"resource": sid}).status_code == 404
    for series, unit in ((cpu, "cpu"), (mem, "bytes"), (reqs, "count"), (latency, "ms")):
        s = series[0]
        assert set(s) == {"labels", "unit", "values"} and s["unit"] == unit
        assert all(set(lab) == {"field", "value"} for lab in s["labels"])
        assert all(set(v) == {"timestamp", "value"} and RFC3339.match(v["timestamp"]) for v in s["values"])
    assert mem[0]["values"][-1]["value"] > 10 * 1024 * 1024, "VmRSS of a real Python process"
    assert any(lab["field"] == "statusCode" and lab["value"] == "200" for s in reqs for lab in s["labels"])
    assert sum(v["value"] for s in reqs for v in s["values"]) >= 1
    assert {"field": "quantile", "value": "0.95"} in latency[0]["labels"]
    assert all(v["value"] > 0 for v in latency[0]["values"]), "the request lines' own durations (ms)"


def test_vercel_project_env_deployments_and_aliases(stack):
    pid, alias = stack.status["vercel_project_id"], stack.status["vercel_alias"]
    with stack.vercel() as v:
        project = v.get(f"/v9/projects/{pid}").json()
        envs = v.get(f"/v10/projects/{pid}/env").json()
        listing = v.get("/v7/deployments", params={"projectId": pid, "target": "production", "limit": 1}).json()
        ready = v.get("/v7/deployments", params={"projectId": pid, "target": "production", "state": "READY",
                                                 "rollbackCandidate": "true"}).json()
        newest = listing["deployments"][0]
        detail = v.get(f"/v13/deployments/{newest['uid']}").json()
        aliases = v.get(f"/v2/deployments/{newest['uid']}/aliases").json()
        older = v.get(f"/v2/deployments/{ready['deployments'][1]['uid']}/aliases").json()
        assert v.get("/v9/projects/prj_doesnotexist").status_code == 404
        assert v.get("/v13/deployments/dpl_doesnotexist").status_code == 404
        assert v.get(f"/v9/projects/{pid}", params={"teamId": "team_other"}).status_code == 403
    assert project["nodeVersion"] == "20.x" and project["id"] == pid
    assert project["targets"]["production"]["id"] == newest["uid"]
    assert alias in project["targets"]["production"]["alias"]
    assert "lastAliasRequest" in project and "link" in project and project["alias"][0]["domain"] == alias
    keys = {e["key"] for e in envs["envs"]}
    assert {"NEXT_PUBLIC_BACKEND_URL", "NEXT_PUBLIC_SUPABASE_URL", "NEXT_PUBLIC_SUPABASE_ANON_KEY",
            "NEXT_PUBLIC_FRONTEND_URL"} <= keys and "NEXT_PUBLIC_E2E_BYPASS_AUTH" not in keys
    e = envs["envs"][0]
    assert {"id", "key", "value", "type", "target"} <= set(e) and e["type"] in (
        "plain", "encrypted", "sensitive", "secret", "system")
    assert set(listing["pagination"]) == {"count", "next", "prev"}
    assert re.fullmatch(r"dpl_[A-Za-z0-9]+", newest["uid"])
    assert newest["readyState"] in READY_STATES and newest["readyState"] == "READY"
    assert newest["target"] == "production" and newest["aliasAssigned"] is True
    assert re.fullmatch(r"[0-9a-f]{40}", newest["meta"]["githubCommitSha"])
    assert len(ready["deployments"]) >= 2, "a rollback always has a target"
    assert detail["id"] == newest["uid"] and detail["readyState"] == "READY" and alias in detail["alias"]
    assert detail["projectSettings"]["nodeVersion"] == "20.x"
    assert aliases["aliases"][0]["alias"] == alias and {"uid", "alias", "created", "redirect"} <= set(
        aliases["aliases"][0])
    assert older["aliases"] == []


def test_vercel_auth(stack):
    base = stack.status["vercel_api_url"]
    res = httpx.get(f"{base}/v9/projects/{stack.status['vercel_project_id']}", timeout=5)
    assert res.status_code == 401 and set(res.json()["error"]) >= {"code", "message"}


def test_supabase_migrations_from_real_postgres_and_health(stack):
    ref = stack.status["supabase_project_ref"]
    with stack.supabase() as s:
        migrations = s.get(f"/v1/projects/{ref}/database/migrations").json()
        health = s.get(f"/v1/projects/{ref}/health", params={"services": "db"}).json()
        assert s.get("/v1/projects/abcdefghijklmnopqrst/database/migrations").status_code == 404
    names = {m["name"] for m in migrations}
    assert {"phase7_feedback_learning_loop", "add_feedback_learning_job_type"} <= names
    assert all(re.fullmatch(r"\d{14}", m["version"]) for m in migrations)
    assert health == [{"name": "db", "healthy": True, "status": "ACTIVE_HEALTHY"}]
    unauth = httpx.get(f"{stack.status['supabase_api_url']}/v1/projects/{ref}/database/migrations", timeout=5)
    assert unauth.status_code == 401 and "message" in unauth.json()


def test_pinecone_describe_index_auth_and_version_header(stack):
    base, key = stack.status["pinecone_api_url"], stack.status["secrets"]["PINECONE_API_KEY"]
    with stack.pinecone() as p:
        index = p.get("/indexes/digital-twin-brain").json()
        missing = p.get("/indexes/no-such-index")
    assert index["status"] == {"ready": True, "state": "Ready"}
    assert {"name", "dimension", "metric", "host", "deletion_protection", "spec", "vector_type"} <= set(index)
    assert index["metric"] in ("cosine", "euclidean", "dotproduct") and "serverless" in index["spec"]
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND"
    assert httpx.get(f"{base}/indexes/digital-twin-brain", timeout=5,
                     headers={"Api-Key": "pcsk_wrong", "X-Pinecone-Api-Version": "2025-10"}).status_code == 401
    assert httpx.get(f"{base}/indexes/digital-twin-brain", headers={"Api-Key": key}, timeout=5).status_code == 400


@pytest.mark.parametrize("emulator", ["render", "vercel", "supabase", "pinecone"])
def test_chaos_modes(stack, emulator):
    base = stack.status[f"{emulator}_api_url"].removesuffix("/v1")
    path = {"render": "/v1/services", "vercel": f"/v9/projects/{stack.status['vercel_project_id']}",
            "supabase": f"/v1/projects/{stack.status['supabase_project_ref']}/database/migrations",
            "pinecone": "/indexes/digital-twin-brain"}[emulator]
    client = getattr(stack, emulator)()
    url = base + path
    with client:
        chaos = lambda **body: httpx.post(base + "/_sandbox/chaos", json=body, timeout=5)  # noqa: E731
        assert chaos(mode="429", count=1, retry_after=3).status_code == 200
        limited = client.get(url)
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
        assert client.get(url).status_code == 200, "chaos lasts exactly `count` calls"
        chaos(mode="500", count=2)
        assert [client.get(url).status_code for _ in range(3)] == [500, 500, 200]
        chaos(mode="malformed", count=1)
        bad = client.get(url)
        assert bad.status_code == 200 and bad.headers["content-type"].startswith("application/json")
        with pytest.raises(ValueError):
            bad.json()
        chaos(mode="slow", count=1, delay_s=1.5)
        with pytest.raises(httpx.ReadTimeout):
            client.get(url, timeout=0.3)
        assert chaos(mode="teapot").status_code == 400


def test_render_lists_deploys_while_one_is_still_in_progress(stack):
    # A deploy in progress has no finishedAt yet; listing must not trip over it (it once answered 500).
    sid = stack.status["render_worker_service_id"]
    with stack.render() as r:
        started = r.post(f"/services/{sid}/deploys", json={"clearCache": "do_not_clear"}).json()
        assert started["status"] == "build_in_progress" and started["finishedAt"] is None
        listing = r.get(f"/services/{sid}/deploys", params={"limit": 5})
        assert listing.status_code == 200, listing.text
        assert listing.json()[0]["deploy"]["id"] == started["id"]
        assert wait_deploy(r, sid, started["id"])["status"] == "live"
