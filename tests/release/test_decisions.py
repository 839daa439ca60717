"""The conductor's decisions (release/conductor.py, release/steps/stage.py), with the steps replaced by fakes:
a predeploy NO-GO ends the release before any side effect, a later NO-GO ends it with its rollback, an
INCONCLUSIVE stage holds it for `resume`, a stage's usage error fails the step with its line."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from _conductor import fake_steps, make_context

from release import commands, conductor
from release import steps as registry
from release.steps import stage
from release.steps.base import Result

ROLLED = {"mode": "auto", "triggered": True, "scopes": ["backend"],
          "actions": [{"name": "render: roll back the API", "status": "done", "detail": "ok"}]}


@pytest.fixture
def ctx(fake_sandbox, app_repo, tmp_path):
    context = make_context(fake_sandbox, tmp_path)
    yield context
    context.journal.close()


def test_all_done_is_go(ctx, monkeypatch):
    calls = fake_steps(monkeypatch, {})
    assert conductor.drive(ctx) == 0
    assert calls == [s.name for s in registry.STEPS]
    release = ctx.journal.release(ctx.release.id)
    assert (release.state, release.verdict, release.exit_code) == ("ended", "GO", 0)


def test_a_predeploy_no_go_ends_before_any_side_effect(ctx, monkeypatch):
    calls = fake_steps(monkeypatch, {"predeploy": [Result("failed", "NO-GO", "NO-GO: topology failed",
                                                            exit_code=1)]})
    assert conductor.drive(ctx) == 1
    assert calls == ["tag", "predeploy"]
    release = ctx.journal.release(ctx.release.id)
    assert release.verdict == "NO-GO" and "before any provider was changed" in release.reason


@pytest.mark.parametrize("code", [1, 6])
def test_a_no_go_after_the_deploys_ends_with_its_rollback(ctx, monkeypatch, code):
    fake_steps(monkeypatch, {"smoke": [Result("failed", "NO-GO", "NO-GO: health-public failed", exit_code=code,
                                               rolled_back=ROLLED)]})
    assert conductor.drive(ctx) == code
    release = ctx.journal.release(ctx.release.id)
    assert (release.verdict, release.rolled_back["actions"][0]["status"]) == ("NO-GO", "done")
    assert "done: render: roll back the API" in ctx.out.getvalue()


def test_inconclusive_holds_and_the_next_drive_runs_that_stage_again(ctx, monkeypatch):
    calls = fake_steps(monkeypatch, {"postdeploy": [Result("held", "INCONCLUSIVE", "INCONCLUSIVE: vercel 503")]})
    assert conductor.drive(ctx) == 7
    release = ctx.journal.release(ctx.release.id)
    assert (release.state, release.verdict, release.current_step) == ("held", "INCONCLUSIVE", "postdeploy")
    assert "resume" in ctx.out.getvalue() and "abandon" in ctx.out.getvalue()
    calls.clear()
    ctx.journal.update_release(ctx.release.id, state="running")
    assert conductor.drive(ctx) == 0
    assert calls == ["postdeploy", "soak"]  # what was done is not done again
    assert [(s.name, s.attempt, s.state) for s in ctx.journal.steps(ctx.release.id) if s.name == "postdeploy"] == [
        ("postdeploy", 1, "held"), ("postdeploy", 2, "done")]


def test_a_provider_that_does_not_answer_holds_an_action_step(ctx, monkeypatch):
    from gonogo_providers.errors import ServerError

    def boom(ctx, step):
        raise ServerError(provider="render", method="PUT", url="http://r/v1/services/srv-a/env-vars/X", status=503,
                          attempts=4)

    steps = tuple(replace(s, run=boom) if s.name == "env" else
                  replace(s, run=lambda c, st, n=s.name: Result("done", "done", n)) for s in registry.STEPS)
    monkeypatch.setattr(conductor, "STEPS", steps)
    assert conductor.drive(ctx) == 7
    assert "answered 503 after 4 attempts; resume re-runs this step" in ctx.journal.release(ctx.release.id).reason


def _verdict(where, word, rollback=None):
    where.mkdir(parents=True, exist_ok=True)
    (where / "verdict.json").write_text(json.dumps({"verdict": word, "reasons": ["health-public failed: 503"],
                                                    "rollback": rollback or {"mode": "auto", "triggered": False}}))


def test_judge_reads_exit_code_and_verdict(ctx, tmp_path):
    where = tmp_path / "smoke"
    _verdict(where, "GO")
    assert stage.judge(ctx, "smoke", 0, ["GO: target t; 5 criteria"], where).state == "done"
    _verdict(where, "NO-GO", ROLLED)
    result = stage.judge(ctx, "smoke", 6, ["NO-GO: target t"], where)
    assert (result.state, result.exit_code, result.rolled_back) == ("failed", 6, ROLLED)
    assert result.evidence["verdict_json"] == str(where / "verdict.json")
    _verdict(where, "INCONCLUSIVE")
    assert stage.judge(ctx, "smoke", 7, [], where).state == "held"
    usage = stage.judge(ctx, "smoke", 4, ["ERROR: --target x: missing secret env var(s) VERCEL_TOKEN"], where)
    assert (usage.state, usage.exit_code, usage.detail) == ("failed", 4, "--target x: missing secret env var(s) "
                                                                         "VERCEL_TOKEN")
    (where / "verdict.json").unlink()
    assert stage.judge(ctx, "smoke", 3, [], where).state == "held"  # pytest crashed: nothing judged
    assert stage.judge(ctx, "smoke", None, [], where).state == "held"  # overran its bound


def test_abandon_ends_a_held_release(ctx, monkeypatch, fake_sandbox, capsys):
    fake_steps(monkeypatch, {"smoke": [Result("held", "INCONCLUSIVE", "INCONCLUSIVE")]})
    assert conductor.drive(ctx) == 7
    ctx.journal.end_session()
    args = type("Args", (), {"target": str(fake_sandbox), "journal": ctx.journal.spec, "notify": [],
                             "no_notify": False})()
    assert commands.abandon(args) == 0
    release = ctx.journal.release(ctx.release.id)
    assert (release.state, release.verdict) == ("ended", "ABANDONED") and "abandoned at smoke" in release.reason
    assert "abandon" in [e["kind"] for e in ctx.journal.events(ctx.release.id)]
    assert "ABANDONED" in capsys.readouterr().out
