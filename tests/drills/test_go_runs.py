"""Drills: a healthy sandbox is GO twice in a row (the longest drill, in a file of its own)."""

from __future__ import annotations

from _drill import assert_no_secrets, run_runbook, target_file, worker_stack

stack = worker_stack()
# The second run's stages: what a run leaves behind (feedback events and their learning jobs, the cooldown) and
# the measures compared with the last GO are all there. Not predeploy: its code gates read only the app
# checkout, which a run never touches, and they cost most of a run (the drills' NOT_CODE_GATES).
AFTER_THE_FIRST = "smoke or postdeploy or soak"


def test_healthy_sandbox_is_go_twice_in_a_row(stack, tmp_path):
    # The whole runbook, all stages, code gates included; the second run (the stages after a deploy) proves the
    # first cleaned up after itself (feedback events and their learning jobs, the cooldown), left nothing behind,
    # and compares its measures with the first, GO, run's (kept beside the verdicts) within every limit.
    for n, args, stages in ((1, (), ["predeploy", "smoke", "postdeploy", "soak"]),
                            (2, ("-m", AFTER_THE_FIRST), ["smoke", "postdeploy", "soak"])):
        run = run_runbook(*args, target=target_file(stack), out_dir=tmp_path, name=f"go-{n}")
        assert run.verdict is not None, run.describe()
        assert run.returncode == 0 and run.verdict["verdict"] == "GO", f"run {n}: {run.describe()}"
        assert run.verdict["stages"] == stages
        statuses = run.statuses()
        assert len(statuses) >= (20 if n == 1 else 10) and set(statuses.values()) == {"passed"}, f"run {n}: {statuses}"
        assert not run.verdict["rollback"]["triggered"], run.verdict["rollback"]
        assert_no_secrets(run, stack)
    baselines = (run.verdict.get("comparison") or {}).get("baselines") or {}
    assert "persona_pass_rate" in baselines, run.verdict.get("comparison")
