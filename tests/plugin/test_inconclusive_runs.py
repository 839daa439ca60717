"""The third outcome: a test whose observation failed is inconclusive; the run is INCONCLUSIVE, never rolled back."""

from __future__ import annotations

import json
import sys

import pytest

from gonogo import EXIT_GO, EXIT_INCONCLUSIVE, EXIT_NO_GO, EXIT_USAGE, Inconclusive, Status
from gonogo.inconclusive import TESTSTATUS, message_of
from gonogo.verdict import TestRecord as Record  # aliased: pytest would try to collect a Test* class
from gonogo.verdict import status_of

# The project's binding: a provider error type it registers, and a rollback hook that logs every call.
CONFTEST = """
import pathlib
import gonogo
import pytest

LOG = pathlib.Path(__file__).parent / "rollback.log"

class ProviderDown(Exception):
    pass

class AppWrong(Exception):
    pass

def pytest_gonogo_inconclusive_exceptions(config):
    return [ProviderDown]

def pytest_gonogo_secrets(config):
    return ["tok-s3cr3t-value"]

def pytest_gonogo_rollback_actions(config, verdict, scopes):
    with LOG.open("a") as f:
        f.write("asked " + verdict.word + " " + ",".join(scopes) + "\\n")
    def run():
        with LOG.open("a") as f:
            f.write("ran " + ",".join(scopes) + "\\n")
        return "rolled back"
    return [gonogo.RollbackAction("render: roll back", run, detail="roll " + ",".join(scopes))]

@pytest.fixture
def render_down():
    raise ProviderDown("render: GET https://api.render.com/v1/services answered 503 after 3 attempts")

@pytest.fixture
def render_down_at_teardown():
    yield
    raise ProviderDown("render: GET /v1/services timed out after 3 attempts")

@pytest.fixture
def app_wrong():
    raise AppWrong("the app answered 500")
"""

TESTS = """
import gonogo
import pytest

@pytest.mark.smoke
@pytest.mark.criterion("health")
def test_health():
    HEALTH

@pytest.mark.smoke
@pytest.mark.criterion("frontend")
def test_frontend():
    FRONTEND
"""


def project(pytester: pytest.Pytester, health: str = "pass", frontend: str = "pass") -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_smoke=TESTS.replace("HEALTH", health).replace("FRONTEND", frontend))


def log(pytester: pytest.Pytester) -> list[str]:
    path = pytester.path / "rollback.log"
    return path.read_text().splitlines() if path.exists() else []


INCONCLUSIVE = 'raise gonogo.Inconclusive("vercel: GET /v6/deployments timed out (token tok-s3cr3t-value)")'


def test_inconclusive_alone_is_inconclusive_exit_7_and_runs_no_rollback(pytester: pytest.Pytester, runbook,
                                                                         verdict) -> None:
    project(pytester, frontend=INCONCLUSIVE)
    result = pytester.runpytest("-m", "smoke", "--rollback=auto")
    assert result.ret == EXIT_INCONCLUSIVE
    data = verdict()
    assert data["verdict"] == "INCONCLUSIVE"
    frontend = next(c for c in data["criteria"] if c["id"] == "frontend")
    assert frontend["status"] == "inconclusive"
    # The exception's one line, redacted like every message.
    assert frontend["tests"][0]["outcome"] == "inconclusive"
    assert frontend["tests"][0]["message"] == "vercel: GET /v6/deployments timed out (token ***)"
    assert data["reasons"] == ["frontend inconclusive: test_smoke.py::test_frontend: vercel: GET /v6/deployments "
                               "timed out (token ***)"]
    # The hook was asked what it would roll back (the inconclusive criterion's scope); the action never ran.
    assert log(pytester) == ["asked INCONCLUSIVE frontend"]
    assert data["rollback"] == {"mode": "auto", "triggered": False, "withheld": True, "scopes": ["frontend"],
                                "actions": [{"name": "render: roll back", "status": "not_run",
                                             "detail": "roll frontend"}]}
    # Its own category in the terminal, and the rollback section says why nothing ran.
    result.stdout.fnmatch_lines(["test_smoke.py .I*", "frontend*inconclusive*1 inconclusive*",
                                 "INCONCLUSIVE: stages smoke; 2 criteria, 1 blocking not proven",
                                 "rollback (auto): not run: the verdict is INCONCLUSIVE*what we look through failed*"
                                 "hold, fix the observation, re-run; would roll back scopes frontend, 1 action(s)",
                                 "  not_run: render: roll back: roll frontend",
                                 "*1 passed, 1 inconclusive*"])
    assert "tok-s3cr3t-value" not in result.stdout.str()


