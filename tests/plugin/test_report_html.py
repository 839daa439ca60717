"""The reviewer's HTML report: verdict banner, criteria, waivers, rollback, Criterion column, evidence."""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

from gonogo import EXIT_GO, EXIT_INCONCLUSIVE, EXIT_NO_GO

# A real 1x1 PNG: the report must embed exactly these bytes.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAAB"
                       "JRU5ErkJggg==")

WAIVERS = """
[[waivers]]
criterion = "frontend"
reason = "CDN migration in progress"
approved_by = "ops-lead"
expires = 2020-01-01

[[waivers]]
criterion = "config"
reason = "new config keys land next sprint"
approved_by = "cto"
expires = 2999-12-31
"""

CONFTEST = """
from gonogo import RollbackAction

def pytest_gonogo_target_name(config):
    return "sandbox"

def pytest_gonogo_rollback_actions(config, verdict, scopes):
    return [RollbackAction("render: roll back API to dep-previous", lambda: None,
                           detail="POST /v1/services/srv-api/rollback")]
"""

TESTS = """
import base64, types, pytest

PNG = base64.b64decode({png!r})

def fake_response(status, body):
    request = types.SimpleNamespace(method="GET", url="http://127.0.0.1:9/health")
    return types.SimpleNamespace(request=request, status_code=status, text=body,
                                 headers={{"content-type": "application/json"}},
                                 elapsed=types.SimpleNamespace(total_seconds=lambda: 0.25))

@pytest.fixture
def screenshot(evidence, tmp_path):
    yield
    # Kept at teardown, as the browser fixture does: the report must still show it.
    shot = tmp_path / "owner-flow.png"
    shot.write_bytes(PNG)
    evidence.attach(shot, "screenshot at the end", mime="image/png")

@pytest.mark.smoke
@pytest.mark.criterion("health")
def test_health(evidence, tmp_path, screenshot):
    evidence.http(fake_response({status}, '{{"status": "degraded", "detail": "<db down>"}}'))
    evidence.command(["alembic", "current"], 1, "line\\n" * 50 + "FATAL: role missing")
    evidence.note("why", "the API answers but the database is down")
    trace = tmp_path / "trace.zip"
    trace.write_bytes(b"PK")
    evidence.attach(trace, "trace")
    assert {status} == 200, "GET /health answered {status}"

@pytest.mark.smoke
@pytest.mark.criterion("frontend")
def test_frontend():
    pass

def test_unrelated():
    pass
"""


def report_tests(path: Path) -> dict[str, list[dict[str, Any]]]:
    """pytest-html's per-test data (the JSON blob its page is drawn from), by node id."""
    blob = re.search(r'data-jsonblob="([^"]*)"', path.read_text()).group(1)
    return json.loads(html.unescape(blob))["tests"]


def summary_block(text: str) -> str:
    return text[text.index('<div class="gonogo">'):text.index('<p class="run-count">')]


