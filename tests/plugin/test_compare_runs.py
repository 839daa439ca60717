"""Measures compared with the last GO on the same target: kept verdicts, the baseline, the runbook's limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gonogo import EXIT_GO, EXIT_INCONCLUSIVE, EXIT_NO_GO, EXIT_USAGE
from gonogo.measures import Comparison
from gonogo.merge import merge, read
from gonogo.verdict import Verdict
from gonogo.view import VerdictView

RUNBOOK = """
[criteria.persona]
title = "persona regression passes"
stage = "postdeploy"
rollback = ["backend"]

[criteria.soak]
title = "no errors in the soak"
stage = "soak"

[limits.pass-rate-drop]
measure = "pass_rate"
criterion = "persona"
drop_max = 0.02
{blocking}

[limits.latency-rise]
measure = "p95_ms"
criterion = "soak"
rise_max = 0.5
relative = true
"""

CONFTEST = """
import os

def pytest_gonogo_target_name(config):
    return os.environ.get("COMPARE_TARGET", "staging")
"""

TESTS = """
import os
import pytest

@pytest.mark.postdeploy
@pytest.mark.criterion("persona")
def test_persona(evidence):
    if os.environ.get("PASS_RATE"):
        evidence.measure("pass_rate", float(os.environ["PASS_RATE"]), better="higher")
    assert os.environ.get("PERSONA_FAILS") != "1", "persona failed"

