"""Releases against a real sandbox with the journal on PostgreSQL (the sandbox's own server, a database of its
own): `kill -9` during step C and again during the soak, `resume` each time: GO, each effect once, the soak's
window kept; then a bad build with `--rollback auto`: NO-GO, rolled back, healed, and `history` shows both."""

from __future__ import annotations

import time

import httpx
import psycopg
import pytest
from _e2e import Operator, kill9, module_stack, side_effects, stage_processes

from release.journal import parse_iso

stack = module_stack()
SOAK_S = 6.0


@pytest.fixture(scope="module")
def operator(stack, tmp_path_factory) -> Operator:
    dsn = stack.status["database_url"]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE DATABASE release_journal")
    return Operator(stack, tmp_path_factory.mktemp("release"), dsn.rsplit("/", 1)[0] + "/release_journal")


def _running(step: str, *, evidence: str | None = None):
    """The step's journal entry once it is running (and, with `evidence`, once it has recorded that key: the
    soak records its window's start just after the step begins)."""
    def check(journal):
        for release in journal.history():
            found = journal.step(release.id, step)
            if found is not None and found.state == "running" and (evidence is None or evidence in found.evidence):
                return found
        return None
    return check


def test_killed_in_step_c_and_in_the_soak_then_resumed(operator, tmp_path):
    operator.slow_now("supabase", 1.0)  # step B takes seconds: room to slow Render down before step C
    first = operator.start("run", "--rollback", "auto", "--soak-duration", f"{SOAK_S:g}", "--yes",
                           log=tmp_path / "run.log")
    try:
        operator.wait_for("step B running", _running("migrations"), proc=first, timeout=150)
        operator.slow_now("render", 1.0)
        env_write = operator.wait_for("an env write intended", lambda j: next(
            (e for r in j.history() for e in j.effects(r.id, step="env")), None), proc=first)
        kill9(first)
    finally:
        if first.poll() is None:
            kill9(first)
    operator.chaos("--clear")
    release_id = env_write.release_id
    journal = operator.open_journal()
    assert journal.step(release_id, "env").state == "running"  # killed in step C
    journal.close()

    second = operator.start("resume", log=tmp_path / "resume.log")
    try:
        soak = operator.wait_for("the soak running", _running("soak", evidence="soak_since"), proc=second, timeout=150)
        since = parse_iso(soak.evidence["soak_since"])
        marker = f"{operator.reports / release_id / 'soak' / 'verdict.json'}"
        time.sleep(2.5)
        assert stage_processes(marker), "the soak's pytest run should be running"
        kill9(second)
    finally:
        if second.poll() is None:
            kill9(second)
    # the stage dies with the conductor that ran it (nothing keeps soaking, nor rolls back, on its own)
    for _ in range(50):
        if not stage_processes(marker):
            break
        time.sleep(0.1)
    assert not stage_processes(marker)

    resumed = operator.run("resume")
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr
    effects = side_effects(operator.counters(), operator.stack.status)
    assert effects["migrations"] == {"persona_tone_setting": 1}
    assert effects["api_env"] == {"PERSONA_TONE_DEFAULT": 1}
    assert effects["api_deploys"] == {"api": 1} and effects["worker_deploys"] == {"api": 1}
    assert effects["vercel_deployments"] == {"production": 1}

    view = operator.status()
    assert (view["id"], view["verdict"]) == (release_id, "GO")
    by_step = {}
    for attempt in view["attempts"]:
        by_step.setdefault(attempt["name"], []).append(attempt["state"])
    assert by_step["env"] == ["interrupted", "done"] and by_step["soak"] == ["interrupted", "done"]
    assert by_step["predeploy"] == ["done"] and by_step["migrations"] == ["done"]
    # the resumed soak kept its window: it ended when the first one would have (plus the run's start-up)
    last_soak = [a for a in view["attempts"] if a["name"] == "soak"][-1]
    assert last_soak["evidence"]["soak_since"] == soak.evidence["soak_since"]
    ended = (parse_iso(last_soak["ended_at"]) - since).total_seconds()
    assert SOAK_S <= ended < SOAK_S + 8, ended
    # the soak drew its window, and the release page shows it as an image
    assert [c["criterion"] for c in last_soak["evidence"]["charts"]] == ["no-p0-p1-errors"], last_soak["evidence"]
    assert '<figure><img alt="soak window' in open(view["page"]).read()
    assert [e["kind"] for e in view["events"]].count("takeover") == 2


def test_a_bad_build_is_caught_rolled_back_and_in_history(operator):
    result = operator.stack.call("next-release", "--build", "bad-deploy-health")
    assert result.returncode == 0, result.stderr
    run = operator.run("run", "--rollback", "auto", "--soak-duration", "3", "--yes")
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr
    assert "NO-GO: release" in run.stdout and "health-public failed" in run.stdout
    assert "done: render: roll back the API" in run.stdout
    health = httpx.get(operator.stack.status["api_url"] + "/health", timeout=5)
    assert health.status_code == 200 and health.json()["status"] == "healthy"

    view = operator.status()
    assert (view["verdict"], view["exit_code"], view["steps"][-1]["name"]) == ("NO-GO", 1, "smoke")
    assert view["rolled_back"]["triggered"] and {a["status"] for a in view["rolled_back"]["actions"]} == {"done"}
    assert view["migrations_applied"] == [] and view["env_diff"] == {} or not any(
        keys for actions in view["env_diff"].values() for keys in actions.values())
    page = open(view["page"]).read()
    assert "NO-GO" in page and "roll back the API" in page and "smoke/report.html" in page
    rows = operator.history()
    assert [(r["verdict"], r["rolled_back"]) for r in rows] == [("NO-GO", "yes"), ("GO", "no")]
