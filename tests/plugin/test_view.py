"""The typed verdict: verdict.json round-trips to it, and the terminal, summary.md and HTML show one view of it."""

from __future__ import annotations

import datetime as dt
import html
import json
from typing import Any

import pytest

from gonogo.findings import Outcome, Reason, ReasonKind, Status, VerdictWarning, WarningKind
from gonogo.rollback import ActionOutcome, ActionStatus, RollbackMode, RollbackResult
from gonogo.runbook import Criterion, Waiver, load_runbook

# Aliased: pytest would try to collect a class named Test* imported into a test module.
from gonogo.verdict import EXIT_CODES, Verdict, WaiverState, fold
from gonogo.verdict import TestRecord as Record
from gonogo.view import NO_ACTIONS, Tone, VerdictView

CRITERIA = (
    Criterion("health", "GET /health is healthy", "smoke", go_no_go=3, rollback=("backend",)),
    Criterion("frontend", "frontend aliased", "smoke", rollback=("frontend",)),
    Criterion("config", "config hardened", "predeploy"),
    Criterion("cpu", "cpu below 80%", "soak", blocking=False),
)
EVIDENCE = ({"kind": "http", "method": "GET", "url": "http://127.0.0.1:9/health", "status": 503,
             "headers": {"content-type": "application/json"}, "body": "{}", "elapsed_s": 0.25},)
RECORDS = (
    Record("t.py::test_health", "health", Status.FAILED, 0.1234, "GET /health answered 503", EVIDENCE),
    Record("t.py::test_health_db", "health", Status.FAILED, 0.2, "no database"),
    Record("t.py::test_frontend", "frontend", Status.SKIPPED, 0.0, "no alias yet"),
    Record("t.py::test_cpu", "cpu", Status.FAILED, 1.5, "cpu at 95%"),
)
WAIVERS = {
    "frontend": WaiverState(Waiver("frontend", "CDN migration", "ops-lead", dt.date(2999, 12, 31)), True),
    "config": WaiverState(Waiver("config", "keys next sprint", "cto", dt.date(2001, 1, 31)), False),
}
ROLLBACK = RollbackResult(RollbackMode.PLAN, True, ("backend",), (
    ActionOutcome("render: roll back API", ActionStatus.PLANNED, "POST /rollback"),
    ActionOutcome("collect rollback actions from conftest", ActionStatus.FAILED, "RuntimeError: boom"),
))


def full_verdict() -> Verdict:
    """A verdict with every kind of reason and warning a run or a merge can produce (but NO_BLOCKING)."""
    return fold(
        CRITERIA, RECORDS, selected_stages=("predeploy", "smoke", "soak"), waivers=WAIVERS,
        session_problems=[Reason(ReasonKind.INTERRUPTED, message="stopping after 1 failures"),
                          Reason(ReasonKind.COLLECTION_ERROR, test="t.py", message="SyntaxError"),
                          Reason(ReasonKind.WORKER_CRASHED, test="t.py::test_x", message="node down: gw1"),
                          Reason(ReasonKind.SESSION_PROBLEM, message="a problem an older file kept as text")],
        extra_warnings=[VerdictWarning(WarningKind.UNMAPPED_FAILURES, count=2),
                        VerdictWarning(WarningKind.TARGETS_DIFFER, targets=("prod", "sandbox")),
                        VerdictWarning(WarningKind.HOOK_FAILED, message="pytest_gonogo_target_name raised KeyError"),
                        VerdictWarning(WarningKind.NOTE, message="kept from an older file")],
        target="sandbox", started_at="2026-01-02T03:04:05Z", finished_at="2026-01-02T03:05:00Z",
    )


def through_a_file(data: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(data))


def test_verdict_json_round_trips_to_the_typed_value() -> None:
    verdict = full_verdict()
    rollback = ROLLBACK.to_json()
    data = through_a_file(verdict.to_json(rollback))
    assert Verdict.from_json(data) == verdict
    assert Verdict.from_json(data).to_json(rollback) == data
    assert RollbackResult.from_json(data["rollback"]) == ROLLBACK
    no_blocking = fold([c for c in CRITERIA if not c.blocking], (), selected_stages=("soak",))
    assert Verdict.from_json(through_a_file(no_blocking.to_json())) == no_blocking
    # Every kind is exercised above, so a new kind must be added to this test to be round-tripped too.
    assert {r.kind for r in (*verdict.reasons, *no_blocking.reasons)} == set(ReasonKind)
    assert {w.kind for w in verdict.warnings} == set(WarningKind)