def test_failed_and_inconclusive_is_no_go_rolling_back_the_failed_scopes_only(pytester: pytest.Pytester, runbook,
                                                                              verdict) -> None:
    project(pytester, health="assert False, 'GET /health answered 503'", frontend=INCONCLUSIVE)
    result = pytester.runpytest("-m", "smoke", "--rollback=auto")
    assert result.ret == EXIT_NO_GO
    data = verdict()
    assert {c["id"]: c["status"] for c in data["criteria"]} == {"health": "failed", "frontend": "inconclusive"}
    assert [r["status"] for r in data["reason_details"]] == ["failed", "inconclusive"]
    assert data["rollback"]["triggered"] is True and data["rollback"]["withheld"] is False
    assert data["rollback"]["scopes"] == ["backend"]
    assert log(pytester) == ["asked NO-GO backend", "ran backend"]


@pytest.mark.parametrize(
    ("fixture", "message"),
    [("render_down", "ProviderDown: render: GET https://api.render.com/v1/services answered 503 after 3 attempts"),
     ("render_down_at_teardown", "ProviderDown: render: GET /v1/services timed out after 3 attempts")],
    ids=["setup", "teardown"],
)
def test_a_registered_exception_in_a_fixture_makes_its_test_inconclusive(pytester: pytest.Pytester, runbook, verdict,
                                                                         fixture: str, message: str) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_smoke=f"""
import pytest

@pytest.mark.smoke
@pytest.mark.criterion("health")
def test_health({fixture}):
    pass

@pytest.mark.smoke
@pytest.mark.criterion("frontend")
def test_frontend():
    pass
""")
    result = pytester.runpytest("-m", "smoke")
    assert result.ret == EXIT_INCONCLUSIVE
    health = next(c for c in verdict()["criteria"] if c["id"] == "health")
    assert health["status"] == "inconclusive"
    assert health["tests"][0]["message"] == message


def test_an_exception_not_registered_stays_an_error(pytester: pytest.Pytester, runbook, verdict) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_smoke="""
import pytest

@pytest.mark.smoke
@pytest.mark.criterion("health")
def test_health(app_wrong):
    pass
""")
    assert pytester.runpytest("-m", "smoke").ret == EXIT_NO_GO
    assert {c["id"]: c["status"] for c in verdict()["criteria"]}["health"] == "error"


def test_waived_and_advisory_inconclusive_criteria_do_not_block(pytester: pytest.Pytester, runbook,
                                                                verdict) -> None:
    pytester.makefile(".toml", runbook=runbook + """
[[waivers]]
criterion = "frontend"
reason = "Vercel API outage, status page incident"
approved_by = "ops-lead"
expires = 2999-12-31
""")
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_smoke=TESTS.replace("HEALTH", "pass").replace("FRONTEND", INCONCLUSIVE), test_soak="""
import pytest

@pytest.mark.soak
@pytest.mark.criterion("cpu")
def test_cpu(render_down):
    pass
""")
    result = pytester.runpytest("-m", "smoke or soak")
    assert result.ret == EXIT_GO
    data = verdict()
    assert {c["id"]: (c["status"], c["underlying"]) for c in data["criteria"]} == {
        "health": ("passed", "passed"), "frontend": ("waived", "inconclusive"), "cpu": ("inconclusive", "inconclusive")}
    assert "advisory cpu inconclusive: test_soak.py::test_cpu: ProviderDown: render: GET https://api.render.com/v1/" \
           "services answered 503 after 3 attempts" in data["warnings"]
    assert log(pytester) == []


