"""End-to-end verdicts of small in-process runs: one outcome shape per test."""

from __future__ import annotations

import pytest

from gonogo import EXIT_GO, EXIT_INCONCLUSIVE, EXIT_NO_GO, SCHEMA

SMOKE_OK = """
import pytest

@pytest.mark.smoke
@pytest.mark.criterion("health")
def test_health():
    assert True

@pytest.mark.smoke
@pytest.mark.criterion("frontend")
def test_frontend():
    assert True
"""


def test_all_pass_is_go(pytester: pytest.Pytester, runbook, verdict, statuses) -> None:
    pytester.makepyfile(test_smoke=SMOKE_OK)
    result = pytester.runpytest("-m", "smoke", "--strict-markers")
    assert result.ret == EXIT_GO
    data = verdict()
    assert data["schema"] == SCHEMA
    assert data["verdict"] == "GO"
    assert data["stages"] == ["smoke"]
    assert data["reasons"] == []
    assert statuses(data) == {"health": "passed", "frontend": "passed"}
    assert set(data) == {"schema", "verdict", "target", "stages", "started_at", "finished_at", "reasons",
                         "reason_details", "criteria", "warnings", "warning_details", "rollback", "notifications"}
    assert data["notifications"] == []  # no destination: nothing sent
    assert data["target"] is None
    assert data["rollback"]["triggered"] is False
    health = statuses and next(c for c in data["criteria"] if c["id"] == "health")
    assert health["go_no_go"] == 3 and health["title"] == "GET /health is healthy"
    assert health["tests"][0]["nodeid"] == "test_smoke.py::test_health"
    assert health["tests"][0]["outcome"] == "passed"
    result.stdout.fnmatch_lines(["*gonogo verdict*", "health*passed*1*", "GO:*stages smoke*"])


def test_one_failure_is_no_go_naming_criterion_and_test(pytester: pytest.Pytester, runbook, verdict,
                                                        statuses) -> None:
    pytester.makepyfile(test_smoke=SMOKE_OK.replace(
        "def test_frontend():\n    assert True",
        "def test_frontend():\n    code = 503\n    assert code == 200, f'GET / answered {code}'"))
    result = pytester.runpytest("-m", "smoke")
    assert result.ret == EXIT_NO_GO
    data = verdict()
    assert data["verdict"] == "NO-GO"
    assert statuses(data) == {"health": "passed", "frontend": "failed"}
    assert data["reasons"] == ["frontend failed: test_smoke.py::test_frontend: GET / answered 503"]
    result.stdout.fnmatch_lines(["*NO-GO because frontend failed: test_smoke.py::test_frontend: GET / answered 503"])


def test_fixture_error_is_error(pytester: pytest.Pytester, runbook, verdict, statuses) -> None:
    pytester.makepyfile(test_smoke=SMOKE_OK + """
@pytest.fixture
def broken():
    raise RuntimeError("no database")

@pytest.mark.smoke
@pytest.mark.criterion("health")
def test_health_db(broken):
    pass
""")
    result = pytester.runpytest("-m", "smoke")
    assert result.ret == EXIT_NO_GO
    data = verdict()
    assert statuses(data) == {"health": "error", "frontend": "passed"}
    tests = {t["nodeid"]: t for t in data["criteria"][0]["tests"]}
    assert tests["test_smoke.py::test_health_db"]["outcome"] == "error"
    assert "no database" in tests["test_smoke.py::test_health_db"]["message"]
    assert data["reasons"][0].startswith("health error: test_smoke.py::test_health_db")


def test_skip_and_xfail_are_skipped_and_inconclusive(pytester: pytest.Pytester, runbook, verdict, statuses) -> None:
    pytester.makepyfile(test_smoke="""
import pytest

@pytest.mark.smoke
@pytest.mark.criterion("health")
def test_health():
    pytest.skip("no credentials")

@pytest.mark.smoke
@pytest.mark.criterion("frontend")
@pytest.mark.xfail(reason="known bad alias")
def test_frontend():
    assert False
""")
    result = pytester.runpytest("-m", "smoke")
    # Not proof, nor evidence against the app: never GO, and no rollback.
    assert result.ret == EXIT_INCONCLUSIVE
    data = verdict()
    assert data["verdict"] == "INCONCLUSIVE"
    assert statuses(data) == {"health": "skipped", "frontend": "skipped"}
    messages = {c["id"]: c["tests"][0]["message"] for c in data["criteria"]}
    assert "no credentials" in messages["health"]
    assert messages["frontend"] == "xfailed: known bad alias"


