"""Rollback: when the hook is asked, plan versus auto, a raising action, abort = true."""

from __future__ import annotations

import pytest

from gonogo import EXIT_GO, EXIT_INCONCLUSIVE, EXIT_NO_GO, EXIT_ROLLBACK_FAILED

CONFTEST = """
import pathlib
import gonogo

LOG = pathlib.Path(__file__).parent / "rollback.log"

def pytest_gonogo_rollback_actions(config, verdict, scopes):
    def step(name, fail=False):
        def run():
            with LOG.open("a") as f:
                f.write(name + "\\n")
            if fail:
                raise RuntimeError(name + " could not verify the previous deploy")
            return name + " verified live"
        return gonogo.RollbackAction(name, run, detail="roll " + ",".join(scopes))
    with LOG.open("a") as f:
        f.write("asked " + verdict.word + " " + ",".join(scopes) + "\\n")
    return [step("render"), step("vercel", fail=FAIL), step("flags")]
"""

TESTS = """
import pytest

@pytest.mark.smoke
@pytest.mark.criterion("health")
def test_health():
    assert HEALTHY, "GET /health answered 503"

@pytest.mark.smoke
@pytest.mark.criterion("frontend")
def test_frontend():
    pass

@pytest.mark.predeploy
@pytest.mark.criterion("config")
def test_config():
    assert CONFIG_OK, "ALLOWED_ORIGINS is *"
"""


def project(pytester: pytest.Pytester, *, healthy: bool = True, config_ok: bool = True, fail: bool = False) -> None:
    pytester.makeconftest(CONFTEST.replace("FAIL", str(fail)))
    pytester.makepyfile(test_gates=TESTS.replace("HEALTHY", str(healthy)).replace("CONFIG_OK", str(config_ok)))


def log(pytester: pytest.Pytester) -> list[str]:
    path = pytester.path / "rollback.log"
    return path.read_text().splitlines() if path.exists() else []


def test_plan_records_actions_without_running_them(pytester: pytest.Pytester, runbook, verdict) -> None:
    project(pytester, healthy=False)
    result = pytester.runpytest("-m", "smoke")
    assert result.ret == EXIT_NO_GO
    assert log(pytester) == ["asked NO-GO backend"]
    rollback = verdict()["rollback"]
    assert rollback == {"mode": "plan", "triggered": True, "withheld": False, "scopes": ["backend"], "actions": [
        {"name": "render", "status": "planned", "detail": "roll backend"},
        {"name": "vercel", "status": "planned", "detail": "roll backend"},
        {"name": "flags", "status": "planned", "detail": "roll backend"},
    ]}
    result.stdout.fnmatch_lines(["rollback (plan): scopes backend, 3 action(s)", "  planned: render: roll backend"])


def test_only_failed_criteria_choose_the_scopes(pytester: pytest.Pytester, runbook, verdict) -> None:
    project(pytester, healthy=False)
    # `frontend` is deselected: missing keeps the run NO-GO but rolls nothing of the frontend back.
    result = pytester.runpytest("-m", "smoke", "-k", "health")
    assert result.ret == EXIT_NO_GO
    data = verdict()
    assert {c["id"]: c["status"] for c in data["criteria"]} == {"health": "failed", "frontend": "missing"}
    assert data["rollback"]["scopes"] == ["backend"]
    assert log(pytester) == ["asked NO-GO backend"]


def test_nothing_run_is_inconclusive_and_lists_nothing(pytester: pytest.Pytester, runbook, verdict) -> None:
    project(pytester)
    result = pytester.runpytest("-m", "smoke", "-k", "nothing_matches_this")
    assert result.ret == EXIT_INCONCLUSIVE
    data = verdict()
    assert data["verdict"] == "INCONCLUSIVE"
    # Missing criteria name no scope, not even one to list: the hook is not asked.
    assert data["rollback"] == {"mode": "plan", "triggered": False, "withheld": False, "scopes": [], "actions": []}
    assert log(pytester) == []


def test_go_asks_for_no_rollback(pytester: pytest.Pytester, runbook, verdict) -> None:
    project(pytester)
    assert pytester.runpytest("-m", "smoke", "--rollback=auto").ret == EXIT_GO
    assert log(pytester) == []
    assert verdict()["rollback"]["triggered"] is False


def test_predeploy_no_go_never_rolls_back(pytester: pytest.Pytester, runbook, verdict) -> None:
    project(pytester, config_ok=False)
    result = pytester.runpytest("-m", "predeploy", "--rollback=auto")
    assert result.ret == EXIT_NO_GO
    data = verdict()
    assert data["reasons"] == ["config failed: test_gates.py::test_config: ALLOWED_ORIGINS is *"]
    assert data["rollback"] == {"mode": "auto", "triggered": False, "withheld": False, "scopes": [], "actions": []}
    assert log(pytester) == []


