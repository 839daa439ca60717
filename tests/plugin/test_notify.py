"""Notifications (runbook.toml [notify], --notify): one message per run's end state to a local receiver, with the
verdict, reasons, target, release and report, no secret; a receiver that is down delays the end by at most the
stated bound and changes nothing else."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from _receiver import Receiver, json_receiver

from gonogo import EXIT_GO, EXIT_INCONCLUSIVE, EXIT_NO_GO, EXIT_ROLLBACK_FAILED, EXIT_USAGE, notify
from gonogo.notify import RETRY_WAIT_S, NotifyTable, Plan, resolve

# apprise imported once, here: an in-process run's own import would be undone after it (pytester restores
# sys.modules), and the next run's fresh copy would not work with what the first left behind.
resolve(["json://127.0.0.1:9/warm-up"], None, {})

SECRET = "tok-SECRET-4242"

CONFTEST = f"""
import gonogo

def pytest_gonogo_target_name(config):
    return "canary"

def pytest_gonogo_release_sha(config):
    return "0123456789abcdef0123456789abcdef01234567"

def pytest_gonogo_secrets(config):
    return ["{SECRET}"]

def pytest_gonogo_rollback_actions(config, verdict, scopes):
    def run():
        if ROLLBACK_FAILS:
            raise RuntimeError("the previous deploy did not come back with {SECRET}")
        return "previous deploy live"
    return [gonogo.RollbackAction("render: roll back the API", run, detail="to dep-1")]
"""

TESTS = f"""
import gonogo
import pytest

@pytest.mark.smoke
@pytest.mark.criterion("health")
def test_health():
    if OUTCOME == "inconclusive":
        raise gonogo.Inconclusive("the Render API answered 503")
    assert OUTCOME == "pass", "GET /health with {SECRET} answered 503"

@pytest.mark.smoke
@pytest.mark.criterion("frontend")
def test_frontend():
    pass
