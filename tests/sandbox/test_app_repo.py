"""The demo app checkout's section-3 gates run green against a healthy stack (pytest, typecheck, runner, e2e)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, launch_stack

APP_REPO = REPO_ROOT / "sandbox" / "app_repo"
TARGETED = ["backend/tests/test_feedback_router.py", "backend/tests/test_persona_feedback_learning_jobs.py",
            "backend/tests/test_persona_feedback_learning.py", "backend/tests/test_persona_specs_router.py"]
RUNNER_ARGS = ["--dataset", "backend/eval/persona_regression_dataset.json", "--min-pass-rate", "0.95",
               "--min-adversarial-pass-rate", "0.95", "--min-channel-isolation-pass-rate", "1.0"]


def copy_app_repo(dest: Path) -> Path:
    """A fresh checkout, as the control plane makes at `up` (the template stays clean)."""
    return Path(shutil.copytree(APP_REPO, dest / "app_repo", ignore=shutil.ignore_patterns("__pycache__")))


def run_in(repo: Path, args: list[str], env: dict[str, str] | None = None, timeout: float = 120):
    # Our own pytest plugin is not part of the demo app: keep it out of the app's pytest runs.
    full = {"PATH": os.environ["PATH"], "PYTHONDONTWRITEBYTECODE": "1", "PYTEST_ADDOPTS": "-p no:gonogo",
            **(env or {})}
    return subprocess.run(args, cwd=repo, env=full, capture_output=True, text=True, timeout=timeout)


def runner_env(stack) -> dict[str, str]:
    return {"PERSONA_API_URL": stack.api_url, "PERSONA_OWNER_EMAIL": stack.owner_email,
            "PERSONA_OWNER_PASSWORD": stack.owner_password}


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return copy_app_repo(tmp_path_factory.mktemp("checkout"))


@pytest.fixture(scope="module")
def stack(twin_db, redis_server, tmp_path_factory):
    running = launch_stack(twin_db, redis_server.url, tmp_path_factory.mktemp("stack"), frontend=True)
    yield running
    running.stop()


def test_targeted_persona_gates_and_full_backend_suite_pass(repo):
    targeted = run_in(repo, [sys.executable, "-m", "pytest", *TARGETED, "-q"])
    assert targeted.returncode == 0, targeted.stdout + targeted.stderr
    full = run_in(repo, [sys.executable, "-m", "pytest", "-q"])
    assert full.returncode == 0, full.stdout + full.stderr
    assert " passed" in full.stdout and "e2e" not in full.stdout


def test_frontend_typecheck_passes_and_catches_a_syntax_error(repo, tmp_path):
    ok = run_in(repo, ["node", "frontend/scripts/typecheck.mjs"])
    assert ok.returncode == 0, ok.stderr
    assert "files ok (engines.node 20.x)" in ok.stdout
    assert json.loads((repo / "frontend" / "package.json").read_text())["scripts"]["typecheck"]
    broken = copy_app_repo(tmp_path)
    (broken / "frontend" / "src" / "lib" / "bad.js").write_text("export function x( {\n")
    bad = run_in(broken, ["node", "frontend/scripts/typecheck.mjs"])
    assert bad.returncode == 1 and "bad.js" in bad.stderr


def test_persona_regression_runner_passes_on_the_healthy_build(repo, stack, tmp_path):
    out = tmp_path / "proof" / "persona.json"
    proc = run_in(repo, [sys.executable, "backend/eval/persona_regression_runner.py", *RUNNER_ARGS,
                         "--output", str(out)], env=runner_env(stack))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    assert report["passed"] is True
    assert (report["pass_rate"], report["adversarial_pass_rate"], report["channel_isolation_pass_rate"]) == (1, 1, 1)
    assert report["thresholds"] == {"min_pass_rate": 0.95, "min_adversarial_pass_rate": 0.95,
                                    "min_channel_isolation_pass_rate": 1.0}
    assert len(report["cases"]) == 20 and {c["kind"] for c in report["cases"]} == {
        "normal", "adversarial", "channel_isolation"}


def test_persona_regression_runner_reports_setup_errors_in_one_line(repo, tmp_path):
    proc = run_in(repo, [sys.executable, "backend/eval/persona_regression_runner.py", *RUNNER_ARGS,
                         "--output", str(tmp_path / "o.json")], env={"PERSONA_API_URL": "http://127.0.0.1:9"})
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "PERSONA_OWNER_EMAIL" in proc.stderr


def test_critical_e2e_flows_pass_in_chromium(repo, stack):
    env = {"E2E_FRONTEND_URL": stack.frontend_url, "E2E_API_URL": stack.api_url,
           "E2E_OWNER_EMAIL": stack.owner_email, "E2E_OWNER_PASSWORD": stack.owner_password}
    proc = run_in(repo, [sys.executable, "-m", "pytest", "tests/e2e", "-q"], env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout
