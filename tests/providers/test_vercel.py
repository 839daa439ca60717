"""VercelClient against httpx.MockTransport answering Vercel's real JSON shapes (docs/providers.md#vercel)."""

from __future__ import annotations

import httpx
import pytest
from provider_fakes import VERCEL_TOKEN, FakeProvider, assert_no_secret, json_response

from gonogo_providers.errors import AuthError, MalformedResponse, ProviderError
from gonogo_providers.vercel import VercelClient

PRJ = "prj_tye8zjjKLvhdjH2pyBXno8JaylYk"
TEAM = "team_a1B2c3D4e5F6g7H8i9J0k1L2"
ALIAS = "digitalbrains.vercel.app"


def deployment(n: int, state: str = "READY", candidate: bool = True) -> dict:
    """A v7 list item; `n` orders them (higher is newer)."""
    created = 1_764_000_000_000 + n * 60_000
    return {
        "uid": f"dpl_{n:024d}", "name": "verified-digital-twin-brains", "projectId": PRJ,
        "url": f"verified-digital-twin-brains-{n}.vercel.app", "created": created, "createdAt": created,
        "buildingAt": created + 1000, "ready": created + 90_000, "readyState": state, "state": state,
        "readySubstate": "PROMOTED", "type": "LAMBDAS", "source": "git", "target": "production",
        "aliasAssigned": created + 95_000, "aliasError": None, "isRollbackCandidate": candidate,
        "inspectorUrl": f"https://vercel.com/acme/verified-digital-twin-brains/{n}",
        "creator": {"uid": "usr_1", "email": "ops@example.com", "username": "ops", "githubLogin": "ops"},
        "meta": {"githubCommitSha": f"{n:040x}", "githubCommitRef": "main"},
    }


def project(job_status: str = "succeeded") -> dict:
    return {
        "id": PRJ, "name": "verified-digital-twin-brains", "accountId": TEAM, "nodeVersion": "20.x",
        "framework": "nextjs", "rootDirectory": "frontend",
        "link": {"type": "github", "org": "acme", "repo": "verified-digital-twin-brains", "productionBranch": "main"},
        "alias": [{"domain": ALIAS, "environment": "production", "target": "PRODUCTION"}],
        "targets": {"production": {"id": "dpl_000000000000000000000007", "alias": [ALIAS], "readyState": "READY",
                                   "readySubstate": "PROMOTED", "url": "verified-digital-twin-brains-7.vercel.app"}},
        "latestDeployments": [], "lastRollbackTarget": {},
        "lastAliasRequest": {"type": "rollback", "fromDeploymentId": "dpl_000000000000000000000008",
                             "toDeploymentId": "dpl_000000000000000000000007", "jobStatus": job_status,
                             "requestedAt": 1_764_000_600_000},
    }


def env(key: str, value: str, target, type_: str = "encrypted") -> dict:
    return {"id": f"env_{key.lower()}", "key": key, "value": value, "type": type_, "target": target,
            "gitBranch": None, "configurationId": None, "createdAt": 1_764_000_000_000,
            "updatedAt": 1_764_000_000_000, "comment": "", "decrypted": False}


@pytest.fixture
def vercel(fake: FakeProvider, sleeps: list[float]):
    with VercelClient(token=VERCEL_TOKEN, team_id=TEAM, transport=fake.transport, sleep=sleeps.append) as client:
        yield client


def test_list_deployments_pages_with_until_and_sends_team_id(vercel, fake):
    fake.on("GET", "/v7/deployments",
            json_response({"pagination": {"count": 2, "next": 1_764_000_240_000, "prev": None},
                           "deployments": [deployment(9), deployment(8)]}),
            json_response({"pagination": {"count": 1, "next": None, "prev": 1_764_000_480_000},
                           "deployments": [deployment(7)]}))
    got = vercel.list_deployments(PRJ, state="READY", rollback_candidate=True, limit=5)
    assert [d.id for d in got] == [f"dpl_{n:024d}" for n in (9, 8, 7)]
    assert got[0].ready and got[0].commit_sha == f"{9:040x}" and got[0].is_rollback_candidate
    assert fake.params(0) == {"projectId": [PRJ], "target": ["production"], "state": ["READY"], "limit": ["5"],
                              "rollbackCandidate": ["true"], "teamId": [TEAM]}
    assert fake.params(1)["until"] == ["1764000240000"]
    assert fake.requests[0].headers["Authorization"] == f"Bearer {VERCEL_TOKEN}"