@pytest.mark.parametrize("xdist", [False, True], ids=["in-process", "xdist"])
def test_no_go_report_has_banner_criteria_waivers_rollback_and_evidence(pytester: pytest.Pytester, runbook,
                                                                        xdist: bool) -> None:
    pytester.makefile(".toml", runbook=runbook + WAIVERS)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_smoke=TESTS.format(png=base64.b64encode(PNG).decode(), status=503))
    # No -m: every stage is in scope, and the unrelated test runs too.
    args = ["--html=reports/report.html", "--self-contained-html"]
    run = pytester.runpytest_subprocess if xdist else pytester.runpytest
    result = run(*args, *(["-n", "2"] if xdist else []))
    assert result.ret == EXIT_NO_GO
    path = pytester.path / "reports" / "report.html"
    text = path.read_text()
    assert "<title id=\"head-title\">NO-GO sandbox: report.html</title>" in text
    top = summary_block(text)
    assert '<div class="gonogo-banner tone-bad"><div class="gonogo-verdict">NO-GO</div>' in top
    assert "target sandbox · stages predeploy, smoke, postdeploy, soak · 4 criteria, 1 blocking not proven" in top
    assert "<h3>NO-GO because</h3>" in top
    assert '<li class="reason tone-bad">health failed: test_smoke.py::test_health: GET /health answered 503</li>' in top
    # The criteria table: id, title, stage, go/no-go number, status, tests, time.
    assert re.search(r'<tr class="gonogo-bad"><td>health</td><td>GET /health is healthy</td><td>smoke</td>'
                     r'<td>3</td><td class="st tone-bad">failed</td><td>1 failed</td><td>[0-9.]+ s</td></tr>', top)
    assert "<td>frontend</td><td>frontend aliased</td><td>smoke</td><td></td>" in top
    assert "<td>cpu <em>(advisory)</em></td>" in top and '<li class="warning tone-warn">advisory cpu missing' in top
    # A current waiver turns a criterion that did not run into waived, the underlying status still shown.
    assert '<td class="st tone-warn">waived (missing)</td><td>none ran</td>' in top
    # Waivers with their expiry; the expired one flagged.
    assert ("<tr><td>frontend</td><td>CDN migration in progress</td><td>ops-lead</td><td>2020-01-01</td>"
            '<td class="st tone-bad">EXPIRED (ignored)</td></tr>') in top
    assert ("<tr><td>config</td><td>new config keys land next sprint</td><td>cto</td><td>2999-12-31</td>"
            '<td class="st tone-neutral">current</td></tr>') in top
    # The rollback plan: mode, scopes, each action with status and detail.
    assert "<h3>rollback (plan)</h3><p>scopes backend, 1 action(s)</p>" in top
    assert ('<tr><td>render: roll back API to dep-previous</td><td class="st tone-neutral">planned'
            "</td><td>POST /v1/services/srv-api/rollback</td></tr>") in top

    tests = report_tests(path)
    header = re.search(r'<thead id="results-table-head">(.*?)</thead>', text, re.S).group(1)
    assert header.index(">Test</th>") < header.index(">Criterion</th>") < header.index(">Duration</th>")
    health = tests["test_smoke.py::test_health"][0]
    assert '<td class="col-criterion">health</td>' in health["resultsTableRow"]
    assert '<td class="col-criterion"></td>' in tests["test_smoke.py::test_unrelated"][0]["resultsTableRow"]
    fragments = "".join(e["content"] for e in health["extras"] if e["format_type"] == "html")
    assert '<span class="label">Criterion</span> health (stage smoke)' in fragments
    assert ('<span class="label">HTTP</span> GET http://127.0.0.1:9/health → <b>503</b> in 0.25 s'
            "<pre>content-type: application/json\n</pre>"
            "<pre>{&quot;status&quot;: &quot;degraded&quot;, &quot;detail&quot;: &quot;&lt;db down&gt;&quot;}</pre>"
            ) in fragments
    assert '<span class="label">Command</span> <code>alembic current</code> → exit 1<pre>line\n' in fragments
    assert "FATAL: role missing</pre>" in fragments
    assert '<span class="label">Note</span> why<pre>the API answers but the database is down</pre>' in fragments
    # The screenshot kept at teardown is embedded (the report stays one file); other files are listed.
    assert f'src="data:image/png;base64,{base64.b64encode(PNG).decode()}"' in fragments
    assert "screenshot at the end (owner-flow.png, image/png, 70 B)" in fragments
    assert '<span class="label">File</span> trace (trace.zip, application/zip, 2 B)</div>' in fragments
    assert fragments.count("<img") == 1


def test_go_report_is_green_and_says_nothing_to_roll_back(pytester: pytest.Pytester, runbook) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_smoke=TESTS.format(png=base64.b64encode(PNG).decode(), status=200))
    result = pytester.runpytest("-m", "smoke", "--html=reports/report.html", "--self-contained-html")
    assert result.ret == EXIT_GO
    text = (pytester.path / "reports" / "report.html").read_text()
    top = summary_block(text)
    assert '<div class="gonogo-banner tone-good"><div class="gonogo-verdict">GO</div>' in top
    assert "NO-GO because" not in top
    assert '<td class="st tone-good">passed</td><td>1 passed</td>' in top
    assert "<h3>rollback</h3><p>GO: nothing to roll back</p>" in top
    assert "<h3>Waivers</h3><p>none</p>" in top