def test_reasons_and_warnings_keep_their_sentences_and_add_typed_details() -> None:
    data = full_verdict().to_json()
    assert data["verdict"] == "NO-GO"
    assert data["reasons"] == [
        "session interrupted: stopping after 1 failures",
        "collection error: t.py: SyntaxError",
        "worker crashed: t.py::test_x: node down: gw1",
        "a problem an older file kept as text",
        "health failed: t.py::test_health: GET /health answered 503 (+1 more)",
        "config missing: no test of it ran",
    ]
    assert data["reason_details"][1] == {"kind": "collection_error", "test": "t.py", "message": "SyntaxError"}
    assert data["reason_details"][4] == {"kind": "not_proven", "criterion": "health", "status": "failed",
                                         "test": "t.py::test_health", "message": "GET /health answered 503",
                                         "more": 1}
    assert data["warnings"] == [
        "frontend skipped but waived until 2999-12-31 by ops-lead: CDN migration",
        "waiver for config expired on 2001-01-31 (approved by cto): ignored",
        "advisory cpu failed: t.py::test_cpu: cpu at 95%",
        "2 failure(s) outside any criterion (pytest's exit status kept)",
        "shards ran against different targets: prod, sandbox",
        "pytest_gonogo_target_name raised KeyError: the verdict does not depend on it",
        "kept from an older file",
    ]
    assert [w["kind"] for w in data["warning_details"]] == [k.value for k in (
        WarningKind.WAIVER_APPLIED, WarningKind.WAIVER_EXPIRED, WarningKind.ADVISORY_NOT_PROVEN,
        WarningKind.UNMAPPED_FAILURES, WarningKind.TARGETS_DIFFER, WarningKind.HOOK_FAILED, WarningKind.NOTE)]


def test_a_file_without_details_is_read_by_position_not_by_wording() -> None:
    """gonogo.verdict/1 as written before the *_details lists: the fold's order tells the parts apart."""
    verdict = full_verdict()
    old = {k: v for k, v in verdict.to_json().items() if not k.endswith("_details")}
    old["reasons"][0] = "the session said something in words no reader knows"
    read = Verdict.from_json(old)
    assert [r.kind for r in read.reasons] == [*[ReasonKind.SESSION_PROBLEM] * 4,
                                              ReasonKind.NOT_PROVEN, ReasonKind.NOT_PROVEN]
    assert read.reasons[4:] == verdict.reasons[4:]
    assert read.warnings[:3] == verdict.warnings[:3]
    assert {w.kind for w in read.warnings[3:]} == {WarningKind.NOTE}
    assert read.to_json()["reasons"] == old["reasons"] and read.to_json()["warnings"] == old["warnings"]


def test_every_verdict_word_has_an_exit_code_a_tone_and_rollback_wording() -> None:
    # The table a new word (INCONCLUSIVE) must fill: a missing entry fails here, not in a user's run.
    for outcome in Outcome:
        verdict = Verdict(outcome, ("smoke",), ())
        view = VerdictView.of(verdict, RollbackResult(RollbackMode.PLAN))
        assert verdict.exit_code == EXIT_CODES[outcome]
        assert view.word == outcome.value and view.reasons_heading == f"{outcome.value} because"
        assert view.rollback is not None and view.rollback.summary
    assert VerdictView.of(Verdict(Outcome.GO, (), ())).tone is Tone.GOOD
    assert VerdictView.of(Verdict(Outcome.NO_GO, (), ())).tone is Tone.BAD
    assert VerdictView.of(Verdict(Outcome.INCONCLUSIVE, (), ())).tone is Tone.WARN


def test_the_view_labels_each_criterion_once() -> None:
    view = VerdictView.of(full_verdict(), ROLLBACK, [w.waiver for w in WAIVERS.values()],
                          dt.date(2026, 1, 2))
    rows = {r.id: r for r in view.criteria}
    assert (rows["health"].status.text, rows["health"].status.tone, rows["health"].tests) == \
        ("failed", Tone.BAD, "2 failed")
    assert rows["health"].blocks and rows["health"].evidence == "1" and rows["health"].time == "0.32 s"
    # Kept to the millisecond, as in verdict.json: the time read back from the file is the time shown.
    assert Record("t.py::a", "health", Status.PASSED, 0.0049).duration_s == 0.005
    assert (rows["frontend"].status.text, rows["frontend"].status.tone) == ("waived (skipped)", Tone.WARN)
    assert not rows["frontend"].blocks
    assert (rows["cpu"].label, rows["cpu"].status.tone, rows["cpu"].blocks) == ("cpu (advisory)", Tone.WARN, False)
    assert view.scope == ("target sandbox", "stages predeploy, smoke, soak", "4 criteria, 2 blocking not proven")
    assert [(w.criterion, w.state.text) for w in view.waivers] == [("frontend", "current"),
                                                                   ("config", "EXPIRED (ignored)")]
    assert view.rollback is not None and view.rollback.headline == "rollback (plan): scopes backend, 2 action(s)"
    assert [(a.status.text, a.status.tone) for a in view.rollback.actions] == [("planned", Tone.NEUTRAL),
                                                                               ("failed", Tone.BAD)]
    empty = VerdictView.of(full_verdict(), RollbackResult(RollbackMode.AUTO, True, ("backend",)))
    assert empty.rollback is not None and empty.rollback.empty == NO_ACTIONS


