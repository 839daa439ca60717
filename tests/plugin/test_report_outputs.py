"""summary.md (and the GitHub step summary) and JUnit XML's criterion/stage properties."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from gonogo import EXIT_GO, EXIT_NO_GO
from gonogo.markdown import STEP_SUMMARY_ENV

CONFTEST = """
from gonogo import RollbackAction

def pytest_gonogo_target_name(config):
    return "sandbox"

def pytest_gonogo_rollback_actions(config, verdict, scopes):
    return [RollbackAction("render: roll back API to dep-previous", lambda: None, detail="POST /rollback")]
"""

TESTS = """
import pytest

@pytest.mark.smoke
@pytest.mark.criterion("health")
def test_health():
    assert {ok}, "GET /health answered 503 | degraded"

@pytest.mark.smoke
@pytest.mark.criterion("frontend")
def test_frontend():
    pass

def test_unrelated():
    pass
"""

WAIVER = """
[[waivers]]
criterion = "frontend"
reason = "CDN migration"
approved_by = "ops-lead"
expires = 2020-01-01
"""


def test_summary_md_has_verdict_reasons_table_warnings_waivers_rollback(pytester: pytest.Pytester, runbook,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(STEP_SUMMARY_ENV, raising=False)
    pytester.makefile(".toml", runbook=runbook + WAIVER)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_smoke=TESTS.format(ok=False))
    assert pytester.runpytest("-m", "smoke").ret == EXIT_NO_GO
    text = (pytester.path / "reports" / "summary.md").read_text()
    lines = text.splitlines()
    assert lines[0] == "## 🔴 gonogo verdict: NO-GO"
    assert lines[2].startswith("target sandbox; stages smoke; 2 criteria, 1 blocking not proven; ")
    # The reason is a list item; a pipe in a cell is escaped so the table keeps its columns.
    assert ("- health failed: test_smoke.py::test_health: GET /health answered 503 \\| degraded" in lines)
    assert "| criterion | title | stage | go/no-go | status | tests | time |" in lines
    rows = [line for line in lines if line.startswith("| health |") or line.startswith("| frontend |")]
    assert rows[0].startswith("| health | GET /health is healthy | smoke | 3 | ❌ failed | 1 failed | ")
    assert rows[1].startswith("| frontend | frontend aliased | smoke |  | ✅ passed | 1 passed | ")
    assert "- waiver for frontend expired on 2020-01-01 (approved by ops-lead): ignored" in lines
    assert "| frontend | CDN migration | ops-lead | 2020-01-01 | **EXPIRED (ignored)** |" in lines
    assert "**rollback (plan)**: scopes backend, 1 action(s)" in lines
    assert "- planned: render: roll back API to dep-previous — POST /rollback" in lines


def test_summary_md_path_flag_and_step_summary_append_once_under_xdist(pytester: pytest.Pytester, runbook,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    step = pytester.path / "step-summary.md"
    step.write_text("## earlier step\n")
    monkeypatch.setenv(STEP_SUMMARY_ENV, str(step))
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_smoke=TESTS.format(ok=True))
    result = pytester.runpytest_subprocess("-m", "smoke", "-n", "2", "--summary-md", "out/ci.md")
    assert result.ret == EXIT_GO
    written = (pytester.path / "out" / "ci.md").read_text()
    assert written.startswith("## 🟢 gonogo verdict: GO\n")
    assert "**rollback**: GO: nothing to roll back" in written
    assert not (pytester.path / "reports" / "summary.md").exists()
    # Appended, not overwritten, and by the controller only (two workers, one copy).
    assert step.read_text() == "## earlier step\n" + written + "\n"


def test_unwritable_step_summary_is_one_line_and_keeps_the_verdict(pytester: pytest.Pytester, runbook,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    bad = pytester.path / "no-such-dir" / "summary"
    monkeypatch.setenv(STEP_SUMMARY_ENV, str(bad))
    pytester.makepyfile(test_smoke=TESTS.format(ok=True))
    result = pytester.runpytest("-m", "smoke")
    assert result.ret == EXIT_GO
    result.stdout.fnmatch_lines([f"gonogo: cannot append to ${STEP_SUMMARY_ENV}={bad}: No such file or directory; "
                                 "fix or unset it"])
    assert "Traceback" not in result.stdout.str()
    assert (pytester.path / "reports" / "summary.md").is_file()


@pytest.mark.parametrize(("family", "xdist"), [("xunit1", False), ("xunit2", False), ("xunit2", True)])
def test_junit_test_cases_carry_criterion_and_stage(pytester: pytest.Pytester, runbook, family: str,
                                                    xdist: bool) -> None:
    pytester.makepyfile(test_smoke=TESTS.format(ok=False), test_gates="""
import pytest

@pytest.mark.criterion("config")
def test_config():
    pass
""")
    args = ["--junitxml=reports/junit.xml", "-o", f"junit_family={family}", "-W", "error::pytest.PytestWarning"]
    run = pytester.runpytest_subprocess if xdist else pytester.runpytest
    result = run(*args, *(["-n", "2"] if xdist else []))
    assert result.ret == EXIT_NO_GO
    root = ET.parse(pytester.path / "reports" / "junit.xml").getroot()
    props = {case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
             for case in root.iter("testcase")}
    assert props == {
        "test_health": {"criterion": "health", "stage": "smoke"},
        "test_frontend": {"criterion": "frontend", "stage": "smoke"},
        # The stage comes from the criterion when the test names no stage marker.
        "test_config": {"criterion": "config", "stage": "predeploy"},
        "test_unrelated": {},
    }
    failure = next(root.iter("failure"))
    assert failure.get("message").startswith("AssertionError: GET /health answered 503 | degraded")
