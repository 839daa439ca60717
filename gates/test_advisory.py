"""Advisory predeploy checks: the release is tagged (5.A.3) and the scheduler is configured (6)."""
from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.predeploy


@pytest.mark.criterion("release-tagged")
def test_release_candidate_is_tagged(app_repo_tags, release, evidence):
    pattern = re.compile(release["tag_pattern"])
    evidence.note("tags at the release commit", ", ".join(app_repo_tags) or "(none)")
    assert any(pattern.match(t) for t in app_repo_tags), (
        f"no tag matching {release['tag_pattern']} points at the release commit")


@pytest.mark.criterion("scheduler-configured")
def test_feedback_learning_scheduler_is_configured(render, evidence):
    crons = [s for s in render.list_services(type="cron_job")]
    found = [s for s in crons if "feedback" in s.name.lower()
             or "run_feedback_learning_scheduler" in str(s.raw.get("serviceDetails", {}))]
    evidence.note("Render cron jobs", ", ".join(f"{s.name} ({s.id})" for s in crons) or "(none)")
    assert found, "no Render cron job runs run_feedback_learning_scheduler.py (section 6 recommends */15 * * * *)"
    schedule = found[0].raw.get("serviceDetails", {}).get("schedule")
    assert schedule == "*/15 * * * *", f"the scheduler cron runs on {schedule!r}, not every 15 minutes"