RUNBOOK_WAIVERS = """
[[waivers]]
criterion = "frontend"
reason = "CDN migration"
approved_by = "ops-lead"
expires = 2999-12-31

[[waivers]]
criterion = "config"
reason = "keys next sprint"
approved_by = "cto"
expires = 2001-01-31
"""

TESTS = """
import pytest

@pytest.mark.smoke
@pytest.mark.criterion("health")
def test_health():
    assert False, "GET /health answered 503"

@pytest.mark.smoke
@pytest.mark.criterion("frontend")
def test_frontend():
    pytest.skip("no alias yet")

@pytest.mark.soak
@pytest.mark.criterion("cpu")
def test_cpu():
    assert False, "cpu at 95%"

def test_unrelated():
    assert False
"""

CONFTEST = """
from gonogo import RollbackAction

def pytest_gonogo_target_name(config):
    return "sandbox"

def pytest_gonogo_rollback_actions(config, verdict, scopes):
    return [RollbackAction("render: roll back API", lambda: None, detail="POST /rollback")]
"""


def test_terminal_markdown_and_html_show_the_same_labels(pytester: pytest.Pytester, runbook: str) -> None:
    pytester.makefile(".toml", runbook=runbook + RUNBOOK_WAIVERS)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_all=TESTS)
    result = pytester.runpytest("-m", "smoke or soak or not (predeploy or postdeploy)",
                                "--html=reports/report.html", "--self-contained-html")
    assert result.ret == 1
    data = json.loads((pytester.path / "reports" / "verdict.json").read_text())
    today = dt.datetime.now(dt.UTC).date()
    waivers = load_runbook(pytester.path / "runbook.toml").waivers
    view = VerdictView.of(Verdict.from_json(data), RollbackResult.from_json(data["rollback"]), waivers, today)
    labels = [view.word, *view.scope, *(r.text for r in view.reasons), *(w.text for w in view.warnings)]
    for row in view.criteria:
        labels += [row.id, row.advisory, row.status.text, row.tests, row.time] if row.advisory else \
            [row.id, row.status.text, row.tests, row.time]
    assert view.rollback is not None
    labels += [view.rollback.title, view.rollback.summary]
    labels += [text for a in view.rollback.actions for text in (a.status.text, a.name, a.detail)]
    # What this run must have produced, so that the comparison below is not vacuous.
    assert {"NO-GO", "waived (skipped)", "(advisory)", "rollback (plan)", "planned"} <= set(labels)
    assert any("failure(s) outside any criterion" in label for label in labels)
    outputs = {
        "terminal": result.stdout.str(),
        "summary.md": (pytester.path / "reports" / "summary.md").read_text(),
        "report.html": html.unescape((pytester.path / "reports" / "report.html").read_text()),
    }
    missing = {name: [label for label in labels if label not in text] for name, text in outputs.items()}
    assert missing == {"terminal": [], "summary.md": [], "report.html": []}
    # The waivers are in the two reports (the terminal has them as warnings).
    for text in (outputs["summary.md"], outputs["report.html"]):
        for row in view.waivers:
            assert row.state.text in text and row.reason in text


def test_an_inconclusive_verdict_round_trips_with_the_rollback_it_withheld() -> None:
    verdict = fold(CRITERIA, (Record("t.py::test_health", "health", Status.INCONCLUSIVE, 0.1,
                                     "ServerError: render: GET /v1/services answered 503 after 3 attempts"),
                              Record("t.py::test_frontend", "frontend", Status.PASSED)), selected_stages=("smoke",))
    assert verdict.outcome is Outcome.INCONCLUSIVE and verdict.exit_code == EXIT_CODES[Outcome.INCONCLUSIVE] == 7
    withheld = RollbackResult(RollbackMode.AUTO, False, ("backend",), (
        ActionOutcome("render: roll back API", ActionStatus.NOT_RUN, "POST /rollback"),), withheld=True)
    data = through_a_file(verdict.to_json(withheld.to_json()))
    assert data["schema"] == "gonogo.verdict/2" and data["verdict"] == "INCONCLUSIVE"
    assert Verdict.from_json(data) == verdict and RollbackResult.from_json(data["rollback"]) == withheld
    view = VerdictView.of(verdict, withheld)
    assert view.tone is Tone.WARN and view.reasons[0].tone is Tone.WARN
    assert view.rollback is not None and view.rollback.title == "rollback (auto)"
    assert view.rollback.summary.startswith("not run: the verdict is INCONCLUSIVE")
    assert view.rollback.summary.endswith("would roll back scopes backend, 1 action(s)")
    assert [(a.status.text, a.status.tone) for a in view.rollback.actions] == [("not_run", Tone.WARN)]
    health = next(r for r in view.criteria if r.id == "health")
    assert (health.status.text, health.status.tone, health.blocks) == ("inconclusive", Tone.WARN, True)