def test_deselected_blocking_criterion_is_missing(pytester: pytest.Pytester, runbook, verdict, statuses) -> None:
    pytester.makepyfile(test_smoke=SMOKE_OK)
    result = pytester.runpytest("-m", "smoke", "-k", "health")
    assert result.ret == EXIT_INCONCLUSIVE
    data = verdict()
    assert data["verdict"] == "INCONCLUSIVE"
    assert statuses(data) == {"health": "passed", "frontend": "missing"}
    assert data["reasons"] == ["frontend missing: no test of it ran"]


def test_no_test_at_all_is_inconclusive_not_5(pytester: pytest.Pytester, runbook, verdict, statuses) -> None:
    pytester.makepyfile(test_other="def test_unrelated():\n    pass\n")
    result = pytester.runpytest("-m", "smoke")
    assert result.ret == EXIT_INCONCLUSIVE
    data = verdict()
    assert data["verdict"] == "INCONCLUSIVE"
    assert statuses(data) == {"health": "missing", "frontend": "missing"}


@pytest.mark.parametrize(
    ("decorators", "expected"),
    [
        ("@pytest.mark.smoke", "*test_smoke.py::test_new: marked smoke but names no criterion*"),
        ('@pytest.mark.smoke\n@pytest.mark.criterion("nope")',
         "*test_smoke.py::test_new: criterion 'nope' is not declared in runbook.toml*"),
        ('@pytest.mark.predeploy\n@pytest.mark.criterion("health")',
         "*test_smoke.py::test_new: marked predeploy but criterion 'health' is stage smoke*"),
    ],
    ids=["no-criterion", "unknown-id", "stage-mismatch"],
)
def test_bad_binding_is_a_collection_error(pytester: pytest.Pytester, runbook, verdict, decorators: str,
                                          expected: str) -> None:
    pytester.makepyfile(test_smoke=SMOKE_OK + f"\n{decorators}\ndef test_new():\n    pass\n")
    result = pytester.runpytest("-m", "smoke")
    # What was collected passed, but a test that could not be bound was never judged: never GO.
    assert result.ret == EXIT_INCONCLUSIVE
    result.stdout.fnmatch_lines([expected])
    data = verdict()
    assert data["verdict"] == "INCONCLUSIVE"
    assert any(r.startswith("collection error: test_smoke.py") for r in data["reasons"])


def test_criterion_alone_takes_its_stage(pytester: pytest.Pytester, runbook, verdict, statuses) -> None:
    pytester.makepyfile(test_smoke=SMOKE_OK.replace("@pytest.mark.smoke\n", ""))
    result = pytester.runpytest("-m", "smoke", "--strict-markers")
    assert result.ret == EXIT_GO
    assert statuses(verdict()) == {"health": "passed", "frontend": "passed"}


def test_advisory_failure_is_go_with_warning(pytester: pytest.Pytester, runbook, verdict, statuses) -> None:
    pytester.makepyfile(test_smoke=SMOKE_OK, test_soak="""
import pytest

@pytest.mark.soak
@pytest.mark.criterion("cpu")
def test_cpu():
    assert 95 < 80, "cpu at 95%"
""")
    result = pytester.runpytest("-m", "smoke or soak")
    assert result.ret == EXIT_GO
    data = verdict()
    assert data["verdict"] == "GO"
    assert statuses(data) == {"health": "passed", "frontend": "passed", "cpu": "failed"}
    assert data["warnings"] == ["advisory cpu failed: test_soak.py::test_cpu: cpu at 95%"]
    result.stdout.fnmatch_lines(["cpu (advisory)*failed*", "*warning: advisory cpu failed*"])


def test_only_advisory_in_scope_is_inconclusive(pytester: pytest.Pytester, runbook, verdict) -> None:
    pytester.makepyfile(test_soak="""
import pytest

@pytest.mark.soak
@pytest.mark.criterion("cpu")
def test_cpu():
    pass
""")
    result = pytester.runpytest("-m", "soak")
    assert result.ret == EXIT_INCONCLUSIVE
    assert verdict()["verdict"] == "INCONCLUSIVE"
    assert verdict()["reasons"] == ["no blocking criterion in scope: nothing was proven"]


