"""SupabaseClient and PineconeClient against httpx.MockTransport answering the real shapes.

Shapes: docs/providers.md#supabase and docs/providers.md#pinecone.
"""

from __future__ import annotations

import pytest
from provider_fakes import PINECONE_KEY, SUPABASE_TOKEN, FakeProvider, json_response

from gonogo_providers.errors import MalformedResponse, NotFoundError
from gonogo_providers.pinecone import PineconeClient
from gonogo_providers.supabase import SupabaseClient

REF = "abcdefghijklmnopqrst"
MIGRATIONS = [{"version": "20260101120000", "name": "initial_schema"},
              {"version": "20260915093000", "name": "phase7_feedback_learning_loop"},
              {"version": "20261020101500", "name": "add_feedback_learning_job_type"}]


@pytest.fixture
def supabase(fake: FakeProvider, sleeps: list[float]):
    with SupabaseClient(access_token=SUPABASE_TOKEN, transport=fake.transport, sleep=sleeps.append) as client:
        yield client


@pytest.fixture
def pinecone(fake: FakeProvider, sleeps: list[float]):
    with PineconeClient(api_key=PINECONE_KEY, transport=fake.transport, sleep=sleeps.append) as client:
        yield client


@pytest.mark.parametrize("wrapped", [False, True], ids=["bare-array", "mcp-object"])
def test_list_migrations_reads_both_shapes(supabase, fake, wrapped):
    fake.on("GET", f"/v1/projects/{REF}/database/migrations",
            json_response({"migrations": MIGRATIONS} if wrapped else MIGRATIONS))
    got = supabase.list_migrations(REF)
    assert [(m.version, m.name) for m in got] == [(m["version"], m["name"]) for m in MIGRATIONS]
    request = fake.requests[0]
    assert str(request.url) == f"https://api.supabase.com/v1/projects/{REF}/database/migrations"
    assert request.headers["Authorization"] == f"Bearer {SUPABASE_TOKEN}"


def test_migration_without_name_is_kept_and_without_version_is_malformed(supabase, fake):
    fake.on("GET", f"/v1/projects/{REF}/database/migrations", json_response([{"version": "20260101120000"}]))
    assert supabase.list_migrations(REF)[0].name is None
    fake.on("GET", f"/v1/projects/{REF}/database/migrations", json_response([{"name": "x"}]))
    with pytest.raises(MalformedResponse, match="without `version`"):
        supabase.list_migrations(REF)


def test_project_health_and_status(supabase, fake):
    fake.on("GET", f"/v1/projects/{REF}/health", json_response([
        {"name": "db", "healthy": True, "status": "ACTIVE_HEALTHY"},
        {"name": "auth", "healthy": False, "status": "UNHEALTHY", "error": "gotrue down"}]))
    fake.on("GET", f"/v1/projects/{REF}", json_response(
        {"id": REF, "ref": REF, "organization_id": "org_1", "name": "twins-prod", "region": "us-east-1",
         "created_at": "2026-01-01T00:00:00Z", "status": "ACTIVE_HEALTHY"}))
    health = supabase.project_health(REF, services=["db", "auth"])
    assert [(h.name, h.healthy, h.status) for h in health] == [("db", True, "ACTIVE_HEALTHY"),
                                                               ("auth", False, "UNHEALTHY")]
    assert fake.params(0) == {"services": ["db", "auth"]}  # a repeated key (docs/providers.md#supabase-health)
    project = supabase.get_project(REF)
    assert project.healthy and project.ref == REF and project.region == "us-east-1"


def test_health_entry_without_boolean_is_malformed(supabase, fake):
    fake.on("GET", f"/v1/projects/{REF}/health", json_response([{"name": "db", "healthy": "yes"}]))
    with pytest.raises(MalformedResponse, match="boolean `healthy`"):
        supabase.project_health(REF)


def index_model(state: str = "Ready", ready: bool = True) -> dict:
    return {
        "name": "digital-twin-brain", "dimension": 3072, "metric": "cosine", "vector_type": "dense",
        "host": "digital-twin-brain-abc1234.svc.aped-4627-b74a.pinecone.io", "private_host": None,
        "deletion_protection": "enabled", "tags": {"env": "production"}, "embed": None,
        "spec": {"serverless": {"cloud": "aws", "region": "us-east-1",
                                "read_capacity": {"mode": "OnDemand", "status": {"state": "Ready"}}}},
        "status": {"ready": ready, "state": state},
    }


def test_describe_index_sends_key_and_pinned_version(pinecone, fake):
    fake.on("GET", "/indexes/digital-twin-brain", json_response(index_model()))
    index = pinecone.describe_index("digital-twin-brain")
    assert index.is_ready and index.dimension == 3072 and index.host.endswith(".pinecone.io")
    request = fake.requests[0]
    assert str(request.url) == "https://api.pinecone.io/indexes/digital-twin-brain"
    assert request.headers["Api-Key"] == PINECONE_KEY
    assert request.headers["X-Pinecone-Api-Version"] == "2025-10"
    assert "Authorization" not in request.headers


def test_describe_index_not_ready_and_2026_07_shape(pinecone, fake):
    newer = {k: v for k, v in index_model("ScalingUp", False).items() if k not in ("dimension", "metric", "spec")}
    newer.update(deployment={"cloud": "aws", "region": "us-east-1", "deployment_type": "serverless"},
                 schema={"fields": {}}, read_capacity={"mode": "OnDemand"})
    fake.on("GET", "/indexes/digital-twin-brain", json_response(newer))
    index = pinecone.describe_index("digital-twin-brain")
    assert (index.ready, index.state, index.dimension, index.is_ready) == (False, "ScalingUp", None, False)


def test_describe_index_without_status_is_malformed_and_404_is_not_found(pinecone, fake):
    fake.on("GET", "/indexes/digital-twin-brain", json_response({"name": "digital-twin-brain"}))
    with pytest.raises(MalformedResponse, match=r"status\{ready, state\}"):
        pinecone.describe_index("digital-twin-brain")
    fake.on("GET", "/indexes/missing", json_response(
        {"error": {"code": "NOT_FOUND", "message": "Resource missing not found"}, "status": 404}, 404))
    with pytest.raises(NotFoundError, match="answered 404: Resource missing not found"):
        pinecone.describe_index("missing")
