"""Go/no-go 1: the newest Render deploy of the API and of the worker is `live` (and is the release)."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.smoke, pytest.mark.criterion("render-live")]


@pytest.mark.parametrize("service", ["api", "worker"])
def test_newest_deploy_is_live(render, target, service, release_sha, thresholds, wait_for, evidence):
    service_id = {"api": target.render_api_service_id, "worker": target.render_worker_service_id}[service]
    # A deploy still building or updating is given time to settle; anything else is judged as it is.
    deploy = wait_for(lambda: render.latest_deploy(service_id), lambda d: d is None or not d.in_progress,
                      timeout=thresholds["settle_timeout_s"], what=f"the newest {service} deploy to settle",
                      describe=lambda d: d and f"{d.id} {d.status}")
    assert deploy is not None, f"the {service} service {service_id} has no deploys"
    evidence.note(f"newest {service} deploy",
                  f"{deploy.id} status={deploy.status} commit={deploy.commit_id} trigger={deploy.trigger}")
    assert deploy.status == "live", f"the newest {service} deploy {deploy.id} is {deploy.status!r}, not 'live'"
    if release_sha:
        assert deploy.commit_id == release_sha, (
            f"the live {service} deploy {deploy.id} runs commit {deploy.commit_id}, not the release {release_sha}")
