"""The release's notifications (release/announce.py), with the steps replaced by fakes: one message per end state
(GO, NO-GO rolled back or not, held, abandoned) to a local receiver, journaled and on the page; a receiver that is
down changes nothing but its record; the stage runs send none; a bad --notify is exit 4 before anything."""

from __future__ import annotations

import json
import socket

import pytest
from _conductor import fake_steps, make_context
from _receiver import json_receiver

from gonogo import EXIT_GO, EXIT_INCONCLUSIVE, EXIT_NO_GO, EXIT_ROLLBACK_FAILED, EXIT_USAGE
from gonogo import notify as gonogo_notify
from release import cli, commands, conductor
from release.context import secrets_of
from release.steps import stage
from release.steps.base import Result

SECRET = "rnd-secret-0001"  # the fake sandbox's RENDER_API_KEY
REASONS = [f"health-public failed: smoke/test_health.py::test_health: GET /health with {SECRET} answered 503"]


def _rolled(status: str) -> dict:
    return {"mode": "auto", "triggered": True, "withheld": False, "scopes": ["backend"],
            "actions": [{"name": "render: roll back the API", "status": status, "detail": "to dep-1"}]}


@pytest.fixture
def receiver():
    with json_receiver() as found:
        yield found


@pytest.fixture
def ctx(fake_sandbox, app_repo, tmp_path):
    context = make_context(fake_sandbox, tmp_path)
    context.progress.add_secrets(secrets_of(context.target))
    yield context
    context.journal.close()


def _notify_to(ctx, *urls: str) -> None:
    ctx.notify = gonogo_notify.resolve(list(urls), gonogo_notify.NotifyTable(timeout_s=1.0, attempts=2), {})


def _notify_events(ctx) -> list[str]:
    return [e["detail"] for e in ctx.journal.events(ctx.release.id) if e["kind"] == "notify"]


@pytest.mark.parametrize(("outcomes", "code", "headline", "lines"), [
    ({}, EXIT_GO, "GO", ["every step done; soak clean"]),
    ({"smoke": [Result("failed", "NO-GO", "NO-GO: health-public failed", {"reasons": REASONS}, exit_code=1,
                       rolled_back=_rolled("done"))]},
     EXIT_NO_GO, "NO-GO, rolled back", ["**NO-GO because**", "- health-public failed: smoke/test_health.py::"
                                        "test_health: GET /health with *** answered 503",
                                        "**rollback (auto): scopes backend, 1 action(s)**",
                                        "- done: render: roll back the API: to dep-1"]),
    ({"postdeploy": [Result("failed", "NO-GO", "NO-GO: owner-flow failed", {"reasons": REASONS}, exit_code=6,
                            rolled_back=_rolled("failed"))]},
     EXIT_ROLLBACK_FAILED, "NO-GO, rollback FAILED", ["- failed: render: roll back the API: to dep-1"]),
    ({"postdeploy": [Result("held", "INCONCLUSIVE", "INCONCLUSIVE: vercel answered 503",
                            {"reasons": ["vercel-ready inconclusive: ServerError: vercel answered 503"]})]},
     EXIT_INCONCLUSIVE, "INCONCLUSIVE, release held",
     ["held at step postdeploy: `python -m release resume --target ", "**INCONCLUSIVE because**",
      "- vercel-ready inconclusive: ServerError: vercel answered 503"]),
], ids=["go", "no-go-rolled-back", "no-go-rollback-failed", "held"])
def test_each_end_state_sends_one_message(ctx, monkeypatch, receiver, outcomes, code, headline, lines):
    _notify_to(ctx, receiver.url())
    fake_steps(monkeypatch, outcomes)
    assert conductor.drive(ctx) == code
    [message] = receiver.messages
    release = ctx.journal.release(ctx.release.id)
    assert message["title"] == f"{headline}: {release.target} release {release.sha[:12]}"
    body = message["message"]
    assert body.startswith(f"**{headline}**\n\n- target: {release.target}\n- release: {release.sha}\n"
                           f"- release {release.id}, tag {release.tag}")
    for line in lines:
        assert line in body
    assert f"report: {ctx.release_dir / 'release.html'}" in body
    assert SECRET not in json.dumps(message)
    # Journaled, printed and on the release page; the release is what it would have been without it.
    [event] = _notify_events(ctx)
    assert event.startswith(f"sent {receiver.url()} (1 attempt, ")
    assert f"notify: sent {receiver.url()}" in ctx.out.getvalue()
    assert f"sent {receiver.url()}" in (ctx.release_dir / "release.html").read_text()
    assert release.exit_code == code


def test_resume_after_a_hold_and_abandon_each_send_their_own(ctx, monkeypatch, receiver, fake_sandbox):
    _notify_to(ctx, receiver.url())
    fake_steps(monkeypatch, {"smoke": [Result("held", "INCONCLUSIVE", "INCONCLUSIVE: render answered 503")]})
    assert conductor.drive(ctx) == EXIT_INCONCLUSIVE
    ctx.journal.end_session()
    args = type("Args", (), {"target": str(fake_sandbox), "journal": ctx.journal.spec,
                             "notify": [receiver.url()], "no_notify": False})()
    assert commands.abandon(args) == 0
    assert [m["title"].split(":")[0] for m in receiver.messages] == ["INCONCLUSIVE, release held", "ABANDONED"]
    assert "abandoned at smoke (held)" in receiver.messages[1]["message"]
    # (runbook.toml's own env:GONOGO_NOTIFY_URL, unset here, is recorded as skipped)
    assert [e.split(" ")[0] for e in _notify_events(ctx)] == ["sent", "skipped", "sent"]


def test_a_receiver_that_is_down_changes_nothing_but_its_record(ctx, monkeypatch):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    _notify_to(ctx, f"json://127.0.0.1:{port}/down")
    fake_steps(monkeypatch, {"smoke": [Result("failed", "NO-GO", "NO-GO: health-public failed", exit_code=1,
                                              rolled_back=_rolled("done"))]})
    assert conductor.drive(ctx) == EXIT_NO_GO
    release = ctx.journal.release(ctx.release.id)
    assert (release.state, release.verdict, release.exit_code) == ("ended", "NO-GO", EXIT_NO_GO)
    [event] = _notify_events(ctx)
    assert event.startswith(f"failed json://127.0.0.1:{port}/down (2 attempts, ")
    assert "GET /health" not in event  # the record of the notification, not its message


def test_stage_runs_send_no_notification_of_their_own(ctx, tmp_path):
    assert "--no-notify" in stage.command(ctx, "smoke", tmp_path)


def test_a_bad_notify_url_is_a_usage_error_before_anything_is_written(fake_sandbox, tmp_path, capsys):
    journal = tmp_path / "journal.sqlite"
    code = cli.main(["run", "--target", str(fake_sandbox), "--journal", str(journal), "--yes",
                     "--notify", "notaschema://hook/abcdefghijklmnopqrstuvwxyz"])
    assert code == EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["release: --notify 'notaschema://hook/***': not a URL apprise can send to; use an apprise URL "
                   "such as json://host:port/path, slack://... or workflows://... (docs/notify.md)"]
    assert not journal.exists()
