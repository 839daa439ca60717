"""Real processes: xdist gives the serial verdict, a crashed worker is NO-GO, Ctrl-C is INCONCLUSIVE."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from gonogo import EXIT_INCONCLUSIVE, EXIT_NO_GO

CONFTEST = """
import os, pathlib, gonogo

def pytest_gonogo_rollback_actions(config, verdict, scopes):
    def run():
        with (pathlib.Path(str(config.rootpath)) / "rollback.log").open("a") as f:
            f.write(f"{os.getpid()} {','.join(scopes)}\\n")
        return "rolled back"
    return [gonogo.RollbackAction("render", run)]
"""

SMOKE = """
import pytest

@pytest.mark.smoke
@pytest.mark.criterion("health")
def test_health():
    pass

@pytest.mark.smoke
@pytest.mark.criterion("health")
def test_health_again():
    pass
"""

FRONTEND = """
import pytest

@pytest.mark.smoke
@pytest.mark.criterion("frontend")
def test_frontend_alias():
    BODY

@pytest.mark.smoke
@pytest.mark.criterion("frontend")
def test_frontend_page():
    pass
"""


def read(pytester: pytest.Pytester) -> dict:
    return json.loads((pytester.path / "reports" / "verdict.json").read_text())


def comparable(data: dict) -> dict:
    """What must not depend on how the run was spread: statuses, tests, reasons, rollback."""
    return {
        "verdict": data["verdict"], "reasons": data["reasons"], "rollback": data["rollback"],
        "criteria": {c["id"]: (c["status"], sorted((t["nodeid"], t["outcome"]) for t in c["tests"]))
                     for c in data["criteria"]},
    }


def test_two_workers_give_the_serial_verdict_and_roll_back_once(pytester: pytest.Pytester, runbook) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_health=SMOKE, test_frontend=FRONTEND.replace("BODY", "assert False, 'unaliased'"))
    serial = pytester.runpytest_subprocess("-m", "smoke", "--rollback=auto", "-p", "no:cacheprovider")
    assert serial.ret == EXIT_NO_GO
    serial_verdict = read(pytester)
    (pytester.path / "rollback.log").unlink()
    parallel = pytester.runpytest_subprocess("-m", "smoke", "--rollback=auto", "-n", "2", "--dist", "loadfile",
                                             "-p", "no:cacheprovider")
    assert parallel.ret == EXIT_NO_GO
    parallel_verdict = read(pytester)
    assert comparable(parallel_verdict) == comparable(serial_verdict)
    assert comparable(parallel_verdict)["criteria"]["frontend"][0] == "failed"
    assert parallel_verdict["reasons"] == ["frontend failed: test_frontend.py::test_frontend_alias: unaliased"]
    runs = (pytester.path / "rollback.log").read_text().splitlines()
    assert len(runs) == 1 and runs[0].endswith(" frontend")
    parallel.stdout.fnmatch_lines(["*gonogo verdict*", "NO-GO*", "  done: render: rolled back"])


def test_crashed_worker_is_an_error_and_no_go(pytester: pytest.Pytester, runbook) -> None:
    pytester.makepyfile(test_health=SMOKE, test_frontend=FRONTEND.replace("BODY", "import os; os._exit(1)"))
    # One restart is enough to show it; xdist would otherwise rerun the crashing file on each new worker.
    result = pytester.runpytest_subprocess("-m", "smoke", "-n", "2", "--dist", "loadfile", "--max-worker-restart=1")
    assert result.ret == EXIT_NO_GO
    data = read(pytester)
    assert data["verdict"] == "NO-GO"
    criteria = {c["id"]: c for c in data["criteria"]}
    assert criteria["health"]["status"] == "passed"
    assert criteria["frontend"]["status"] == "error"
    crashed = [t for t in criteria["frontend"]["tests"] if t["nodeid"] == "test_frontend.py::test_frontend_alias"]
    assert crashed[0]["outcome"] == "error" and "crashed" in crashed[0]["message"]


def test_keyboard_interrupt_is_inconclusive(pytester: pytest.Pytester, runbook) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_health=SMOKE, test_frontend=FRONTEND.replace("BODY", "raise KeyboardInterrupt"))
    result = pytester.runpytest_subprocess("-m", "smoke", "--rollback=auto")
    # Stopped by a person, not by a failure: nothing proven either way, never GO, nothing rolled back.
    assert result.ret == EXIT_INCONCLUSIVE
    data = read(pytester)
    assert data["verdict"] == "INCONCLUSIVE"
    assert data["reasons"][0] == "session interrupted: KeyboardInterrupt"
    frontend = next(c for c in data["criteria"] if c["id"] == "frontend")
    assert frontend["status"] == "inconclusive"
    assert frontend["tests"][0]["message"] == "the test did not run to the end (the session was interrupted)"
    assert not (pytester.path / "rollback.log").exists()
    assert data["rollback"]["withheld"] is True
    assert [a["status"] for a in data["rollback"]["actions"]] == ["not_run"]
    result.stdout.fnmatch_lines(["*gonogo verdict*", "INCONCLUSIVE*"])


def test_sigint_to_a_running_session_is_inconclusive(pytester: pytest.Pytester, runbook) -> None:
    pytester.makepyfile(test_health=SMOKE, test_frontend=FRONTEND.replace(
        "BODY", "import pathlib, time; pathlib.Path('started').touch(); time.sleep(30)"))
    # A job started in the background by a non-interactive shell (CI) inherits SIGINT ignored, and Python then
    # installs no KeyboardInterrupt handler: give the child the default disposition, as a terminal would.
    proc = subprocess.Popen([sys.executable, "-m", "pytest", "-m", "smoke", "-p", "no:cacheprovider"],
                            cwd=pytester.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        # Generous bounds: on a loaded 2-core CI machine a pytest start alone can take several seconds.
        deadline = time.monotonic() + 60
        while not (pytester.path / "started").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (pytester.path / "started").exists(), "the test never started"
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == EXIT_INCONCLUSIVE, out
    assert "gonogo verdict" in out
    assert read(pytester)["verdict"] == "INCONCLUSIVE"


def test_abort_under_xdist_stops_both_workers(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", runbook="""
[criteria.p0]
title = "no P0"
stage = "soak"
abort = true
rollback = ["backend"]

[criteria.mem]
title = "memory steady"
stage = "soak"
""")
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_a="""
import pathlib, time, pytest

@pytest.mark.criterion("p0")
def test_p0():
    time.sleep(0.3)
    assert False, "P0 in API log"

@pytest.mark.criterion("p0")
def test_p0_later():
    pathlib.Path("ran-after-abort").touch()
""", test_b="""
import time, pytest

@pytest.mark.criterion("mem")
@pytest.mark.parametrize("i", range(30))
def test_mem(i):
    time.sleep(0.1)
""")
    result = pytester.runpytest_subprocess("-n", "2", "--dist", "loadfile", "--rollback=auto")
    assert result.ret == EXIT_NO_GO
    assert not (pytester.path / "ran-after-abort").exists()
    data = read(pytester)
    assert data["reasons"][0] == "session interrupted: abort criterion p0 failed in test_a.py::test_p0"
    mem = next(c for c in data["criteria"] if c["id"] == "mem")
    assert len(mem["tests"]) < 30  # the other worker stopped after its current test
    assert len((pytester.path / "rollback.log").read_text().splitlines()) == 1
