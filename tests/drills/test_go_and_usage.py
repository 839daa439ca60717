"""Drills: the registry drilled; owner-flow and persona faults; predeploy NO-GO; usage errors (the healthy GO runs:
test_go_runs.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from _drill import (
    CONFIG_FILE_FAULTS,
    DEPLOY_FILE_FAULTS,
    EXPECTED,
    GO_FILE_FAULTS,
    JWT_TAIL,
    NOT_CODE_GATES,
    RELEASE_FAULTS,
    REPO_ROOT,
    RUNS,
    inject_and_judge,
    run_runbook,
    target_file,
    worker_stack,
)

stack = worker_stack()
# Every secret env var the production target reads (runbook.toml [targets.production.secrets]).
SECRET_VARS = ("RENDER_API_KEY", "VERCEL_TOKEN", "SUPABASE_ACCESS_TOKEN", "SUPABASE_DB_URL", "PINECONE_API_KEY")
# What `-m smoke` needs: render-live, vercel-ready and api-basics (runbook.toml [needs]).
SMOKE_NEEDS = ("GONOGO_OWNER_EMAIL", "GONOGO_OWNER_PASSWORD", "RENDER_API_KEY", "VERCEL_TOKEN")
RAN_TESTS = re.compile(r"\b\d+ (passed|failed|errors?|skipped|xfailed|xpassed)\b")


def _without_secrets() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in SECRET_VARS and not k.startswith("GONOGO_")}


def test_every_sandbox_fault_has_a_drill():
    listed = subprocess.run([sys.executable, "-m", "sandbox", "faults"], cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=30)
    assert listed.returncode == 0, listed.stderr
    names = {line.split()[0] for line in listed.stdout.splitlines() if line.strip()}
    assert len(names) >= 16 and names == set(EXPECTED), "the CLI lists exactly the registry's faults"
    # RELEASE_FAULTS: tests/release/test_release_killed_in_migrations.py, a release after a GO one.
    drilled = [*GO_FILE_FAULTS, *CONFIG_FILE_FAULTS, *DEPLOY_FILE_FAULTS, *RELEASE_FAULTS]
    assert sorted(drilled) == sorted(EXPECTED), "each fault is drilled exactly once"


@pytest.mark.parametrize("fault", GO_FILE_FAULTS)
def test_fault_turns_exactly_its_criteria_no_go(stack, fault, tmp_path):
    run = inject_and_judge(stack, fault, tmp_path)
    for criterion in EXPECTED[fault]:
        assert any(run.messages(criterion)), f"{criterion} failed without a message"


# The e2e-critical evidence holds the app's own pytest output, where a repr once elided the owner's JWT
# and let its signature tail through redaction: no JWT tail may survive anywhere.
def test_no_jwt_fragment_in_any_drill_output():
    if "persona-regression-drop" not in RUNS:
        pytest.skip("needs this module's persona-regression-drop drill (the run whose evidence holds app output)")
    leaks = {fault: [m[:12] + "..." for m in JWT_TAIL.findall(run.outputs)] for fault, run in RUNS.items()}
    assert not any(leaks.values()), {fault: found for fault, found in leaks.items() if found}


def test_predeploy_no_go_never_rolls_back(stack, tmp_path):
    stack.fault("node-version-mismatch")
    try:
        run = run_runbook("-m", "predeploy", "-k", NOT_CODE_GATES, "--rollback=auto", target=target_file(stack),
                          out_dir=tmp_path, name="predeploy")
    finally:
        stack.clear()
    assert run.verdict is not None, run.describe()
    assert run.returncode == 1 and run.verdict["verdict"] == "NO-GO", run.describe()
    assert run.verdict["stages"] == ["predeploy"]
    assert {c for c, s in run.statuses().items() if s not in ("passed", "missing")} == {"node-version"}, run.describe()
    # Even with --rollback=auto: nothing was deployed yet, so there is nothing to roll back.
    rollback = run.verdict["rollback"]
    assert rollback["triggered"] is False and rollback["actions"] == [], rollback


def test_production_without_secrets_is_one_usage_line(tmp_path):
    run = run_runbook("-m", "smoke", target="production", out_dir=tmp_path, name="production", env=_without_secrets())
    out = run.stdout + run.stderr
    assert run.returncode == 4, out
    lines = [line for line in out.splitlines() if "RENDER_API_KEY" in line]
    assert len(lines) == 1, out
    named = set(re.findall(r"\b(?:GONOGO_[A-Z_]+|RENDER_API_KEY|VERCEL_TOKEN|SUPABASE_[A-Z_]+|PINECONE_API_KEY)\b",
                           lines[0]))
    # Exactly what the smoke stage needs: not the predeploy-only Supabase / Pinecone secrets.
    assert named == set(SMOKE_NEEDS), lines[0]
    assert "Traceback" not in out and "INTERNALERROR" not in out, out
    assert not RAN_TESTS.search(out), f"a test ran despite the usage error:\n{out}"
    assert [line for line in run.stderr.splitlines() if line.strip()] == [lines[0]], run.stderr
    # The usage line is the whole answer: no verdict table, no verdict.json claiming a NO-GO.
    assert "gonogo verdict" not in run.stdout and "NO-GO" not in out, run.stdout
    assert run.verdict is None


def test_sandbox_target_without_a_running_sandbox_says_how_to_start_it(tmp_path):
    target = tmp_path / "target.toml"
    target.write_text(f'extends = "sandbox"\nsandbox_state = "{tmp_path / "status.json"}"\n')
    run = run_runbook("-m", "smoke", target=target, out_dir=tmp_path, name="down")
    out = run.stdout + run.stderr
    assert run.returncode == 4, out
    lines = [line for line in out.splitlines() if "python -m sandbox up" in line]
    assert len(lines) == 1 and "not running" in lines[0], out
    assert "Traceback" not in out and not RAN_TESTS.search(out), out
    assert "gonogo verdict" not in run.stdout and run.verdict is None, run.stdout