@pytest.mark.soak
@pytest.mark.criterion("soak")
def test_soak(evidence):
    evidence.measure("p95_ms", float(os.environ.get("P95", "100")), unit="ms", better="lower")
    evidence.measure("errors", 0, unit="lines", better="lower")
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    """A project whose runs measure what the env says; `run(**env)` runs it and returns (result, verdict.json)."""
    pytester.makefile(".toml", runbook=RUNBOOK.format(blocking=""))
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_release=TESTS)

    def run(*args: str, **env: str):
        for key in ("PASS_RATE", "PERSONA_FAILS", "P95", "COMPARE_TARGET"):
            monkeypatch.delenv(key, raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        result = pytester.runpytest("-p", "no:randomly", *args)
        return result, json.loads((pytester.path / "reports" / "verdict.json").read_text())

    return run


def _limit(data: dict, lid: str) -> dict:
    return next(c for c in data["criteria"] if c["id"] == lid)


def test_measures_land_in_verdict_json_and_the_first_run_says_there_is_no_previous_go(project, pytester) -> None:
    result, data = project(PASS_RATE="1.0")
    assert result.ret == EXIT_GO
    assert data["measures"]["pass_rate"] == {"value": 1.0, "unit": "", "better": "higher", "criterion": "persona",
                                             "stage": "postdeploy", "test": "test_release.py::test_persona"}
    assert data["measures"]["p95_ms"]["unit"] == "ms" and data["measures"]["errors"]["value"] == 0
    assert data["comparison"]["target"] == "staging" and data["comparison"]["baselines"] == {}
    limit = _limit(data, "pass-rate-drop")
    assert limit["status"] == "passed" and limit["blocking"] is False and limit["stage"] == "postdeploy"
    assert "no previous GO on staging" in limit["tests"][0]["message"]
    result.stdout.fnmatch_lines(["*compared with the last GO on staging: no previous GO on staging*"])
    summary = (pytester.path / "reports" / "summary.md").read_text()
    assert "no previous GO on staging: nothing to compare with" in summary
    # Kept for the next run: a copy of this verdict in the history beside it.
    [kept] = (pytester.path / "reports" / "history").iterdir()
    assert "-GO-staging_" in kept.name and json.loads(kept.read_text()) == data


def test_the_baseline_is_the_newest_go_of_the_same_target(project) -> None:
    project(PASS_RATE="0.90", P95="100")  # GO on staging: the oldest
    project(PASS_RATE="0.99", P95="100", COMPARE_TARGET="production")  # GO, another target
    project(PASS_RATE="0.50", PERSONA_FAILS="1")  # NO-GO on staging: never a baseline
    project(PASS_RATE="0.97", P95="100")  # GO on staging: the newest
    result, data = project(PASS_RATE="0.96", P95="120")
    assert result.ret == EXIT_GO
    baselines = data["comparison"]["baselines"]
    assert baselines["pass_rate"]["value"] == 0.97 and baselines["p95_ms"]["value"] == 100
    assert "-GO-staging_" in baselines["pass_rate"]["source"]
    message = _limit(data, "pass-rate-drop")["tests"][0]["message"]
    assert message.startswith("pass_rate 0.96 vs 0.97 on the last GO (") and "-0.01 (-1.03%, worse)" in message
    assert "within the limit drop <= 0.02" in message
    latency = _limit(data, "latency-rise")["tests"][0]["message"]
    assert "p95_ms 120 ms vs 100" in latency and "+20 (+20%, worse)" in latency and "rise <= 50%" in latency


def test_an_advisory_limit_crossed_is_a_warning_and_go(project, pytester) -> None:
    project(PASS_RATE="1.0")
    result, data = project(PASS_RATE="0.95")
    assert result.ret == EXIT_GO and data["verdict"] == "GO"
    assert _limit(data, "pass-rate-drop")["status"] == "failed"
    [warning] = [w for w in data["warnings"] if "pass-rate-drop" in w]
    assert warning.startswith("advisory pass-rate-drop failed: [limits.pass-rate-drop]: pass_rate 0.95 vs 1 ")
    assert "-0.05 (-5%, worse), more than the limit drop <= 0.02" in warning
    result.stdout.fnmatch_lines(["*pass_rate*0.95*1*-0.05 (-5%, worse)*pass-rate-drop: drop <= 0.02, advisory*failed*"])


def test_a_blocking_limit_crossed_is_no_go_with_both_numbers_and_the_difference(project, pytester) -> None:
    pytester.makefile(".toml", runbook=RUNBOOK.format(blocking='blocking = true\nrollback = ["flags"]'))
    project(PASS_RATE="1.0")
    result, data = project("--html=reports/report.html", "--self-contained-html", PASS_RATE="0.95")
    assert result.ret == EXIT_NO_GO and data["verdict"] == "NO-GO"
    [reason] = data["reasons"]
    assert reason.startswith("pass-rate-drop failed: [limits.pass-rate-drop]: pass_rate 0.95 vs 1 on the last GO (")
    assert reason.endswith(": -0.05 (-5%, worse), more than the limit drop <= 0.02")
    assert data["rollback"]["scopes"] == ["flags"]  # the scopes the limit's table declares
    result.stdout.fnmatch_lines(["*NO-GO because pass-rate-drop failed*pass_rate 0.95 vs 1*-0.05*"])
    summary = (pytester.path / "reports" / "summary.md").read_text()
    assert "| pass_rate |  | 0.95 | 1 |" in summary and "-0.05 (-5%, worse)" in summary
    assert "pass-rate-drop: drop <= 0.02, blocking | **failed** |" in summary
    report = (pytester.path / "reports" / "report.html").read_text()
    assert "compared with the last GO on staging" in report and "<td>0.95</td><td>1</td>" in report
    assert "-0.05 (-5%, worse)" in report


def test_a_missing_measure_for_a_blocking_limit_is_never_go(project, pytester) -> None:
    pytester.makefile(".toml", runbook=RUNBOOK.format(blocking="blocking = true"))
    project(PASS_RATE="1.0")
    result, data = project()  # the persona test passes without recording pass_rate
    assert result.ret == EXIT_INCONCLUSIVE and data["verdict"] == "INCONCLUSIVE"
    assert _limit(data, "pass-rate-drop")["status"] == "missing"
    assert data["reasons"] == ["pass-rate-drop missing: pass_rate was not recorded in this run (by a test of persona)"]


def test_a_limit_whose_stage_is_not_in_scope_says_nothing(project) -> None:
    result, data = project("-m", "soak", PASS_RATE="1.0")
    assert result.ret == EXIT_GO
    assert [c["id"] for c in data["criteria"]] == ["soak", "latency-rise"]
    assert [limit["id"] for limit in data["comparison"]["limits"]] == ["latency-rise"]


def test_a_forced_baseline_is_used_instead_of_the_last_go(project, pytester) -> None:
    project(PASS_RATE="0.80", PERSONA_FAILS="1")
    forced = pytester.path / "old.json"
    forced.write_text((pytester.path / "reports" / "verdict.json").read_text())
    project(PASS_RATE="1.0")
    result, data = project(f"--gonogo-baseline={forced}", PASS_RATE="0.81")
    assert data["comparison"]["forced"] == str(forced)
    assert data["comparison"]["baselines"]["pass_rate"]["value"] == 0.80
    result.stdout.fnmatch_lines([f"*compared with {forced} (--gonogo-baseline)*"])


def test_a_bad_forced_baseline_is_one_line_exit_4(project, pytester) -> None:
    (pytester.path / "bad.json").write_text("[]")
    result = pytester.runpytest("--gonogo-baseline=bad.json")
    assert result.ret == EXIT_USAGE
    errors = [line for line in result.stderr.lines if line.strip()]
    assert len(errors) == 1 and "--gonogo-baseline bad.json" in errors[0] and "is not a JSON object" in errors[0]


def test_measures_cross_xdist_and_compare_as_in_one_process(project) -> None:
    project(PASS_RATE="1.0")
    result, data = project("-n", "2", "-p", "xdist", PASS_RATE="0.97")
    assert result.ret == EXIT_GO and data["measures"]["pass_rate"]["value"] == 0.97
    assert _limit(data, "pass-rate-drop")["status"] == "failed"


def test_comparison_round_trips_and_merges(project, pytester) -> None:
    project(PASS_RATE="1.0")
    _, postdeploy = project("-m", "postdeploy", PASS_RATE="0.95")
    _, soak = project("-m", "soak", P95="300")
    verdict = Verdict.from_json(postdeploy)
    assert verdict.to_json(postdeploy["rollback"]) == postdeploy
    assert isinstance(verdict.comparison, Comparison) and verdict.measures["pass_rate"].value == 0.95
    merged, rollback = merge([read(postdeploy), read(soak)])
    assert set(merged.measures) == {"pass_rate", "p95_ms", "errors"}
    assert {x.id for x in merged.comparison.limits} == {"pass-rate-drop", "latency-rise"}
    statuses = {r.criterion.id: r.status.value for r in merged.criteria}
    assert statuses["pass-rate-drop"] == "failed" and statuses["latency-rise"] == "failed"  # 300 vs 100: +200%
    rows = {r.measure: r for r in VerdictView.of(merged).comparison.rows}
    assert (rows["p95_ms"].this_run, rows["p95_ms"].last_go) == ("300", "100")


def test_a_history_directory_of_ones_own(project, pytester, tmp_path: Path) -> None:
    kept = tmp_path / "kept"
    project(f"--gonogo-history={kept}", PASS_RATE="1.0")
    _, data = project(f"--gonogo-history={kept}", PASS_RATE="0.99")
    assert data["comparison"]["baselines"]["pass_rate"]["value"] == 1.0
    assert len(list(kept.iterdir())) == 2 and not (pytester.path / "reports" / "history").exists()


def test_a_waiver_covers_a_limit_like_a_criterion(project, pytester) -> None:
    pytester.makefile(".toml", runbook=RUNBOOK.format(blocking="blocking = true") + """
[[waivers]]
criterion = "pass-rate-drop"
reason = "new dataset, rates not comparable"
approved_by = "qa-lead"
expires = 2999-12-31
""")
    project(PASS_RATE="1.0")
    result, data = project(PASS_RATE="0.9")
    assert result.ret == EXIT_GO
    limit = _limit(data, "pass-rate-drop")
    assert (limit["status"], limit["underlying"]) == ("waived", "failed")
    assert any(w.startswith("pass-rate-drop failed but waived until 2999-12-31 by qa-lead") for w in data["warnings"])
