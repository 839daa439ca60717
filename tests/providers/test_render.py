"""RenderClient against httpx.MockTransport answering Render's real JSON shapes (docs/providers.md#render)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from provider_fakes import RENDER_KEY, FakeProvider, assert_no_secret, json_response

from gonogo_providers.errors import MalformedResponse, PaginationLimitExceeded
from gonogo_providers.render import RenderClient

SRV = "srv-d55qmb95pdvs73cagk60"
OWNER = "tea-cu1a2b3c4d5e6f7g8h9i"


def deploy(n: int, status: str = "deactivated", trigger: str = "new_commit", day: int | None = None) -> dict:
    """A Deploy as Render returns it; `n` orders them (higher is newer)."""
    stamp = f"2026-11-{day or n:02d}T10:00:00.000Z"
    return {
        "id": f"dep-d5{n:018d}",
        "commit": {"id": f"{n:040x}", "message": f"release {n}", "createdAt": stamp},
        "status": status,
        "trigger": trigger,
        "createdAt": stamp,
        "startedAt": stamp,
        "finishedAt": f"2026-11-{day or n:02d}T10:03:12.000Z",
        "updatedAt": f"2026-11-{day or n:02d}T10:03:12.000Z",
    }


def listed(deploys: list[dict]) -> list[dict]:
    return [{"deploy": d, "cursor": f"cur-{d['id']}"} for d in deploys]


def service(sid: str = SRV, name: str = "verified-digital-twin-brains", type_: str = "web_service") -> dict:
    return {
        "id": sid, "name": name, "type": type_, "ownerId": OWNER, "autoDeploy": "yes",
        "suspended": "not_suspended", "createdAt": "2026-01-02T03:04:05Z", "updatedAt": "2026-11-01T00:00:00Z",
        "serviceDetails": {"url": "https://verified-digital-twin-brains.onrender.com", "healthCheckPath": "/health",
                           "plan": "starter", "region": "oregon", "runtime": "python", "numInstances": 1},
    }


@pytest.fixture
def render(fake: FakeProvider, sleeps: list[float]):
    with RenderClient(api_key=RENDER_KEY, transport=fake.transport, sleep=sleeps.append) as client:
        yield client


def test_latest_deploy_reads_the_newest_with_bearer_auth(render, fake):
    fake.on("GET", f"/v1/services/{SRV}/deploys", json_response(listed([deploy(3, "live"), deploy(2), deploy(1)])))
    latest = render.latest_deploy(SRV)
    assert latest is not None and latest.id == "dep-d5" + f"{3:018d}" and latest.is_live
    assert latest.commit_id == f"{3:040x}" and latest.commit_message == "release 3"
    assert latest.trigger == "new_commit"
    assert latest.created_at == datetime(2026, 11, 3, 10, tzinfo=UTC)
    request = fake.requests[0]
    assert request.headers["Authorization"] == f"Bearer {RENDER_KEY}"
    assert str(request.url).startswith("https://api.render.com/v1/services/")


def test_latest_deploy_reads_every_page_when_the_order_is_not_newest_first(render, fake):
    # Ordering is INFERRED: a full probe page that is oldest first makes the client read everything.
    oldest_first = [deploy(n, "live" if n == 12 else "deactivated") for n in range(1, 13)]
    cursors = [f"cur-{d['id']}" for d in oldest_first]

    def answer(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        start = 0 if cursor is None else cursors.index(cursor) + 1
        return json_response(listed(oldest_first[start:start + int(request.url.params["limit"])]))

    fake.on("GET", f"/v1/services/{SRV}/deploys", answer)
    latest = render.latest_deploy(SRV)
    assert latest is not None and latest.status == "live" and latest.commit_message == "release 12"


def test_list_deploys_sends_repeated_status_and_follows_cursors(render, fake):
    everything = [deploy(n) for n in range(9, 4, -1)]

    def answer(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        start = 0 if cursor is None else [f"cur-{d['id']}" for d in everything].index(cursor) + 1
        return json_response(listed(everything[start:start + int(request.url.params["limit"])]))

    fake.on("GET", f"/v1/services/{SRV}/deploys", answer)
    got = render.list_deploys(SRV, status=["live", "deactivated"], limit=None, page_size=2)
    assert [d.id for d in got] == [d["id"] for d in everything]
    assert len(fake.requests) == 3  # 2 + 2 + 1 (a short page ends the listing)
    assert fake.params(0) == {"status": ["live", "deactivated"], "limit": ["2"]}
    assert fake.params(1)["cursor"] == [f"cur-{everything[1]['id']}"]


def test_list_deploys_stops_at_max_pages(fake, sleeps):
    fake.on("GET", f"/v1/services/{SRV}/deploys",
            lambda r: json_response(listed([deploy(int(r.url.params.get("cursor", "cur-dep-d50")[-2:]) + 1)])))
    with RenderClient(api_key=RENDER_KEY, transport=fake.transport, sleep=sleeps.append, max_pages=3) as render:
        with pytest.raises(PaginationLimitExceeded, match="more than 3 pages"):
            render.list_deploys(SRV, limit=None, page_size=1)
    assert len(fake.requests) == 3


def test_previous_live_deploy_is_the_newest_deactivated_older_than_live(render, fake):
    # After an earlier rollback the bad deploy 5 is deactivated yet newer than the live 4: skip it, 3 wins.
    by_status = {"live": [deploy(4, "live", trigger="rollback")], "deactivated": [deploy(5), deploy(3), deploy(2)]}
    fake.on("GET", f"/v1/services/{SRV}/deploys",
            lambda r: json_response(listed(by_status[r.url.params["status"]])))
    previous = render.previous_live_deploy(SRV)
    assert previous is not None and previous.commit_message == "release 3"
    assert [fake.params(i)["status"] for i in range(2)] == [["live"], ["deactivated"]]


def test_previous_live_deploy_is_none_without_a_candidate(render, fake):
    by_status = {"live": [deploy(1, "live")], "deactivated": []}
    fake.on("GET", f"/v1/services/{SRV}/deploys", lambda r: json_response(listed(by_status[r.url.params["status"]])))
    assert render.previous_live_deploy(SRV) is None


def test_get_deploy_and_rollback(render, fake):
    target = deploy(3)
    fake.on("GET", f"/v1/services/{SRV}/deploys/{target['id']}", json_response(target))
    fake.on("POST", f"/v1/services/{SRV}/rollback",
            json_response({**deploy(7, "created", trigger="rollback"), "commit": target["commit"]}, 201))
    assert render.get_deploy(SRV, target["id"]).status == "deactivated"
    started = render.rollback(SRV, target["id"])
    assert started.trigger == "rollback" and started.commit_id == target["commit"]["id"] and started.in_progress
    assert fake.requests[-1].read() == b'{"deployId":"' + target["id"].encode() + b'"}'


def test_rollback_is_retried_after_a_503_but_trigger_deploy_is_not(render, fake, sleeps):
    fake.on("POST", f"/v1/services/{SRV}/rollback", json_response({"id": "x", "message": "busy"}, 503),
            json_response(deploy(8, "created", trigger="rollback"), 201))
    assert render.rollback(SRV, "dep-x").trigger == "rollback"
    fake.on("POST", f"/v1/services/{SRV}/deploys", json_response({"id": "x", "message": "busy"}, 503))
    with pytest.raises(Exception, match="answered 503: busy") as caught:
        render.trigger_deploy(SRV, commit_id="abc123")
    assert len([r for r in fake.requests if r.url.path.endswith("/deploys")]) == 1
    assert len(sleeps) == 1
    assert_no_secret(caught.value)


def test_trigger_deploy_sends_the_commit(render, fake):
    fake.on("POST", f"/v1/services/{SRV}/deploys", json_response(deploy(9, "created", trigger="api"), 201))
    assert render.trigger_deploy(SRV, commit_id="abc123").status == "created"
    assert b'"commitId":"abc123"' in fake.requests[0].read()


def test_suspend_service_pauses_a_cron_job(render, fake):
    fake.on("POST", f"/v1/services/{SRV}/suspend", httpx.Response(202))
    assert render.suspend_service(SRV) is None
    assert fake.requests[0].method == "POST" and fake.requests[0].url.path == f"/v1/services/{SRV}/suspend"


def test_services_by_name_and_type(render, fake):
    fake.on("GET", "/v1/services", json_response([{"service": service(), "cursor": "c1"}]))
    fake.on("GET", f"/v1/services/{SRV}", json_response(service()))
    [found] = render.list_services(name="verified-digital-twin-brains", type="web_service")
    assert found.owner_id == OWNER and found.url == "https://verified-digital-twin-brains.onrender.com"
    assert fake.params(0) == {"name": ["verified-digital-twin-brains"], "type": ["web_service"], "limit": ["100"]}
    assert render.get_service(SRV).type == "web_service"


def test_env_vars_paginate_and_write(render, fake):
    first = [{"envVar": {"key": f"K{i}", "value": f"v{i}"}, "cursor": f"e{i}"} for i in range(100)]
    second = [{"envVar": {"key": "REDIS_URL", "value": "redis://h:6379/0"}, "cursor": "e100"}]
    fake.on("GET", f"/v1/services/{SRV}/env-vars", json_response(first), json_response(second))
    fake.on("PUT", f"/v1/services/{SRV}/env-vars/FEEDBACK_LEARNING_AUTO_PUBLISH",
            json_response({"key": "FEEDBACK_LEARNING_AUTO_PUBLISH", "value": "false"}))
    fake.on("DELETE", f"/v1/services/{SRV}/env-vars/DEV_MODE", httpx.Response(204))
    env = render.list_env_vars(SRV)
    assert len(env) == 101 and env["REDIS_URL"] == "redis://h:6379/0"
    assert fake.params(1)["cursor"] == ["e99"]
    render.put_env_var(SRV, "FEEDBACK_LEARNING_AUTO_PUBLISH", "false")
    assert fake.requests[-1].read() == b'{"value":"false"}'
    render.delete_env_var(SRV, "DEV_MODE")
    assert fake.requests[-1].method == "DELETE"


def log(n: int, level: str, message: str) -> dict:
    return {"id": f"log-{n}", "message": message, "timestamp": f"2026-11-24T10:00:{n:02d}Z",
            "labels": [{"name": "resource", "value": SRV}, {"name": "level", "value": level},
                       {"name": "type", "value": "app"}, {"name": "instance", "value": "srv-x-abcde"}]}


def test_iter_logs_follows_has_more_with_the_next_window(render, fake):
    fake.on("GET", "/v1/logs",
            json_response({"hasMore": True, "logs": [log(3, "error", "boom")],
                           "nextStartTime": "2026-11-24T09:00:00Z", "nextEndTime": "2026-11-24T10:00:02Z"}),
            json_response({"hasMore": False, "logs": [log(1, "critical", "db down")],
                           "nextStartTime": "2026-11-24T08:00:00Z", "nextEndTime": "2026-11-24T09:00:00Z"}))
    start = datetime(2026, 11, 24, 9, tzinfo=UTC)
    got = list(render.iter_logs(OWNER, [SRV, "srv-d5ht2763jp1c73evn1dg"], type="app",
                                levels=["error", "critical"], start=start, end="2026-11-24T10:30:00Z"))
    assert [(e.level, e.message, e.resource) for e in got] == [("error", "boom", SRV), ("critical", "db down", SRV)]
    assert fake.params(0) == {
        "ownerId": [OWNER], "resource": [SRV, "srv-d5ht2763jp1c73evn1dg"], "type": ["app"],
        "level": ["error", "critical"], "startTime": ["2026-11-24T09:00:00Z"],
        "endTime": ["2026-11-24T10:30:00Z"], "direction": ["backward"], "limit": ["100"],
    }
    assert fake.params(1)["startTime"] == ["2026-11-24T09:00:00Z"]
    assert fake.params(1)["endTime"] == ["2026-11-24T10:00:02Z"]


def test_iter_logs_refuses_has_more_without_a_window(render, fake):
    fake.on("GET", "/v1/logs", json_response({"hasMore": True, "logs": []}))
    with pytest.raises(MalformedResponse, match="nextStartTime"):
        list(render.iter_logs(OWNER, SRV))


def test_metrics_cpu(render, fake):
    fake.on("GET", "/v1/metrics/cpu", json_response([
        {"labels": [{"field": "service", "value": SRV}, {"field": "instance", "value": "srv-x-abcde"}],
         "unit": "cpu", "values": [{"timestamp": "2026-11-24T10:00:00Z", "value": 0.12},
                                   {"timestamp": "2026-11-24T10:01:00Z", "value": 0.4}]}]))
    [series] = render.metrics("cpu", SRV, "2026-11-24T10:00:00Z", datetime(2026, 11, 24, 11, tzinfo=UTC),
                              resolution_seconds=60)
    assert series.unit == "cpu" and series.labels["instance"] == "srv-x-abcde"
    assert max(p.value for p in series.points) == 0.4
    assert fake.params() == {"resource": [SRV], "startTime": ["2026-11-24T10:00:00Z"],
                             "endTime": ["2026-11-24T11:00:00Z"], "resolutionSeconds": ["60"]}
    with pytest.raises(ValueError, match="cpu, memory, http-requests"):
        render.metrics("cpu_usage", SRV, "a", "b")


def test_metrics_http_latency_asks_for_its_quantile(render, fake):
    fake.on("GET", "/v1/metrics/http-latency", json_response([
        {"labels": [{"field": "service", "value": SRV}, {"field": "quantile", "value": "0.95"}], "unit": "ms",
         "values": [{"timestamp": "2026-11-24T10:00:00Z", "value": 180.5}]}]))
    [series] = render.metrics("http-latency", SRV, "2026-11-24T10:00:00Z", "2026-11-24T11:00:00Z", quantile=0.95)
    assert series.unit == "ms" and series.points[0].value == 180.5
    assert fake.params()["quantile"] == ["0.95"]
    with pytest.raises(ValueError, match="needs a quantile"):
        render.metrics("http-latency", SRV, "a", "b")
    with pytest.raises(ValueError, match="only it takes one"):
        render.metrics("cpu", SRV, "a", "b", quantile=0.5)


def test_deploy_listing_that_is_not_an_array_is_malformed(render, fake):
    fake.on("GET", f"/v1/services/{SRV}/deploys", json_response({"deploys": []}))
    with pytest.raises(MalformedResponse, match="JSON array") as caught:
        render.latest_deploy(SRV)
    assert caught.value.status == 200 and "GET https://api.render.com/v1/services/" in str(caught.value)


def test_empty_api_key_is_refused_without_echoing_it():
    with pytest.raises(ValueError, match="api_key is empty"):
        RenderClient(api_key="  ")


# -- service topology fields, service update (autoDeploy), key value -------------------------------
KV = "red-d621ercoud1c7397mstg"


def worker(**overrides) -> dict:
    """The worker as `GET /services/{id}` answers it, with the UNCONFIRMED `rootDir` and `branch`."""
    body = {**service("srv-d5ht2763jp1c73evn1dg", "verified-digital-twin-brains-worker", "background_worker"),
            "repo": "https://github.com/digitalbrains/verified-digital-twin-brains", "branch": "main",
            "rootDir": "backend"}
    body["serviceDetails"] = {"plan": "starter", "region": "oregon", "runtime": "python", "numInstances": 1,
                              "envSpecificDetails": {"buildCommand": "pip install -r requirements.txt",
                                                     "startCommand": "python -m worker"}}
    body.update(overrides)
    return body


def test_get_service_reads_the_topology_fields(render, fake):
    fake.on("GET", f"/v1/services/{SRV}", json_response({**service(), "rootDir": "backend", "branch": "main"}))
    api = render.get_service(SRV)
    assert (api.type, api.runtime, api.root_dir, api.branch, api.url) == (
        "web_service", "python", "backend", "main", "https://verified-digital-twin-brains.onrender.com")
    assert api.auto_deploy == "yes" and api.auto_deploys is True and api.auto_deploy_field == "autoDeploy"
    assert api.suspended == "not_suspended" and not api.is_suspended


def test_service_without_the_unconfirmed_fields_reads_none_and_runtime_falls_back_to_env(render, fake):
    body = service()
    body["serviceDetails"] = {"env": "python", "url": body["serviceDetails"]["url"]}
    fake.on("GET", f"/v1/services/{SRV}", json_response(body))
    api = render.get_service(SRV)
    assert api.root_dir is None and api.branch is None and api.auto_deploy_trigger is None
    assert api.runtime == "python"


@pytest.mark.parametrize(("shown", "written"), [
    ({"autoDeploy": "yes"}, {"autoDeploy": "no"}),
    ({"autoDeploy": "yes", "autoDeployTrigger": "commit"}, {"autoDeployTrigger": "off"}),
    ({"autoDeployTrigger": "checksPass"}, {"autoDeployTrigger": "off"}),
], ids=["autoDeploy", "both-shown", "autoDeployTrigger"])
def test_update_service_writes_auto_deploy_in_the_field_the_service_shows(render, fake, shown, written):
    import json

    before = {k: v for k, v in worker().items() if k != "autoDeploy"} | shown
    after = before | written | ({"autoDeploy": "no"} if "autoDeploy" in before else {})
    fake.on("GET", "/v1/services/srv-d5ht2763jp1c73evn1dg", json_response(before))
    fake.on("PATCH", "/v1/services/srv-d5ht2763jp1c73evn1dg", json_response(after))
    updated = render.update_service("srv-d5ht2763jp1c73evn1dg", autoDeploy="no")
    patch = fake.requests[-1]
    assert patch.method == "PATCH" and json.loads(patch.read()) == written
    assert updated.auto_deploys is False


def test_update_service_is_retried_after_a_503_and_reads_back_an_empty_answer(render, fake, sleeps):
    sid = "srv-d5ht2763jp1c73evn1dg"
    fake.on("GET", f"/v1/services/{sid}", json_response(worker()), json_response(worker(autoDeploy="no")))
    fake.on("PATCH", f"/v1/services/{sid}", json_response({"id": "x", "message": "busy"}, 503), httpx.Response(204))
    assert render.update_service(sid, autoDeploy="no").auto_deploy == "no"
    assert [r.method for r in fake.requests] == ["GET", "PATCH", "PATCH", "GET"]
    assert len(sleeps) == 1


def test_update_service_refuses_a_bad_auto_deploy_value_without_calling(render, fake):
    with pytest.raises(ValueError, match="autoDeploy must be 'yes' or 'no'"):
        render.update_service(SRV, autoDeploy="off")
    with pytest.raises(ValueError, match="at least one field"):
        render.update_service(SRV)
    assert fake.requests == []


def test_other_fields_are_patched_as_given(render, fake):
    fake.on("PATCH", f"/v1/services/{SRV}", json_response(service()))
    render.update_service(SRV, branch="main")
    assert fake.requests[0].read() == b'{"branch":"main"}'


def key_value(status: str = "available") -> dict:
    return {"id": KV, "name": "digitalbrains_redis", "status": status, "plan": "starter", "region": "oregon",
            "ownerId": OWNER, "createdAt": "2026-01-02T03:04:05Z", "updatedAt": "2026-11-01T00:00:00Z"}


def test_get_key_value_reads_its_status(render, fake):
    fake.on("GET", f"/v1/key-value/{KV}", json_response(key_value()))
    instance = render.get_key_value(KV)
    assert (instance.id, instance.name, instance.status, instance.owner_id) == (
        KV, "digitalbrains_redis", "available", OWNER)
    assert instance.available
    assert str(fake.requests[0].url) == f"https://api.render.com/v1/key-value/{KV}"


@pytest.mark.parametrize("status", ["creating", "suspended", "unavailable"])
def test_a_key_value_that_is_not_available_is_not_ready(render, fake, status):
    fake.on("GET", f"/v1/key-value/{KV}", json_response(key_value(status)))
    assert not render.get_key_value(KV).available


def test_key_value_without_status_is_malformed_and_404_is_not_found(render, fake):
    from gonogo_providers.errors import NotFoundError

    fake.on("GET", f"/v1/key-value/{KV}", json_response({"id": KV, "name": "digitalbrains_redis"}))
    with pytest.raises(MalformedResponse, match="without `id` or `status`"):
        render.get_key_value(KV)
    fake.on("GET", f"/v1/key-value/{KV}", json_response({"id": "not_found", "message": "not found"}, 404))
    with pytest.raises(NotFoundError, match=f"GET https://api.render.com/v1/key-value/{KV} answered 404"):
        render.get_key_value(KV)


# -- list calls never ask for more than Render's page maximum (100) ---------------------------------
def test_every_list_call_asks_at_most_100_per_page(render, fake):
    fake.on("GET", f"/v1/services/{SRV}/deploys", json_response([]))
    fake.on("GET", "/v1/services", json_response([]))
    fake.on("GET", f"/v1/services/{SRV}/env-vars", json_response([]))
    fake.on("GET", "/v1/logs", json_response({"hasMore": False, "logs": []}))
    render.list_deploys(SRV, limit=500, page_size=250)
    render.list_deploys(SRV, limit=None)
    render.list_services()
    render.list_env_vars(SRV)
    list(render.iter_logs(OWNER, SRV, limit=1000))
    limits = [int(fake.params(i)["limit"][0]) for i in range(len(fake.requests))]
    assert limits == [100, 100, 100, 100, 100]


def test_update_service_with_the_service_just_read_skips_the_read(render, fake):
    sid = "srv-d5ht2763jp1c73evn1dg"
    fake.on("GET", f"/v1/services/{sid}", json_response(worker()))
    fake.on("PATCH", f"/v1/services/{sid}", json_response(worker(autoDeploy="no")))
    current = render.get_service(sid)
    render.update_service(sid, current=current, autoDeploy="no")
    assert [r.method for r in fake.requests] == ["GET", "PATCH"]
