"""Drills: a bad deploy is rolled back automatically, heals, and stays rolled back (auto-deploy off, the next
push not deployed); a worker that cannot take jobs from its queue is NO-GO on its pickup latency, though the
recovery path finishes them."""

from __future__ import annotations

import re
import subprocess
import time

import httpx
from _drill import (
    assert_healthy,
    assert_no_secrets,
    module_stack,
    newest_deploy,
    render_service,
    run_runbook,
    target_file,
    wait_until,
    write_target,
)

stack = module_stack()
# The sandbox polls the checkout's `main` every second (sandbox/README.md#deploys): three polls and a margin.
AUTO_DEPLOY_POLLS_S = 3.5
# A deploy of a new commit settles in about a second; generous for a shared machine.
AUTO_DEPLOY_TIMEOUT_S = 30
PICKUP_S = 10  # runbook.toml [targets.sandbox] learning_job_pickup_s
# How the gate names a missed pickup (harness/learning.py `failures`): the latency against its bound.
PICKUP_REASON = re.compile(rf"learning job \S+ (was not picked up within {PICKUP_S} s \(still queued\)"
                           rf"|was picked up after [0-9.]+ s, bound {PICKUP_S} s)")


def _auto_deploy_off(service: dict) -> bool:
    # Whichever field the account shows (docs/providers.md#render-service-update); the sandbox shows both.
    return service.get("autoDeploy") == "no" or service.get("autoDeployTrigger") == "off"


def _deploys(stack) -> dict[str, dict]:
    with stack.render() as render:
        return {role: newest_deploy(render, stack.status[f"render_{role}_service_id"]) for role in ("api", "worker")}


def _push_to_main(stack, message: str) -> str:
    """A commit on the app checkout's `main`, as a merge to GitHub would land (the sandbox auto-deploys it)."""
    repo = stack.status["app_repo"]
    git = ["git", "-C", repo, "-c", "user.name=gonogo drill", "-c", "user.email=drill@gonogo.invalid"]
    branch = subprocess.run([*git, "rev-parse", "--abbrev-ref", "HEAD"], capture_output=True, text=True, check=True)
    assert branch.stdout.strip() == "main", f"the app checkout is on {branch.stdout.strip()!r}, not main"
    subprocess.run([*git, "commit", "--allow-empty", "-q", "-m", message], capture_output=True, check=True)
    return subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()


def test_a_worker_that_cannot_take_jobs_is_no_go_on_its_pickup_latency(stack, tmp_path):
    # The job's time bound (60 s, production's) outlasts the recovery sweep that finishes these jobs 30-45 s
    # after they were queued: the gate judges the pickup and does not wait for the recovery to make it look done.
    target = write_target(stack, "job-60s", learning_job_timeout_s=60)
    stack.fault("worker-queue-broken")
    try:
        run = run_runbook("-m", "postdeploy", target=target, out_dir=tmp_path, name="queue-broken",
                          paths=("postdeploy/test_feedback_learning.py",))
    finally:
        stack.clear()
    assert_healthy(stack)
    assert run.verdict is not None, run.describe()
    assert run.returncode == 1 and run.verdict["verdict"] == "NO-GO", run.describe()
    assert run.statuses()["feedback-learning"] == "failed", run.describe()
    [message] = run.messages("feedback-learning")
    assert PICKUP_REASON.search(message), message
    # The worker's own error lines are named too (no worker error is part of go/no-go 5).
    assert "cannot read the job queue" in message, message
    # It was judged at the pickup bound, not at the job's 60 s.
    [test] = next(c for c in run.verdict["criteria"] if c["id"] == "feedback-learning")["tests"]
    assert test["duration_s"] < 45, test["duration_s"]
    job = next(e["text"] for e in test["evidence"] if e["kind"] == "note" and e["title"].startswith("learning job "))
    assert "started_at=(none)" in job and f"(bound {PICKUP_S} s)" in job, job
    assert_no_secrets(run, stack)


# The bad deploy rolled back automatically and healed, then kept rolled back. (Which criteria bad-deploy-health
# turns NO-GO over the whole runbook, and nothing else: its drill in test_deploy_faults*.py.)
def test_a_rolled_back_service_stays_rolled_back_when_main_moves(stack, tmp_path):
    before = _deploys(stack)
    assert before["api"]["status"] == "live", before["api"]
    stack.fault("bad-deploy-health")
    try:
        bad = _deploys(stack)
        assert bad["api"]["id"] != before["api"]["id"] and bad["api"]["status"] == "live", bad["api"]
        assert bad["api"]["commit"]["id"] != before["api"]["commit"]["id"], bad["api"]
        assert httpx.get(stack.status["api_url"] + "/health", timeout=5).status_code == 503

        run = run_runbook("-m", "smoke", "--rollback=auto", target=target_file(stack), out_dir=tmp_path,
                          name="rollback")
        assert run.verdict is not None, run.describe()
        assert run.returncode == 1 and run.verdict["verdict"] == "NO-GO", run.describe()
        assert run.verdict["stages"] == ["smoke"]
        assert {cid for cid, s in run.statuses().items() if s != "passed"} == {"health-public"}, run.describe()
        rollback = run.verdict["rollback"]
        assert rollback["mode"] == "auto" and rollback["triggered"] and rollback["scopes"] == ["backend"], rollback
        assert rollback["actions"] and all(a["status"] == "done" for a in rollback["actions"]), rollback
        assert_no_secrets(run, stack)

        # The previous deploy is live again and healthy, read straight from Render and the API.
        rolled = _deploys(stack)
        assert rolled["api"]["trigger"] == "rollback" and rolled["api"]["status"] == "live", rolled["api"]
        assert rolled["api"]["commit"]["id"] == before["api"]["commit"]["id"]
        health = httpx.get(stack.status["api_url"] + "/health", timeout=5)
        assert health.status_code == 200 and health.json()["status"] == "healthy", health.text
        # Every service the action rolled back has auto-deploy off. Only the API ran the bad build: the worker
        # still runs the previous release, so its action did nothing and it keeps auto-deploy on.
        rolled_back = {role for role, deploy in rolled.items() if deploy["trigger"] == "rollback"}
        assert rolled_back == {"api"}, rolled
        for role in rolled_back:
            service = render_service(stack, stack.status[f"render_{role}_service_id"])
            assert _auto_deploy_off(service), (role, service.get("autoDeploy"), service.get("autoDeployTrigger"))

        # A push to main: a service that keeps auto-deploy on takes it (the poller is alive)...
        sha = _push_to_main(stack, "feat: the next change, merged while the rollback holds")
        kept_on = [role for role in ("api", "worker") if role not in rolled_back]
        for role in kept_on:
            service_id = stack.status[f"render_{role}_service_id"]
            assert not _auto_deploy_off(render_service(stack, service_id))
            with stack.render() as render:
                wait_until(lambda sid=service_id, render=render: newest_deploy(render, sid)["commit"]["id"] == sha,
                           timeout=AUTO_DEPLOY_TIMEOUT_S, every=0.25, what=f"the {role} auto-deploying {sha[:8]}")
        # ...and the rolled-back ones do not, over several polls.
        time.sleep(AUTO_DEPLOY_POLLS_S)
        after = _deploys(stack)
        for role in rolled_back:
            assert after[role]["id"] == rolled[role]["id"], (role, after[role])
            assert after[role]["commit"]["id"] != sha
        health = httpx.get(stack.status["api_url"] + "/health", timeout=5)
        assert health.status_code == 200 and health.json()["status"] == "healthy", health.text
    finally:
        stack.clear()
    assert_healthy(stack)