@pytest.mark.parametrize(
    ("hook", "expected"),
    [("raise RuntimeError('no provider module')", "*pytest_gonogo_inconclusive_exceptions in *conftest.py failed "
      "(RuntimeError: no provider module); return an iterable of exception classes"),
     ("return ['ProviderDown']", "*pytest_gonogo_inconclusive_exceptions in *conftest.py failed (TypeError: answered "
      "'ProviderDown', not an exception type)*")],
    ids=["raises", "not-a-type"],
)
def test_a_broken_inconclusive_hook_is_one_line_exit_4(pytester: pytest.Pytester, runbook, hook: str,
                                                       expected: str) -> None:
    pytester.makeconftest(f"def pytest_gonogo_inconclusive_exceptions(config):\n    {hook}\n")
    project_tests = TESTS.replace("HEALTH", "pass").replace("FRONTEND", "pass")
    pytester.makepyfile(test_smoke=project_tests)
    result = pytester.runpytest("-m", "smoke")
    assert result.ret == EXIT_USAGE
    result.stderr.fnmatch_lines([f"ERROR: gonogo: {expected.lstrip('*')}"])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def comparable(data: dict) -> dict:
    return {"verdict": data["verdict"], "reasons": data["reasons"], "rollback": data["rollback"],
            "criteria": {c["id"]: (c["status"], [(t["nodeid"], t["outcome"], t["message"]) for t in c["tests"]])
                         for c in data["criteria"]}}


def test_two_workers_give_the_serial_inconclusive_verdict(pytester: pytest.Pytester, runbook, verdict) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_health="""
import pytest

@pytest.mark.smoke
@pytest.mark.criterion("health")
def test_health():
    pass
""", test_frontend="""
import pytest

@pytest.mark.smoke
@pytest.mark.criterion("frontend")
def test_frontend(render_down):
    pass

@pytest.mark.smoke
@pytest.mark.criterion("frontend")
def test_frontend_page():
    pass
""")
    args = ("-m", "smoke", "--rollback=auto", "-p", "no:cacheprovider")
    serial = pytester.runpytest_subprocess(*args)
    assert serial.ret == EXIT_INCONCLUSIVE
    expected = comparable(verdict())
    parallel = pytester.runpytest_subprocess(*args, "-n", "2", "--dist", "loadfile")
    # Classified on the worker that ran the test (the controller never sees the exception, only its report).
    assert parallel.ret == EXIT_INCONCLUSIVE
    assert comparable(verdict()) == expected
    assert expected["criteria"]["frontend"][0] == "inconclusive"
    parallel.stdout.fnmatch_lines(["*1 inconclusive*"])
    assert [line for line in log(pytester) if line.startswith("ran")] == []


def test_merge_of_an_inconclusive_shard_and_a_go_shard_is_inconclusive(pytester: pytest.Pytester, runbook) -> None:
    project(pytester, health=INCONCLUSIVE)
    pytester.runpytest("-m", "smoke", "-k", "health", "--verdict-json=a.json")
    pytester.runpytest("-m", "smoke", "-k", "frontend", "--verdict-json=b.json")
    shards = [json.loads((pytester.path / f"{name}.json").read_text()) for name in "ab"]
    assert [s["verdict"] for s in shards] == ["INCONCLUSIVE", "INCONCLUSIVE"]  # b: health missing on its own
    result = pytester.run(sys.executable, "-m", "gonogo", "merge", "a.json", "b.json", "-o", "merged.json")
    assert result.ret == EXIT_INCONCLUSIVE
    merged = json.loads((pytester.path / "merged.json").read_text())
    assert merged["schema"] == "gonogo.verdict/2"
    assert {c["id"]: c["status"] for c in merged["criteria"]} == {"health": "inconclusive", "frontend": "passed"}
    assert merged["rollback"]["withheld"] is True and merged["rollback"]["triggered"] is False
    result.stdout.fnmatch_lines(["INCONCLUSIVE: 2 verdicts merged into merged.json",
                                 "  INCONCLUSIVE because health inconclusive: test_smoke.py::test_health: *"])


# -- the pure parts ------------------------------------------------------------------------------------------


def test_a_criterion_takes_its_worst_test() -> None:
    def status(*outcomes: Status) -> Status:
        return status_of([Record(f"t.py::test_{n}", "c", o) for n, o in enumerate(outcomes)])

    assert status(Status.PASSED, Status.INCONCLUSIVE) is Status.INCONCLUSIVE
    assert status(Status.SKIPPED, Status.INCONCLUSIVE) is Status.INCONCLUSIVE
    assert status(Status.INCONCLUSIVE, Status.ERROR) is Status.ERROR
    assert status(Status.INCONCLUSIVE, Status.FAILED, Status.ERROR) is Status.FAILED


def test_the_message_is_one_line() -> None:
    assert message_of(Inconclusive("pinecone: GET /indexes timed out\nmore")) == "pinecone: GET /indexes timed out"
    assert message_of(TimeoutError()) == "TimeoutError"
    assert message_of(ConnectionError("refused")) == "ConnectionError: refused"
    assert TESTSTATUS[:2] == ("inconclusive", "I")