def test_list_deployments_stops_at_limit(vercel, fake):
    fake.on("GET", "/v7/deployments",
            json_response({"pagination": {"count": 2, "next": 1, "prev": None},
                           "deployments": [deployment(9), deployment(8)]}))
    assert len(vercel.list_deployments(PRJ, limit=1)) == 1
    assert len(fake.requests) == 1


def test_get_deployment_v13_and_aliases_v2(vercel, fake):
    body = {**deployment(7), "id": "dpl_000000000000000000000007", "alias": [ALIAS, "vdtb.vercel.app"],
            "status": "READY", "plan": "pro", "regions": ["iad1"], "projectSettings": {"nodeVersion": "20.x"}}
    del body["uid"]
    fake.on("GET", "/v13/deployments/dpl_000000000000000000000007", json_response(body))
    fake.on("GET", "/v2/deployments/dpl_000000000000000000000007/aliases", json_response(
        {"aliases": [{"uid": "als_1", "alias": ALIAS, "created": "2026-11-24T10:00:00.000Z", "redirect": None}]}))
    got = vercel.get_deployment("dpl_000000000000000000000007")
    assert got.ready and ALIAS in got.aliases and got.target == "production"
    assert vercel.deployment_aliases("dpl_000000000000000000000007") == (ALIAS,)
    assert all(r.url.params["teamId"] == TEAM for r in fake.requests)


def test_project_exposes_node_version_and_last_alias_request(vercel, fake):
    fake.on("GET", f"/v9/projects/{PRJ}", json_response(project("in-progress")), json_response(project()))
    first = vercel.get_project(PRJ)
    assert first.node_version == "20.x" and first.production_deployment_id == "dpl_000000000000000000000007"
    assert first.last_alias_request is not None and not first.last_alias_request.succeeded
    assert vercel.get_project(PRJ).last_alias_request.succeeded


def test_project_lists_its_production_domains_and_branch(vercel, fake):
    body = project()
    body["alias"].append({"domain": "preview.example.com", "environment": "preview", "target": "PREVIEW"})
    fake.on("GET", f"/v9/projects/{PRJ}", json_response(body))
    got = vercel.get_project(PRJ)
    assert got.domains == (ALIAS,) and got.production_branch == "main"
    assert got.name == "verified-digital-twin-brains"


def test_list_deployments_never_asks_more_than_100_per_page(vercel, fake):
    fake.on("GET", "/v7/deployments", json_response({"pagination": {"next": None}, "deployments": []}))
    vercel.list_deployments(PRJ, limit=500)
    assert fake.params(0)["limit"] == ["100"]


def test_patch_project(vercel, fake):
    fake.on("PATCH", f"/v9/projects/{PRJ}", json_response({**project(), "nodeVersion": "22.x"}))
    assert vercel.patch_project(PRJ, nodeVersion="22.x").node_version == "22.x"
    assert fake.requests[0].read() == b'{"nodeVersion":"22.x"}'


@pytest.mark.parametrize("shape", ["envs", "envs+pagination", "envs+hidden", "bare"])
def test_list_env_reads_every_documented_shape(vercel, fake, shape):
    envs = [env("NEXT_PUBLIC_BACKEND_URL", "https://api", ["production", "preview"], "plain"),
            env("NEXT_PUBLIC_SUPABASE_ANON_KEY", "", "production", "sensitive"),
            env("NEXT_PUBLIC_E2E_BYPASS_AUTH", "1", ["development"], "plain")]
    body = {"envs": envs[:2], "pagination": {"count": 2, "next": 1_764_000_000_000, "prev": None}}
    answers = {
        "envs": [json_response({"envs": envs})],
        "envs+pagination": [json_response(body),
                            json_response({"envs": envs[2:], "pagination": {"count": 1, "next": None, "prev": 1}})],
        "envs+hidden": [json_response({"envs": envs, "hiddenProductionEnvCount": 2})],
        "bare": [json_response(envs)],
    }[shape]
    fake.on("GET", f"/v10/projects/{PRJ}/env", *answers)
    everything = vercel.list_env(PRJ)
    assert [e.key for e in everything] == [e["key"] for e in envs]
    assert everything[1].targets == ("production",) and everything[1].type == "sensitive"
    fake.on("GET", f"/v10/projects/{PRJ}/env", *answers)
    production = {e.key for e in vercel.list_env(PRJ, target="production")}
    assert production == {"NEXT_PUBLIC_BACKEND_URL", "NEXT_PUBLIC_SUPABASE_ANON_KEY"}
    assert fake.params()["target"] == ["production"]
    if shape == "envs+pagination":
        assert fake.params(-1)["until"] == ["1764000000000"]