def test_rollback_that_ran_shows_each_action_result(pytester: pytest.Pytester, runbook) -> None:
    pytester.makeconftest("""
from gonogo import RollbackAction

def broken():
    raise RuntimeError("deploy dep-previous is not live after 60 s")

def pytest_gonogo_rollback_actions(config, verdict, scopes):
    return [RollbackAction("vercel: roll back to dpl-previous", lambda: "alias points to dpl-previous"),
            RollbackAction("render: roll back API", broken)]
""")
    pytester.makepyfile(test_smoke="""
import pytest

@pytest.mark.smoke
@pytest.mark.criterion("frontend")
def test_frontend():
    assert False, "unaliased"
""")
    result = pytester.runpytest("-m", "smoke", "--rollback=auto", "--html=reports/report.html")
    assert result.ret == 6
    top = summary_block((pytester.path / "reports" / "report.html").read_text())
    assert "<h3>rollback (auto)</h3><p>scopes frontend, 2 action(s)</p>" in top
    assert re.search(r'<td>vercel: roll back to dpl-previous</td><td class="st tone-good">done</td>'
                     r"<td>[^<]*alias points to dpl-previous</td>", top)
    assert re.search(r'<td>render: roll back API</td><td class="st tone-bad">failed</td>'
                     r"<td>[^<]*deploy dep-previous is not live after 60 s</td>", top)
    assert "<td>health</td><td>GET /health is healthy</td><td>smoke</td><td>3</td>" in top
    assert "health missing: no test of it ran" in top


def test_inconclusive_report_is_amber_and_lists_the_rollback_it_did_not_run(pytester: pytest.Pytester,
                                                                            runbook) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_smoke="""
import gonogo, pytest

@pytest.mark.smoke
@pytest.mark.criterion("health")
def test_health():
    raise gonogo.Inconclusive("render: GET /v1/services/srv-api/deploys answered 503 after 3 attempts")

@pytest.mark.smoke
@pytest.mark.criterion("frontend")
def test_frontend():
    pass
""")
    result = pytester.runpytest("-m", "smoke", "--rollback=auto", "--html=reports/report.html",
                                "--self-contained-html")
    assert result.ret == EXIT_INCONCLUSIVE
    text = (pytester.path / "reports" / "report.html").read_text()
    assert "<title id=\"head-title\">INCONCLUSIVE sandbox: report.html</title>" in text
    top = summary_block(text)
    assert '<div class="gonogo-banner tone-warn"><div class="gonogo-verdict">INCONCLUSIVE</div>' in top
    assert ('<li class="reason tone-warn">health inconclusive: test_smoke.py::test_health: render: GET '
            "/v1/services/srv-api/deploys answered 503 after 3 attempts</li>") in top
    # The criterion that could not be judged is tinted amber, not red.
    assert re.search(r'<tr class="gonogo-warn"><td>health</td>.*?<td class="st tone-warn">inconclusive</td>', top)
    assert "<h3>rollback (auto)</h3><p>not run: the verdict is INCONCLUSIVE" in top
    assert "hold, fix the observation, re-run; would roll back scopes backend, 1 action(s)</p>" in top
    assert ('<tr><td>render: roll back API to dep-previous</td><td class="st tone-warn">not_run</td>'
            "<td>POST /v1/services/srv-api/rollback</td></tr>") in top
    md = (pytester.path / "reports" / "summary.md").read_text()
    assert md.startswith("## 🟡 gonogo verdict: INCONCLUSIVE\n")
    assert "| health | GET /health is healthy | smoke | 3 | 🟡 inconclusive | 1 inconclusive | " in md
    assert "- not_run: render: roll back API to dep-previous — POST /v1/services/srv-api/rollback" in md
    # pytest-html's own column says Failed (its filters show only pytest's outcomes); gonogo's criterion
    # column and the test's details say what gonogo made of it.
    health = report_tests(pytester.path / "reports" / "report.html")["test_smoke.py::test_health"][0]
    assert health["result"] == "Failed"
    assert '<td class="col-criterion">health <span class="tone-warn">inconclusive</span></td>' in \
        health["resultsTableRow"]
    fragments = "".join(e["content"] for e in health["extras"] if e["format_type"] == "html")
    assert ('<span class="label tone-warn">Inconclusive</span> render: GET /v1/services/srv-api/deploys answered 503 '
            "after 3 attempts") in fragments


def test_pictures_come_first_in_a_tests_evidence_the_rest_in_order():
    from gonogo.html_render import escaper, evidence_html

    records = [{"kind": "note", "title": "poll 1"}, {"kind": "note", "title": "poll 2"},
               {"kind": "file", "title": "the window", "path": "/w.svg", "mime": "image/svg+xml", "size": 10},
               {"kind": "file", "title": "a trace", "path": "/t.zip", "mime": "application/zip", "size": 10}]
    fragment = evidence_html("c", "soak", records, escaper(lambda text: text), lambda path: "PHN2Zy8+")
    order = [fragment.index(text) for text in ("the window", "poll 1", "poll 2", "a trace")]
    assert order == sorted(order), fragment
    assert 'src="data:image/svg+xml;base64,PHN2Zy8+"' in fragment
