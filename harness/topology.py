"""Section 1, the live topology: what the providers report about each resource, against what the runbook says.

Every comparison gives one sentence per field that differs, naming the resource, the field, the value seen
and the value expected, so a check can collect them all before it asserts (docs/runbook.md#map-section-1).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gonogo_providers.pinecone import IndexDescription
from gonogo_providers.render import KEY_VALUE_AVAILABLE, KeyValue, Service
from gonogo_providers.supabase import SupabaseProject
from gonogo_providers.vercel import Project

# The Supabase project status and the Pinecone index state that count as healthy and ready
# (docs/providers.md#supabase-project, #pinecone-describe-index).
SUPABASE_HEALTHY = "ACTIVE_HEALTHY"
PINECONE_READY = "Ready"


def _shown(value: Any) -> str:
    return "absent" if value is None or value == "" else repr(value)


def mismatches(subject: str, expected: Mapping[str, Any], actual: Mapping[str, Any]) -> list[str]:
    """One sentence per field of `expected` whose value in `actual` differs (absent counts as different)."""
    return [f"{subject}: {name} is {_shown(actual.get(name))}, expected {want!r}."
            for name, want in expected.items() if actual.get(name) != want]


def service_facts(service: Service) -> dict[str, Any]:
    """The fields section 1 speaks about, under Render's own names (docs/providers.md#render-services)."""
    return {
        "type": service.type, "serviceDetails.runtime": service.runtime, "rootDir": service.root_dir,
        "serviceDetails.url": service.url.rstrip("/") if service.url else service.url,
        "suspended": service.suspended, "ownerId": service.owner_id,
        # Shown, not judged (2.P2): a release may deploy by commit with auto-deploy off, e.g. after a rollback.
        "autoDeploy": service.auto_deploy, "autoDeployTrigger": service.auto_deploy_trigger, "branch": service.branch,
    }


def service_mismatches(role: str, service: Service, expected: Mapping[str, Any]) -> list[str]:
    return mismatches(f"Render {role} service {service.id}", expected, service_facts(service))


def key_value_mismatches(instance: KeyValue) -> list[str]:
    if instance.available:
        return []
    return [f"Render Key Value {instance.id} ({instance.name or 'unnamed'}): status is {_shown(instance.status)}, "
            f"expected {KEY_VALUE_AVAILABLE!r}."]


def vercel_mismatches(project: Project, alias: str) -> list[str]:
    found = []
    if alias not in project.domains:
        found.append(f"Vercel project {project.id}: production domains are {list(project.domains) or 'none'}, "
                     f"expected them to include {alias!r}.")
    if project.production_deployment_id is None:
        found.append(f"Vercel project {project.id}: targets.production is absent, expected a production deployment.")
    return found


def supabase_mismatches(project: SupabaseProject) -> list[str]:
    if project.healthy:
        return []
    return [f"Supabase project {project.ref}: status is {_shown(project.status)}, expected {SUPABASE_HEALTHY!r}."]


def pinecone_mismatches(index: IndexDescription) -> list[str]:
    found = []
    if index.state != PINECONE_READY:
        found.append(f"Pinecone index {index.name}: status.state is {_shown(index.state)}, "
                     f"expected {PINECONE_READY!r}.")
    if index.ready is not True:
        found.append(f"Pinecone index {index.name}: status.ready is {index.ready!r}, expected True.")
    return found


def facts_text(facts: Mapping[str, Any]) -> str:
    """`name=value` lines for evidence."""
    return "\n".join(f"{name}={value}" for name, value in facts.items())