WAIVER = """
[[waivers]]
criterion = "frontend"
reason = "alias moves tomorrow"
approved_by = "ops lead"
expires = {expires}
"""

FRONTEND_FAILS = SMOKE_OK.replace("def test_frontend():\n    assert True",
                                  "def test_frontend():\n    assert False, 'not aliased'")


def test_current_waiver_is_waived_and_go(pytester: pytest.Pytester, runbook, verdict, statuses) -> None:
    pytester.makefile(".toml", runbook=runbook + WAIVER.format(expires="2999-12-31"))
    pytester.makepyfile(test_smoke=FRONTEND_FAILS)
    result = pytester.runpytest("-m", "smoke")
    assert result.ret == EXIT_GO
    data = verdict()
    assert statuses(data) == {"health": "passed", "frontend": "waived"}
    frontend = data["criteria"][1]
    assert frontend["underlying"] == "failed"
    assert frontend["waiver"] == {"reason": "alias moves tomorrow", "approved_by": "ops lead",
                                  "expires": "2999-12-31", "expired": False}
    assert any("waived until 2999-12-31 by ops lead" in w for w in data["warnings"])
    result.stdout.fnmatch_lines(["frontend*waived (failed)*"])


def test_expired_waiver_is_ignored_and_reported(pytester: pytest.Pytester, runbook, verdict, statuses) -> None:
    pytester.makefile(".toml", runbook=runbook + WAIVER.format(expires="2001-01-31"))
    pytester.makepyfile(test_smoke=FRONTEND_FAILS)
    result = pytester.runpytest("-m", "smoke")
    assert result.ret == EXIT_NO_GO
    data = verdict()
    assert statuses(data) == {"health": "passed", "frontend": "failed"}
    assert data["criteria"][1]["waiver"]["expired"] is True
    assert data["reasons"] == ["frontend failed: test_smoke.py::test_frontend: not aliased (waiver expired 2001-01-31)"]
    assert "waiver for frontend expired on 2001-01-31 (approved by ops lead): ignored" in data["warnings"]


def test_exitfirst_leaves_the_rest_missing(pytester: pytest.Pytester, runbook, verdict, statuses) -> None:
    pytester.makepyfile(test_smoke=SMOKE_OK.replace("def test_health():\n    assert True",
                                                    "def test_health():\n    assert False, 'unhealthy'"))
    result = pytester.runpytest("-m", "smoke", "-x")
    assert result.ret == EXIT_NO_GO
    data = verdict()
    assert statuses(data) == {"health": "failed", "frontend": "missing"}
    assert data["reasons"][0].startswith("session interrupted: stopping after 1 failures")
    result.stdout.fnmatch_lines(["*gonogo verdict*", "NO-GO*"])


def test_out_of_scope_stage_is_not_judged(pytester: pytest.Pytester, runbook, verdict, statuses) -> None:
    pytester.makepyfile(test_smoke=SMOKE_OK, test_pre="""
import pytest

@pytest.mark.predeploy
@pytest.mark.criterion("config")
def test_config():
    assert False
""")
    result = pytester.runpytest("-m", "not predeploy and not soak")
    assert result.ret == EXIT_GO
    assert statuses(verdict()) == {"health": "passed", "frontend": "passed"}
    result = pytester.runpytest()
    assert result.ret == EXIT_NO_GO
    data = verdict()
    assert data["stages"] == ["predeploy", "smoke", "postdeploy", "soak"]
    assert statuses(data) == {"health": "passed", "frontend": "passed", "config": "failed", "cpu": "missing"}


def test_failure_outside_criteria_keeps_pytest_status(pytester: pytest.Pytester, runbook, verdict) -> None:
    pytester.makepyfile(test_smoke=SMOKE_OK + "\ndef test_plain():\n    assert False\n")
    result = pytester.runpytest("-m", "smoke or not (predeploy or postdeploy or soak)")
    assert result.ret == 1
    data = verdict()
    assert data["verdict"] == "GO"
    assert data["warnings"] == ["1 failure(s) outside any criterion (pytest's exit status kept)"]