"""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with json_receiver() as found:
        yield found


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on: a receiver that is down (connection refused at once)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A receiver that accepts the connection and never answers (a hung webhook)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield sock.getsockname()[1]
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    sock.close()


def project(pytester: pytest.Pytester, runbook: str, notify: str, *, outcome: str = "pass",
            rollback_fails: bool = False) -> None:
    pytester.makefile(".toml", runbook=runbook + "\n[notify]\n" + notify)
    pytester.makeconftest(CONFTEST.replace("ROLLBACK_FAILS", str(rollback_fails)))
    pytester.makepyfile(test_smoke=TESTS.replace("OUTCOME", repr(outcome)))


def everything(pytester: pytest.Pytester, result: pytest.RunResult) -> str:
    """What a reader could see: the terminal and every file the run wrote."""
    files = [p.read_text(errors="replace") for p in (pytester.path / "reports").rglob("*") if p.is_file()]
    return "\n".join([result.stdout.str(), result.stderr.str(), *files])


@pytest.mark.parametrize(("outcome", "rollback_fails", "code", "headline", "rollback_line"), [
    ("pass", False, EXIT_GO, "GO", "rollback: GO: nothing to roll back"),
    ("fail", False, EXIT_NO_GO, "NO-GO, rolled back", "done: render: roll back the API: previous deploy live"),
    ("fail", True, EXIT_ROLLBACK_FAILED, "NO-GO, rollback FAILED",
     "failed: render: roll back the API: RuntimeError: the previous deploy did not come back with ***"),
    ("inconclusive", False, EXIT_INCONCLUSIVE, "INCONCLUSIVE", "not_run: render: roll back the API: to dep-1"),
], ids=["go", "no-go-rolled-back", "no-go-rollback-failed", "inconclusive"])
def test_each_end_state_sends_one_message(pytester: pytest.Pytester, runbook, verdict, receiver, outcome,
                                          rollback_fails, code, headline, rollback_line) -> None:
    project(pytester, runbook, f'urls = ["{receiver.url()}"]\nreport_url_base = "https://ci.example/runs/42/"\n',
            outcome=outcome, rollback_fails=rollback_fails)
    result = pytester.runpytest("-m", "smoke", "--rollback=auto", "-p", "no:cacheprovider")
    assert result.ret == code
    assert len(receiver.messages) == 1
    message = receiver.messages[0]
    word = headline.split(",")[0]
    assert message["title"] == f"{headline}: canary release 0123456789ab"
    assert message["type"] == {"GO": "success", "NO-GO": "failure", "INCONCLUSIVE": "warning"}[word]
    body = message["message"]
    assert f"**{headline}**" in body
    assert "- target: canary" in body and "- release: 0123456789abcdef0123456789abcdef01234567" in body
    assert "- stages smoke" in body
    assert rollback_line in body
    assert "report: https://ci.example/runs/42/summary.md" in body
    if outcome == "fail":
        assert "**NO-GO because**" in body
        assert "- health failed: test_smoke.py::test_health: GET /health with *** answered 503" in body
    elif outcome == "inconclusive":
        assert "- health inconclusive: test_smoke.py::test_health: the Render API answered 503" in body
    data = verdict()
    assert data["verdict"] == word
    [sent] = data["notifications"]
    assert (sent["destination"], sent["status"], sent["attempts"], sent["error"]) == (
        receiver.url(), "sent", 1, "")
    result.stdout.fnmatch_lines([f"notify: sent {receiver.url()} (1 attempt, *s)"])
    summary = (pytester.path / "reports" / "summary.md").read_text()
    assert "**Notifications**" in summary and f"sent {receiver.url()}" in summary
    assert SECRET not in json.dumps(receiver.messages) + everything(pytester, result)


def test_an_env_destination_is_a_secret_and_an_unset_one_is_skipped(pytester: pytest.Pytester, runbook, verdict,
                                                                     receiver, monkeypatch) -> None:
    password = "pw-notify-secret-77"
    monkeypatch.setenv("GONOGO_TEST_NOTIFY_URL", f"json://bot:{password}@127.0.0.1:{receiver.port}/hook")
    monkeypatch.delenv("GONOGO_TEST_UNSET_URL", raising=False)
    project(pytester, runbook, 'urls = ["env:GONOGO_TEST_NOTIFY_URL", "env:GONOGO_TEST_UNSET_URL"]\n', outcome="fail")
    result = pytester.runpytest("-m", "smoke", "-p", "no:cacheprovider", "--html=reports/report.html",
                                "--self-contained-html")
    assert result.ret == EXIT_NO_GO
    assert len(receiver.messages) == 1
    assert receiver.headers[0]["Authorization"].startswith("Basic ")  # the env URL's credentials were used
    assert receiver.messages[0]["title"] == "NO-GO, rollback planned: canary release 0123456789ab"
    # Without report_url_base the message names the report's path.
    assert f"report: {pytester.path / 'reports' / 'report.html'}" in receiver.messages[0]["message"]
    html = (pytester.path / "reports" / "report.html").read_text()
    assert "<h3>Notifications</h3>" in html and f"sent json://bot:***@127.0.0.1:{receiver.port}/hook" in html
    assert [(n["destination"], n["status"]) for n in verdict()["notifications"]] == [
        ("env GONOGO_TEST_UNSET_URL", "skipped"), (f"json://bot:***@127.0.0.1:{receiver.port}/hook", "sent")]
    result.stdout.fnmatch_lines(["*gonogo: notify 1 destination(s), 1 skipped (unset: env GONOGO_TEST_UNSET_URL)*",
                                 "notify: skipped env GONOGO_TEST_UNSET_URL: GONOGO_TEST_UNSET_URL is not set"])
    assert password not in everything(pytester, result)


def _timed(pytester: pytest.Pytester, *args: str, runs: int = 2) -> tuple[pytest.RunResult, float]:
    """The run in a process of its own (its exit counts too), and its shortest wall time over `runs` runs: what
    the machine's other work adds to one run is not the notification's."""
    times = []
    for _ in range(runs):
        started = time.monotonic()
        result = pytester.runpytest_subprocess(*args)
        times.append(time.monotonic() - started)
    return result, min(times)


@pytest.mark.parametrize("down", ["closed_port", "silent_port"])
def test_a_receiver_that_is_down_delays_the_end_by_at_most_the_bound(pytester: pytest.Pytester, runbook, verdict,
                                                                     receiver, down, request) -> None:
    port = request.getfixturevalue(down)
    timeout_s, attempts = 1.0, 2
    bound = Plan(timeout_s=timeout_s, attempts=attempts).bound_s
    assert bound == attempts * 2 * timeout_s + (attempts - 1) * RETRY_WAIT_S == 4.5
    project(pytester, runbook, f"timeout_s = {timeout_s}\nattempts = {attempts}\n", outcome="fail")
    args = ("-m", "smoke", "-p", "no:cacheprovider", "-p", "no:playwright")
    # The same run twice, in processes of their own (the time to exit counts too): to a receiver that answers
    # (it pays for loading apprise as well), then to one that is down.
    up, up_s = _timed(pytester, *args, "--notify", receiver.url())
    up_verdict = verdict()
    dead, dead_s = _timed(pytester, *args, "--notify", f"json://127.0.0.1:{port}/hook")
    dead_verdict = verdict()
    delay = dead_s - up_s
    print(f"{down}: stated bound {bound:g} s, measured delay {delay:.2f} s ({dead_s:.2f} s vs {up_s:.2f} s)")
    assert len(receiver.messages) == 2  # one per run that reached it
    assert delay <= bound + 1.0  # the margin: a loaded machine's noise between two runs
    [failed] = dead_verdict["notifications"]
    assert failed["elapsed_s"] <= bound
    if down == "silent_port":
        # It did wait for an answer on each attempt: the bound is not met by luck.
        assert failed["elapsed_s"] >= attempts * timeout_s
    assert (failed["destination"], failed["status"], failed["attempts"]) == (f"json://127.0.0.1:{port}/hook",
                                                                             "failed", attempts)
    assert failed["error"]
    # Nothing else changes: the exit code, the verdict, its reasons, the rollback.
    assert dead.ret == up.ret == EXIT_NO_GO
    for key in ("verdict", "reasons", "reason_details", "warnings", "rollback"):
        assert dead_verdict[key] == up_verdict[key]
    assert up_verdict["notifications"][0]["status"] == "sent"
    dead.stdout.fnmatch_lines(["NO-GO: *", f"notify: failed json://127.0.0.1:{port}/hook (2 attempts, *s): *"])
    assert "Traceback" not in dead.stdout.str() + dead.stderr.str()


@pytest.mark.parametrize(("notify", "flags", "expected"), [
    ("", ["--notify", "notaschema://x/y"],
     "ERROR: gonogo: --notify 'notaschema://x/y': not a URL apprise can send to; use an apprise URL such as*"),
    ('urls = ["mailtoo://nobody"]\n', [],
     "ERROR: gonogo: runbook.toml [[]notify[]] 'mailtoo://nobody': not a URL apprise can send to;*"),
    ('url = "json://127.0.0.1:9/x"\n', [],
     "ERROR: gonogo: *runbook.toml: [[]notify[]] key 'url' is unknown; use one of*"),
    ("attempts = 0\n", [], "ERROR: gonogo: *[[]notify[]] attempts = 0 must be a whole number from 1 to 5"),
], ids=["bad-flag", "bad-table-url", "unknown-key", "bad-attempts"])
def test_a_bad_destination_is_a_usage_error_and_nothing_is_written(pytester: pytest.Pytester, runbook, notify, flags,
                                                                   expected) -> None:
    project(pytester, runbook, notify)
    result = pytester.runpytest("-m", "smoke", "-p", "no:cacheprovider", *flags)
    assert result.ret == EXIT_USAGE
    result.stderr.fnmatch_lines([expected])
    assert len([line for line in result.stderr.lines if line.strip()]) == 1
    assert not (pytester.path / "reports").exists()


def test_no_notify_collect_only_and_xdist_workers_send_nothing_more(pytester: pytest.Pytester, runbook, verdict,
                                                                    receiver) -> None:
    project(pytester, runbook, f'urls = ["{receiver.url()}"]\n')
    assert pytester.runpytest("-m", "smoke", "-p", "no:cacheprovider", "--no-notify").ret == EXIT_GO
    assert receiver.messages == [] and verdict()["notifications"] == []
    assert pytester.runpytest("-m", "smoke", "-p", "no:cacheprovider", "--collect-only").ret == 0
    assert receiver.messages == []
    # Under xdist only the controller sends: one message, however many workers.
    assert pytester.runpytest("-m", "smoke", "-p", "no:cacheprovider", "-n", "2").ret == EXIT_GO
    assert [m["title"] for m in receiver.messages] == ["GO: canary release 0123456789ab"]


def test_flags_add_to_the_runbook_and_each_destination_gets_the_message(pytester: pytest.Pytester, runbook, verdict,
                                                                         receiver) -> None:
    project(pytester, runbook, f'urls = ["{receiver.url("/from-runbook")}"]\n')
    result = pytester.runpytest("-m", "smoke", "-p", "no:cacheprovider", "--notify", receiver.url("/from-flag"))
    assert result.ret == EXIT_GO
    assert sorted(n["destination"] for n in verdict()["notifications"]) == [receiver.url("/from-flag"),
                                                                           receiver.url("/from-runbook")]
    assert len(receiver.messages) == 2 and receiver.messages[0] == receiver.messages[1]


def test_the_table_defaults() -> None:
    table = NotifyTable()
    assert (table.urls, table.report_url_base, table.timeout_s, table.attempts) == ((), None, 4.0, 2)
    assert Plan().bound_s == 16.5


@pytest.mark.parametrize(("url", "shown", "secrets"), [
    ("json://127.0.0.1:8080/hook?method=POST", "json://127.0.0.1:8080/hook", []),
    ("json://bot:pw-1234@ci.example:8080/hook?+X-Token=hdr-5678", "json://bot:***@ci.example:8080/hook",
     ["pw-1234", "hdr-5678", "json://bot:pw-1234@ci.example:8080/hook?+X-Token=hdr-5678"]),
    ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general", "slack://T1JJ3T3L2/A1BRTD4JD/***/",
     ["TIiajkdnlazkcOXrIdevi7FQ", "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general"]),
    ("workflows://prod-01.westus.logic.azure.com:443/0123456789abcdef0123/sig0123456789abcdefXYZ?x=1",
     "workflows://prod-01.westus.logic.azure.com:443/***/***",
     ["0123456789abcdef0123", "sig0123456789abcdefXYZ",
      "workflows://prod-01.westus.logic.azure.com:443/0123456789abcdef0123/sig0123456789abcdefXYZ?x=1"]),
], ids=["plain", "password-and-header", "slack", "teams-workflow"])
def test_what_a_destination_shows_and_hides(url, shown, secrets) -> None:
    assert notify.mask_url(url) == shown
    assert notify.url_secrets(url) == secrets
