"""Go/no-go 2: the newest Vercel production deployment is READY, aliased to the domain (and is the release)."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.smoke, pytest.mark.criterion("vercel-ready")]

_SETTLED = ("READY", "ERROR", "CANCELED", "BLOCKED", "DELETED")


def test_production_deployment_is_ready_and_aliased(vercel, target, release_sha, thresholds, wait_for, evidence):
    def newest():
        deployments = vercel.list_deployments(target.vercel_project_id, target="production", limit=1)
        return deployments[0] if deployments else None

    deployment = wait_for(newest, lambda d: d is None or d.ready_state in _SETTLED,
                          timeout=thresholds["settle_timeout_s"], what="the newest production deployment to settle",
                          describe=lambda d: d and f"{d.id} {d.ready_state}")
    assert deployment is not None, f"project {target.vercel_project_id} has no production deployment"
    detail = vercel.get_deployment(deployment.id)
    aliases = set(detail.aliases) | set(vercel.deployment_aliases(deployment.id))
    evidence.note("newest production deployment",
                  f"{detail.id} readyState={detail.ready_state} aliasAssigned={detail.alias_assigned} "
                  f"aliases={sorted(aliases)} commit={detail.commit_sha}")
    assert detail.ready_state == "READY", f"production deployment {detail.id} is {detail.ready_state!r}, not READY"
    assert target.vercel_alias in aliases, (
        f"production deployment {detail.id} is not aliased to {target.vercel_alias} "
        f"(aliases: {sorted(aliases) or 'none'})")
    if release_sha:
        assert detail.commit_sha == release_sha, (
            f"production deployment {detail.id} is commit {detail.commit_sha}, not the release {release_sha}")
