"""Section 1, the live topology: Render API, worker and Key Value, the Vercel project and alias, Supabase, Pinecone.

Each test reads one provider, collects every field that differs from the runbook, keeps what it read as
evidence, then asserts; a provider error propagates as it is (it says nothing about the topology).
"""
from __future__ import annotations

import pytest

from harness import topology as t

pytestmark = [pytest.mark.predeploy, pytest.mark.criterion("topology")]

ROLES = {"API": "render_api_service_id", "worker": "render_worker_service_id"}


def _fail_on(found: list[str]) -> None:
    assert not found, " ".join(found)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_render_service_is_what_the_runbook_says(render, target, topology, role, evidence):
    service = render.get_service(getattr(target, ROLES[role]))
    evidence.note(f"Render {role} service {service.id} ({service.name})", t.facts_text(t.service_facts(service)))
    expected = {**topology[f"render_{role.lower()}"], "ownerId": target.render_owner_id}
    if role == "API":
        expected["serviceDetails.url"] = target.api_url.rstrip("/")
    _fail_on(t.service_mismatches(role, service, expected))


def test_render_key_value_is_available(render, target, evidence):
    assert target.render_keyvalue_id, (
        f"target {target.name} names no render_keyvalue_id (the Render Key Value instance, red-...); add it")
    instance = render.get_key_value(target.render_keyvalue_id)
    evidence.note(f"Render Key Value {instance.id}",
                  t.facts_text({"name": instance.name, "status": instance.status, "plan": instance.plan,
                                "region": instance.region, "ownerId": instance.owner_id}))
    _fail_on(t.key_value_mismatches(instance))


def test_vercel_project_and_alias_exist(vercel, target, evidence):
    project = vercel.get_project(target.vercel_project_id)
    evidence.note(f"Vercel project {project.id} ({project.name})",
                  t.facts_text({"domains": ", ".join(project.domains) or "(none)",
                                "targets.production.id": project.production_deployment_id,
                                "link.productionBranch": project.production_branch}))
    _fail_on(t.vercel_mismatches(project, target.vercel_alias))


def test_supabase_project_is_active_healthy(supabase, target, evidence):
    project = supabase.get_project(target.supabase_project_ref)
    evidence.note(f"Supabase project {project.ref} ({project.name})",
                  t.facts_text({"status": project.status, "region": project.region}))
    _fail_on(t.supabase_mismatches(project))


def test_pinecone_index_is_ready(pinecone, target, evidence):
    index = pinecone.describe_index(target.pinecone_index)
    evidence.note(f"Pinecone index {index.name}",
                  t.facts_text({"status.ready": index.ready, "status.state": index.state, "host": index.host}))
    _fail_on(t.pinecone_mismatches(index))