def test_upsert_env(vercel, fake):
    fake.on("POST", f"/v10/projects/{PRJ}/env", json_response(
        {"created": env("NEXT_PUBLIC_E2E_BYPASS_AUTH", "0", ["production"], "plain"), "failed": []}, 201))
    vercel.upsert_env(PRJ, "NEXT_PUBLIC_E2E_BYPASS_AUTH", "0", ["production"], type="plain")
    assert fake.params() == {"upsert": ["true"], "teamId": [TEAM]}
    assert fake.requests[0].read() == (b'{"key":"NEXT_PUBLIC_E2E_BYPASS_AUTH","value":"0","type":"plain",'
                                       b'"target":["production"]}')


def test_upsert_env_failure_names_the_key_not_the_value(vercel, fake):
    fake.on("POST", f"/v10/projects/{PRJ}/env", json_response(
        {"created": [], "failed": [{"error": {"code": "ENV_CONFLICT", "message": "conflict on s3cr3t-value"}}]}, 201))
    with pytest.raises(ProviderError, match="did not store API_SECRET.*ENV_CONFLICT") as caught:
        vercel.upsert_env(PRJ, "API_SECRET", "s3cr3t-value", ["production"])
    assert "s3cr3t-value" not in str(caught.value)


def test_rollback_and_promote_answer_empty(vercel, fake):
    fake.on("POST", f"/v1/projects/{PRJ}/rollback/dpl_7", httpx.Response(201))
    fake.on("POST", f"/v10/projects/{PRJ}/promote/dpl_7", httpx.Response(202))
    assert vercel.rollback(PRJ, "dpl_7", description="gonogo: vercel-ready failed") is None
    assert fake.params(0) == {"description": ["gonogo: vercel-ready failed"], "teamId": [TEAM]}
    assert vercel.promote(PRJ, "dpl_7") is None
    assert fake.paths() == [f"/v1/projects/{PRJ}/rollback/dpl_7", f"/v10/projects/{PRJ}/promote/dpl_7"]


def test_vercel_error_body_is_quoted_without_the_token(vercel, fake):
    fake.on("POST", f"/v1/projects/{PRJ}/rollback/dpl_7", json_response(
        {"error": {"code": "forbidden", "message": f"Not authorized: Bearer {VERCEL_TOKEN}"}}, 403))
    with pytest.raises(AuthError, match="answered 403: vercel refused the Vercel token: Not authorized: Bearer "
                                        "\\*\\*\\*") as caught:
        vercel.rollback(PRJ, "dpl_7")
    assert_no_secret(caught.value)


def test_deployments_without_the_array_are_malformed(vercel, fake):
    fake.on("GET", "/v7/deployments", json_response({"pagination": {}}))
    with pytest.raises(MalformedResponse, match="`deployments` array"):
        vercel.list_deployments(PRJ)


def test_without_team_id_no_team_param(fake, sleeps):
    fake.on("GET", f"/v9/projects/{PRJ}", json_response(project()))
    with VercelClient(token=VERCEL_TOKEN, transport=fake.transport, sleep=sleeps.append) as vercel:
        vercel.get_project(PRJ)
    assert "teamId" not in fake.params()


def test_previous_production_deployment_skips_the_current_and_newer(vercel, fake):
    # Production is served by 7 (after an earlier rollback away from 8): the target is 6, not 8.
    fake.on("GET", f"/v9/projects/{PRJ}", json_response(project()))
    fake.on("GET", "/v7/deployments", json_response(
        {"pagination": {"count": 3, "next": None, "prev": None},
         "deployments": [deployment(8), deployment(7), deployment(6), deployment(5)]}))
    previous = vercel.previous_production_deployment(PRJ)
    assert previous is not None and previous.id == f"dpl_{6:024d}"
    assert fake.params(1)["rollbackCandidate"] == ["true"] and fake.params(1)["state"] == ["READY"]


def test_previous_production_deployment_reads_the_current_one_when_not_listed(vercel, fake):
    current = {**deployment(7), "id": "dpl_000000000000000000000007"}
    fake.on("GET", f"/v9/projects/{PRJ}", json_response(project()))
    fake.on("GET", "/v7/deployments", json_response({"deployments": [deployment(9), deployment(4)]}))
    fake.on("GET", "/v13/deployments/dpl_000000000000000000000007", json_response(current))
    previous = vercel.previous_production_deployment(PRJ)
    assert previous is not None and previous.id == f"dpl_{4:024d}"
