"""ini gonogo_reports: the HTML report and JUnit XML beside the verdict JSON from any command; flags still win."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from gonogo import EXIT_GO, EXIT_USAGE

SMOKE = """
import pytest

@pytest.mark.smoke
@pytest.mark.criterion("health")
def test_health():
    pass

@pytest.mark.smoke
@pytest.mark.criterion("frontend")
def test_frontend():
    pass
"""


@pytest.fixture
def project(pytester: pytest.Pytester, runbook: str) -> pytest.Pytester:
    pytester.makeini("[pytest]\ngonogo_reports = html junit\n")
    pytester.makepyfile(test_smoke=SMOKE)
    return pytester


def test_both_reports_beside_the_verdict_without_a_flag(project: pytest.Pytester) -> None:
    result = project.runpytest("-m", "smoke")
    assert result.ret == EXIT_GO
    reports = project.path / "reports"
    assert {p.name for p in reports.iterdir()} == {"verdict.json", "summary.md", "report.html", "junit.xml"}
    html = (reports / "report.html").read_text()
    # pytest-html's report with the verdict on top, self-contained (no assets/ directory beside it).
    assert '<div class="gonogo-verdict">GO</div>' in html and "<style>" in html
    assert not (reports / "assets").exists()
    cases = {case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
             for case in ET.parse(reports / "junit.xml").getroot().iter("testcase")}
    assert cases == {"test_health": {"criterion": "health", "stage": "smoke"},
                     "test_frontend": {"criterion": "frontend", "stage": "smoke"}}
    result.stdout.fnmatch_lines([f"*generated xml file: {reports / 'junit.xml'}*",
                                 f"*Generated html report: file://{reports / 'report.html'}*"])


def test_the_users_flags_win_and_the_defaults_follow_the_verdict_json(project: pytest.Pytester) -> None:
    result = project.runpytest("-m", "smoke", "--junitxml", "ci/results.xml", "--verdict-json", "out/v.json")
    assert result.ret == EXIT_GO
    assert (project.path / "ci" / "results.xml").is_file()
    assert {p.name for p in (project.path / "out").iterdir()} == {"v.json", "summary.md", "report.html"}
    assert not (project.path / "reports").exists()


def test_under_xdist_the_controller_writes_them(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("-m", "smoke", "-n", "2", "-p", "no:cacheprovider")
    assert result.ret == EXIT_GO
    assert len(list(ET.parse(project.path / "reports" / "junit.xml").getroot().iter("testcase"))) == 2
    assert '<div class="gonogo-verdict">GO</div>' in (project.path / "reports" / "report.html").read_text()


def test_without_pytest_html_only_junit(project: pytest.Pytester) -> None:
    assert project.runpytest("-m", "smoke", "-p", "no:html").ret == EXIT_GO
    assert {p.name for p in (project.path / "reports").iterdir()} == {"verdict.json", "summary.md", "junit.xml"}


def test_nothing_for_a_listing_nor_without_the_ini(pytester: pytest.Pytester, runbook: str) -> None:
    pytester.makepyfile(test_smoke=SMOKE)
    assert pytester.runpytest("-m", "smoke").ret == EXIT_GO
    assert {p.name for p in (pytester.path / "reports").iterdir()} == {"verdict.json", "summary.md"}
    pytester.makeini("[pytest]\ngonogo_reports = html junit\n")
    (pytester.path / "reports").rename(pytester.path / "before")
    assert pytester.runpytest("-m", "smoke", "--collect-only").ret == 0
    assert not (pytester.path / "reports").exists()


def test_an_unknown_report_is_one_line_exit_4(pytester: pytest.Pytester, runbook: str) -> None:
    pytester.makeini("[pytest]\ngonogo_reports = html pdf\n")
    pytester.makepyfile(test_smoke=SMOKE)
    result = pytester.runpytest("-m", "smoke")
    assert result.ret == EXIT_USAGE
    result.stderr.fnmatch_lines(["ERROR: gonogo: ini gonogo_reports = 'html pdf': 'pdf' is not a report; "
                                 "use html and/or junit"])
    assert not (pytester.path / "reports").exists()