def test_rollback_off_does_nothing(pytester: pytest.Pytester, runbook, verdict) -> None:
    project(pytester, healthy=False)
    assert pytester.runpytest("-m", "smoke", "--rollback=off").ret == EXIT_NO_GO
    assert verdict()["rollback"]["triggered"] is False
    assert log(pytester) == []


def test_auto_runs_every_action_and_records_the_failing_one(pytester: pytest.Pytester, runbook, verdict) -> None:
    project(pytester, healthy=False, fail=True)
    result = pytester.runpytest("-m", "smoke", "--rollback=auto")
    assert result.ret == EXIT_ROLLBACK_FAILED
    assert log(pytester) == ["asked NO-GO backend", "render", "vercel", "flags"]
    actions = verdict()["rollback"]["actions"]
    assert actions == [
        {"name": "render", "status": "done", "detail": "render verified live"},
        {"name": "vercel", "status": "failed", "detail": "RuntimeError: vercel could not verify the previous deploy"},
        {"name": "flags", "status": "done", "detail": "flags verified live"},
    ]
    result.stdout.fnmatch_lines(["  failed: vercel: RuntimeError: vercel could not verify*"])


def test_auto_action_timeout_is_a_failure(pytester: pytest.Pytester, runbook, verdict) -> None:
    pytester.makeconftest("""
import time, gonogo

def pytest_gonogo_rollback_actions(config, verdict, scopes):
    return [gonogo.RollbackAction("slow", lambda: time.sleep(5)), gonogo.RollbackAction("quick", lambda: "ok")]
""")
    pytester.makepyfile(test_gates=TESTS.replace("HEALTHY", "False").replace("CONFIG_OK", "True"))
    result = pytester.runpytest("-m", "smoke", "--rollback=auto", "--rollback-timeout=0.2")
    assert result.ret == EXIT_ROLLBACK_FAILED
    assert verdict()["rollback"]["actions"] == [
        {"name": "slow", "status": "failed", "detail": "timed out after 0.2 s"},
        {"name": "quick", "status": "done", "detail": "ok"},
    ]


def test_a_raising_hook_does_not_hide_the_others(pytester: pytest.Pytester, runbook, verdict) -> None:
    pytester.makeconftest("""
import gonogo

class Broken:
    def pytest_gonogo_rollback_actions(self, config, verdict, scopes):
        raise KeyError("no previous deploy")

def pytest_configure(config):
    config.pluginmanager.register(Broken(), "broken-rollback")

def pytest_gonogo_rollback_actions(scopes):
    return [gonogo.RollbackAction("render", lambda: "rolled back " + ",".join(scopes))]
""")
    pytester.makepyfile(test_gates=TESTS.replace("HEALTHY", "False").replace("CONFIG_OK", "True"))
    result = pytester.runpytest("-m", "smoke", "--rollback=auto")
    assert result.ret == EXIT_ROLLBACK_FAILED
    actions = verdict()["rollback"]["actions"]
    assert {"name": "render", "status": "done", "detail": "rolled back backend"} in actions
    failed = [a for a in actions if a["status"] == "failed"]
    assert len(failed) == 1 and "KeyError" in failed[0]["detail"] and "no previous deploy" in failed[0]["detail"]


ABORT_RUNBOOK = """
[criteria.p0]
title = "no P0 in logs"
stage = "soak"
abort = true
rollback = ["backend", "flags"]

[criteria.mem]
title = "memory steady"
stage = "soak"
"""


def test_abort_criterion_stops_the_session_and_rolls_back(pytester: pytest.Pytester, verdict) -> None:
    pytester.makefile(".toml", runbook=ABORT_RUNBOOK)
    pytester.makeconftest(CONFTEST.replace("FAIL", "False"))
    pytester.makepyfile(test_soak="""
import pathlib, pytest

@pytest.mark.soak
@pytest.mark.criterion("p0")
def test_p0():
    assert False, "P0 in worker log"

@pytest.mark.soak
@pytest.mark.criterion("p0")
def test_p0_again():
    pathlib.Path("ran-after-abort").write_text("x")

@pytest.mark.soak
@pytest.mark.criterion("mem")
def test_mem():
    pathlib.Path("ran-after-abort").write_text("x")
""")
    result = pytester.runpytest("--rollback=auto")
    assert result.ret == EXIT_NO_GO
    assert not (pytester.path / "ran-after-abort").exists()
    data = verdict()
    assert {c["id"]: c["status"] for c in data["criteria"]} == {"p0": "failed", "mem": "missing"}
    assert data["reasons"][0] == "session interrupted: abort criterion p0 failed in test_soak.py::test_p0"
    assert data["rollback"]["scopes"] == ["backend", "flags"]
    assert [a["status"] for a in data["rollback"]["actions"]] == ["done", "done", "done"]
    assert log(pytester)[0] == "asked NO-GO backend,flags"
    result.stdout.fnmatch_lines(["*gonogo verdict*", "p0*failed*"])
