"""`python -m gonogo merge`: shards folded with the run's own rules."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

import pytest

from gonogo import EXIT_GO, EXIT_INCONCLUSIVE, EXIT_NO_GO, EXIT_USAGE, merge
from gonogo.findings import Outcome, Reason, ReasonKind, Status, VerdictWarning, WarningKind
from gonogo.rollback import ActionOutcome, ActionStatus, RollbackMode, RollbackResult
from gonogo.runbook import Criterion, Waiver
from gonogo.verdict import TestRecord as Record  # aliased: pytest would try to collect a Test* class
from gonogo.verdict import WaiverState, fold

SMOKE = """
import pytest

@pytest.mark.smoke
@pytest.mark.criterion("health")
def test_health():
    assert HEALTHY, "unhealthy"

@pytest.mark.smoke
@pytest.mark.criterion("frontend")
def test_frontend():
    pass
"""


def shard(pytester: pytest.Pytester, name: str, keyword: str, healthy: bool = True) -> str:
    pytester.makepyfile(test_smoke=SMOKE.replace("HEALTHY", str(healthy)))
    pytester.runpytest("-m", "smoke", "-k", keyword, f"--verdict-json={name}.json")
    return str(pytester.path / f"{name}.json")


def merge_cli(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.run(sys.executable, "-m", "gonogo", "merge", *args)


def test_proven_in_one_shard_and_missing_in_another_is_passed(pytester: pytest.Pytester, runbook) -> None:
    a = shard(pytester, "a", "health")
    b = shard(pytester, "b", "frontend")
    assert json.loads(open(a).read())["verdict"] == "INCONCLUSIVE"  # frontend missing in this shard alone
    result = merge_cli(pytester, a, b, "-o", "out/verdict.json")
    assert result.ret == EXIT_GO
    merged = json.loads((pytester.path / "out" / "verdict.json").read_text())
    assert merged["verdict"] == "GO" and merged["reasons"] == []
    assert {c["id"]: c["status"] for c in merged["criteria"]} == {"health": "passed", "frontend": "passed"}
    assert merged["stages"] == ["smoke"]
    result.stdout.fnmatch_lines(["GO: 2 verdicts merged into out/verdict.json"])


def test_failed_anywhere_is_failed(pytester: pytest.Pytester, runbook) -> None:
    a = shard(pytester, "a", "health", healthy=False)
    b = shard(pytester, "b", "health or frontend")
    result = merge_cli(pytester, a, b, "-o", "merged.json")
    assert result.ret == EXIT_NO_GO
    merged = json.loads((pytester.path / "merged.json").read_text())
    assert {c["id"]: c["status"] for c in merged["criteria"]} == {"health": "failed", "frontend": "passed"}
    assert merged["reasons"] == ["health failed: test_smoke.py::test_health: unhealthy"]
    assert len(merged["criteria"][0]["tests"]) == 2


def test_an_interrupted_shard_stays_no_go(pytester: pytest.Pytester, runbook) -> None:
    pytester.makepyfile(test_smoke=SMOKE.replace("HEALTHY", "False"))
    pytester.runpytest("-m", "smoke", "-x", "--verdict-json=a.json")
    b = shard(pytester, "b", "health or frontend")
    result = merge_cli(pytester, "a.json", b, "-o", "merged.json")
    assert result.ret == EXIT_NO_GO
    reasons = json.loads((pytester.path / "merged.json").read_text())["reasons"]
    assert reasons[0].startswith("session interrupted: stopping after 1 failures")


@pytest.mark.parametrize(
    ("content", "expected"),
    [(None, "*missing.json: cannot read it*"), ("{", "*not JSON*"),
     ('{"schema": "x"}', "*schema is not one of gonogo.verdict/1, gonogo.verdict/2*"),
     # A reason of a kind this version does not know (a newer gonogo's): refused, never guessed.
     ('{"schema": "gonogo.verdict/1", "verdict": "GO", "reason_details": [{"kind": "new"}]}',
      "*not a valid verdict (ValueError: 'new' is not a valid ReasonKind)*")],
)
def test_bad_input_is_one_line_exit_4(pytester: pytest.Pytester, content: str | None, expected: str) -> None:
    if content is not None:
        (pytester.path / "missing.json").write_text(content)
    result = merge_cli(pytester, "missing.json", "-o", "out.json")
    assert result.ret == EXIT_USAGE
    result.stderr.fnmatch_lines([expected])
    assert len([line for line in result.stderr.lines if line.strip()]) == 1
    assert not (pytester.path / "out.json").exists()


# -- merge works on typed values: the wording of a sentence never decides what is carried over -------------

CRITERIA = (Criterion("health", "GET /health is healthy", "smoke", rollback=("backend",)),
            Criterion("frontend", "frontend aliased", "smoke"),
            Criterion("cpu", "cpu below 80%", "soak", blocking=False))
FRONTEND_WAIVED = {"frontend": WaiverState(Waiver("frontend", "CDN migration", "ops-lead", dt.date(2999, 12, 31)),
                                           True)}


PLANNED = RollbackResult(RollbackMode.PLAN)


def shard_json(records: list[Record], *, problems: tuple[Reason, ...] = (), notes: tuple[VerdictWarning, ...] = (),
               target: str | None = None, rollback: RollbackResult = PLANNED,
               details: bool = True) -> dict[str, Any]:
    verdict = fold(CRITERIA, records, selected_stages=("smoke", "soak"), waivers=FRONTEND_WAIVED,
                   session_problems=problems, extra_warnings=notes, target=target,
                   started_at="2026-01-02T03:04:05Z", finished_at="2026-01-02T03:05:00Z")
    data = json.loads(json.dumps(verdict.to_json(rollback.to_json())))
    if not details:
        # gonogo.verdict/1 as written before the typed details were added.
        del data["reason_details"], data["warning_details"]
    return data


def reworded(data: dict[str, Any]) -> dict[str, Any]:
    """The same verdict with every sentence in other words (as a later gonogo may phrase them)."""
    return {**data, "reasons": [f"REWORDED {r.upper()}" for r in data["reasons"]],
            "warnings": [f"REWORDED {w.upper()}" for w in data["warnings"]]}


def test_merge_carries_what_a_session_said_by_kind_not_by_wording() -> None:
    interrupted = Reason(ReasonKind.INTERRUPTED, message="stopping after 1 failures")
    a = reworded(shard_json([Record("t.py::test_health", "health", Status.FAILED, 0.1, "unhealthy"),
                             Record("t.py::test_cpu", "cpu", Status.FAILED, 0.1, "cpu at 95%")],
                            problems=(interrupted,)))
    b = reworded(shard_json([Record("t.py::test_frontend", "frontend", Status.FAILED, 0.1, "not aliased")]))
    verdict, _ = merge.merge([merge.read(a), merge.read(b)])
    assert verdict.outcome is Outcome.NO_GO
    assert [r.kind for r in verdict.reasons] == [ReasonKind.INTERRUPTED, ReasonKind.NOT_PROVEN]
    assert verdict.reasons[0] == interrupted
    # Derived again from the pooled criteria, once each, in this version's words; nothing reworded survives.
    assert [w.kind for w in verdict.warnings] == [WarningKind.WAIVER_APPLIED, WarningKind.ADVISORY_NOT_PROVEN]
    out = verdict.to_json()
    assert out["reasons"] == ["session interrupted: stopping after 1 failures",
                              "health failed: t.py::test_health: unhealthy"]
    assert not any("REWORDED" in text for text in out["reasons"] + out["warnings"])


def test_merge_adds_up_failures_outside_criteria_and_names_every_target() -> None:
    passed = [Record("t.py::test_health", "health", Status.PASSED),
              Record("t.py::test_frontend", "frontend", Status.PASSED)]
    a = shard_json(passed, target="sandbox", notes=(VerdictWarning(WarningKind.UNMAPPED_FAILURES, count=1),),
                   rollback=RollbackResult(RollbackMode.PLAN))
    b = shard_json(passed, target="prod", notes=(VerdictWarning(WarningKind.UNMAPPED_FAILURES, count=2),),
                   rollback=RollbackResult(RollbackMode.AUTO))
    verdict, rollback = merge.merge([merge.read(a), merge.read(b)])
    assert verdict.go and verdict.target == "sandbox"
    assert [w for w in verdict.warnings if not w.derived] == [
        VerdictWarning(WarningKind.UNMAPPED_FAILURES, count=3),
        VerdictWarning(WarningKind.TARGETS_DIFFER, targets=("prod", "sandbox"))]
    assert rollback.mode is RollbackMode.AUTO and not rollback.triggered
    # A merged file merged again names each target once.
    again, _ = merge.merge([merge.read(verdict.to_json()), merge.read(shard_json(passed, target="staging"))])
    assert again.warnings[-1].targets == ("prod", "sandbox", "staging")


def test_merge_reads_files_of_the_current_schema_without_details() -> None:
    old = shard_json([Record("t.py::test_health", "health", Status.PASSED)],
                     problems=(Reason(ReasonKind.SESSION_PROBLEM, message="worker crashed: t.py::test_x: gone"),),
                     notes=(VerdictWarning(WarningKind.UNMAPPED_FAILURES, count=1),), details=False)
    new = shard_json([Record("t.py::test_frontend", "frontend", Status.PASSED),
                      Record("t.py::test_cpu", "cpu", Status.FAILED, 0.1, "cpu at 95%")])
    verdict, _ = merge.merge([merge.read(old), merge.read(new)])
    assert verdict.to_json()["reasons"] == ["worker crashed: t.py::test_x: gone"]
    assert verdict.to_json()["warnings"] == ["advisory cpu failed: t.py::test_cpu: cpu at 95%",
                                             "1 failure(s) outside any criterion (pytest's exit status kept)"]


def test_merged_file_reads_back_and_keeps_each_shards_rollback(pytester: pytest.Pytester) -> None:
    failed = [Record("t.py::test_health", "health", Status.FAILED, 0.1, "unhealthy")]
    plan = RollbackResult(RollbackMode.PLAN, True, ("backend",),
                          (ActionOutcome("render: roll back API", ActionStatus.PLANNED, "POST /rollback"),))
    (pytester.path / "a.json").write_text(json.dumps(shard_json(failed, rollback=plan)))
    (pytester.path / "b.json").write_text(json.dumps(shard_json([])))
    result = merge_cli(pytester, "a.json", "b.json", "-o", "out.json")
    assert result.ret == EXIT_NO_GO
    assert result.outlines[-2:] == ["NO-GO: 2 verdicts merged into out.json",
                                    "  NO-GO because health failed: t.py::test_health: unhealthy"]
    data = json.loads((pytester.path / "out.json").read_text())
    verdict, rollback = merge.read(data)
    assert verdict.to_json(rollback.to_json()) == data
    assert rollback == plan


def test_a_v1_no_go_that_only_lacked_proof_is_folded_again_inconclusive(pytester: pytest.Pytester) -> None:
    """gonogo.verdict/1 said NO-GO for criteria skipped or missing and for an interrupted session: merge applies
    this version's rules; a session problem a file kept only as a sentence stays NO-GO (never read by wording)."""
    interrupted = Reason(ReasonKind.INTERRUPTED, message="KeyboardInterrupt")
    old = shard_json([Record("t.py::test_health", "health", Status.SKIPPED, 0.0, "no credentials")],
                     problems=(interrupted,))
    old.update(schema="gonogo.verdict/1", verdict="NO-GO")
    (pytester.path / "old.json").write_text(json.dumps(old))
    result = merge_cli(pytester, "old.json", "-o", "out.json")
    assert result.ret == EXIT_INCONCLUSIVE
    out = json.loads((pytester.path / "out.json").read_text())
    assert (out["schema"], out["verdict"]) == ("gonogo.verdict/2", "INCONCLUSIVE")
    assert out["reasons"] == ["session interrupted: KeyboardInterrupt",
                              "health skipped: t.py::test_health: no credentials"]
    as_text = {k: v for k, v in old.items() if not k.endswith("_details")}
    verdict, _ = merge.merge([merge.read(as_text)])
    assert verdict.outcome is Outcome.NO_GO and verdict.reasons[0].kind is ReasonKind.SESSION_PROBLEM
