"""The writes release steps B, C and E make, against httpx.MockTransport in the providers' documented shapes.

Supabase apply-migration (docs/providers.md#supabase-apply-migration), Vercel create deployment
(docs/providers.md#vercel-production-deployments), Vercel single env read and delete
(docs/providers.md#vercel-env-writes).
"""

from __future__ import annotations

import json

import httpx
import pytest
from provider_fakes import SUPABASE_TOKEN, VERCEL_TOKEN, FakeProvider, json_response

from gonogo_providers.errors import ServerError
from gonogo_providers.supabase import SupabaseClient
from gonogo_providers.vercel import VercelClient

REF = "abcdefghijklmnopqrst"
PRJ = "prj_tye8zjjKLvhdjH2pyBXno8JaylYk"
TEAM = "team_a1B2c3D4e5F6g7H8i9J0k1L2"
SHA = "c59e9659e7bbe88c3cbb4b4191c1bf81ee6b8370"


@pytest.fixture
def supabase(fake: FakeProvider, sleeps: list[float]):
    with SupabaseClient(access_token=SUPABASE_TOKEN, transport=fake.transport, sleep=sleeps.append) as client:
        yield client


@pytest.fixture
def vercel(fake: FakeProvider, sleeps: list[float]):
    with VercelClient(token=VERCEL_TOKEN, team_id=TEAM, transport=fake.transport, sleep=sleeps.append) as client:
        yield client


@pytest.mark.parametrize("status", [200, 201])
def test_apply_migration_posts_name_and_query(supabase, fake, status):
    fake.on("POST", f"/v1/projects/{REF}/database/migrations", json_response({}, status))
    supabase.apply_migration(REF, "persona_tone_setting", "ALTER TABLE twins ADD COLUMN persona_tone text;")
    request = fake.requests[0]
    assert request.method == "POST" and request.headers["Authorization"] == f"Bearer {SUPABASE_TOKEN}"
    assert json.loads(request.content) == {"name": "persona_tone_setting",
                                           "query": "ALTER TABLE twins ADD COLUMN persona_tone text;"}


def test_apply_migration_is_never_repeated_after_a_5xx(supabase, fake, sleeps):
    fake.on("POST", f"/v1/projects/{REF}/database/migrations",
            json_response({"message": "Failed to run sql query"}, 500))
    with pytest.raises(ServerError, match="Failed to run sql query"):
        supabase.apply_migration(REF, "x", "select 1")
    assert len(fake.requests) == 1 and sleeps == []


def test_apply_migration_is_repeated_after_a_429(supabase, fake, sleeps):
    fake.on("POST", f"/v1/projects/{REF}/database/migrations",
            json_response({"message": "slow down"}, 429, **{"Retry-After": "1"}), json_response({}, 201))
    supabase.apply_migration(REF, "x", "select 1")
    assert len(fake.requests) == 2 and sleeps == [1.0]


def _created(sha: str) -> dict:
    """The v13 detail shape a create answers."""
    return {"id": "dpl_9xJ2", "url": "verified-digital-twin-brains-9xj2.vercel.app", "readyState": "QUEUED",
            "target": "production", "createdAt": 1_764_000_000_000, "alias": [], "aliasAssigned": False,
            "meta": {"githubCommitSha": sha, "githubCommitRef": "main"}}


@pytest.mark.parametrize("status", [200, 201])
def test_create_deployment_builds_the_commit_for_production(vercel, fake, status):
    fake.on("POST", "/v13/deployments", json_response(_created(SHA), status))
    deployment = vercel.create_deployment(PRJ, name="verified-digital-twin-brains", sha=SHA, ref="main",
                                          git={"org": "acme", "repo": "verified-digital-twin-brains"})
    assert deployment.id == "dpl_9xJ2" and deployment.ready_state == "QUEUED" and deployment.commit_sha == SHA
    request = fake.requests[0]
    assert request.url.params["teamId"] == TEAM
    assert json.loads(request.content) == {
        "name": "verified-digital-twin-brains", "project": PRJ, "target": "production",
        "gitSource": {"type": "github", "org": "acme", "repo": "verified-digital-twin-brains", "sha": SHA,
                      "ref": "main"}}


def test_create_deployment_is_never_repeated_after_a_read_timeout(vercel, fake, sleeps):
    fake.on("POST", "/v13/deployments", httpx.ReadTimeout("slow"))
    with pytest.raises(Exception, match="timed out"):
        vercel.create_deployment(PRJ, name="p", sha=SHA)
    assert len(fake.requests) == 1


def test_get_env_reads_the_decrypted_value_and_delete_env(vercel, fake):
    record = {"id": "env_1", "key": "NEXT_PUBLIC_E2E_BYPASS_AUTH", "value": "1", "type": "encrypted",
              "target": ["production", "preview"], "decrypted": True}
    fake.on("GET", f"/v1/projects/{PRJ}/env/env_1", json_response(record))
    fake.on("DELETE", f"/v9/projects/{PRJ}/env/env_1", json_response(record))
    var = vercel.get_env(PRJ, "env_1")
    assert (var.key, var.value, var.targets) == ("NEXT_PUBLIC_E2E_BYPASS_AUTH", "1", ("production", "preview"))
    vercel.delete_env(PRJ, "env_1")
    assert [(r.method, r.url.path) for r in fake.requests] == [
        ("GET", f"/v1/projects/{PRJ}/env/env_1"), ("DELETE", f"/v9/projects/{PRJ}/env/env_1")]
    assert all(r.url.params["teamId"] == TEAM for r in fake.requests)


def test_delete_env_answered_204(vercel, fake):
    fake.on("DELETE", f"/v9/projects/{PRJ}/env/env_2", httpx.Response(204))
    vercel.delete_env(PRJ, "env_2")
