"""Section 1 comparisons (harness/topology.py): one sentence per differing field, with seen and expected values."""
from __future__ import annotations

import tomllib
from pathlib import Path

from gonogo_providers.pinecone import IndexDescription
from gonogo_providers.render import KeyValue, Service
from gonogo_providers.supabase import SupabaseProject
from gonogo_providers.vercel import Project
from harness import topology as t

ROOT = Path(__file__).resolve().parents[2]
TOPOLOGY = tomllib.loads((ROOT / "runbook.toml").read_text())["topology"]
URL = "https://verified-digital-twin-brains.onrender.com"


def service(**overrides) -> Service:
    fields = dict(id="srv-d5ht2763jp1c73evn1dg", name="worker", type="background_worker", owner_id="tea-1",
                  auto_deploy="yes", suspended="not_suspended", url=None, raw={}, root_dir="backend",
                  branch="main", runtime="python")
    return Service(**{**fields, **overrides})


def test_a_worker_as_the_runbook_says_has_no_mismatch():
    expected = {**TOPOLOGY["render_worker"], "ownerId": "tea-1"}
    assert t.service_mismatches("worker", service(), expected) == []


def test_every_differing_field_is_one_sentence_naming_field_seen_and_expected():
    expected = {**TOPOLOGY["render_api"], "ownerId": "tea-1", "serviceDetails.url": URL}
    seen = service(id="srv-a", type="background_worker", root_dir=None, runtime="node", suspended="suspended",
                   url=URL + "/")
    assert t.service_mismatches("API", seen, expected) == [
        "Render API service srv-a: type is 'background_worker', expected 'web_service'.",
        "Render API service srv-a: serviceDetails.runtime is 'node', expected 'python'.",
        "Render API service srv-a: rootDir is absent, expected 'backend'.",
        "Render API service srv-a: suspended is 'suspended', expected 'not_suspended'.",
    ]


def test_the_runbook_expects_backend_python_services_of_the_right_types():
    assert TOPOLOGY["render_api"]["type"] == "web_service"
    assert TOPOLOGY["render_worker"] == {"type": "background_worker", "serviceDetails.runtime": "python",
                                         "rootDir": "backend", "suspended": "not_suspended"}


def test_key_value_supabase_pinecone_name_the_value_seen():
    kv = KeyValue(id="red-1", name="digitalbrains_redis", status="creating", plan=None, region=None, owner_id=None,
                  raw={})
    assert t.key_value_mismatches(kv) == [
        "Render Key Value red-1 (digitalbrains_redis): status is 'creating', expected 'available'."]
    assert t.key_value_mismatches(KeyValue("red-1", "r", "available", None, None, None, {})) == []
    project = SupabaseProject(ref="abc", name="x", status="COMING_UP", region=None, raw={})
    assert t.supabase_mismatches(project) == ["Supabase project abc: status is 'COMING_UP', expected 'ACTIVE_HEALTHY'."]
    index = IndexDescription(name="idx", ready=False, state="ScalingUp", host=None, dimension=None, raw={})
    assert t.pinecone_mismatches(index) == ["Pinecone index idx: status.state is 'ScalingUp', expected 'Ready'.",
                                            "Pinecone index idx: status.ready is False, expected True."]


def test_vercel_alias_and_production_deployment():
    project = Project(id="prj_1", name="web", node_version="20.x", framework="nextjs", production_deployment_id=None,
                      last_alias_request=None, raw={}, domains=("other.vercel.app",))
    assert t.vercel_mismatches(project, "digitalbrains.vercel.app") == [
        "Vercel project prj_1: production domains are ['other.vercel.app'], expected them to include "
        "'digitalbrains.vercel.app'.",
        "Vercel project prj_1: targets.production is absent, expected a production deployment.",
    ]
