"""Optional integrations: without pytest-html and xdist, and the pytest-html verdict banner."""

from __future__ import annotations

import pytest

from gonogo import EXIT_GO

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


def test_without_html_and_xdist_strict_markers_clean(pytester: pytest.Pytester, runbook, verdict) -> None:
    pytester.makepyfile(test_smoke=SMOKE)
    pytester.makeconftest("""
def pytest_sessionfinish(session):
    pm = session.config.pluginmanager
    print("ACTIVE", pm.hasplugin("html"), pm.hasplugin("xdist"), pm.hasplugin("gonogo-session"),
          pm.hasplugin("gonogo-html"))
""")
    result = pytester.runpytest("-p", "no:html", "-p", "no:xdist", "--strict-markers", "-m", "smoke", "-W", "error",
                                "-s")
    assert result.ret == EXIT_GO
    result.stdout.fnmatch_lines(["*ACTIVE False False True False*"])
    assert verdict()["verdict"] == "GO"


def test_markers_are_listed(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.predeploy: gonogo stage*", "@pytest.mark.smoke: gonogo stage*",
                                 "@pytest.mark.postdeploy: gonogo stage*", "@pytest.mark.soak: gonogo stage*",
                                 "@pytest.mark.criterion(ID): gonogo*"])


def test_help_documents_exit_codes(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["*exit codes: 0 GO, 1 NO-GO, 4 usage or runbook error, 6 NO-GO and a rollback*"
                                 "7 INCONCLUSIVE*", "*--rollback={off,plan,auto}*", "*gonogo_runbook*",
                                 "*gonogo_rollback_timeout*", "*gonogo_reports (args)*"])


def test_html_report_has_the_verdict_banner(pytester: pytest.Pytester, runbook) -> None:
    pytester.makepyfile(test_smoke=SMOKE.replace("def test_frontend():\n    pass",
                                                 "def test_frontend():\n    assert False, 'unaliased'"))
    result = pytester.runpytest("-m", "smoke", "--html=reports/report.html", "--self-contained-html")
    assert result.ret == 1
    html = (pytester.path / "reports" / "report.html").read_text()
    assert 'class="gonogo-verdict"' in html and ">NO-GO</div>" in html
    assert "frontend failed: test_smoke.py::test_frontend: unaliased" in html
