"""End to end: the runbook's smoke and postdeploy suites against a real sandbox leak none of its secrets."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

SANDBOX_TESTS = Path(__file__).resolve().parents[1] / "sandbox"
if str(SANDBOX_TESTS) not in sys.path:
    sys.path.insert(0, str(SANDBOX_TESTS))

from _stack import Stack, worker_stack  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_S = 300
EXIT_GO, EXIT_NO_GO = 0, 1
stack = worker_stack()


@dataclass(frozen=True)
class Sandbox:
    stack: Stack
    target_file: Path

    @property
    def status(self) -> dict:
        return self.stack.status

    def canaries(self) -> dict[str, str]:
        """Every credential the sandbox hands out, by name: none may appear in any output."""
        s = self.status
        found = {f"secrets.{k}": v for k, v in s["secrets"].items()}
        found.update({k: s[k] for k in ("owner_password", "database_url", "redis_url", "share_url", "share_token",
                                        "owner_email")})
        for key in ("database_url", "redis_url"):
            password = urlsplit(s[key]).password
            if password:
                found[f"{key} password"] = password
        return {k: v for k, v in found.items() if v}


@pytest.fixture(scope="module")
def sandbox(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    # The target file a staging or canary stack would use: the sandbox profile, this stack's state.
    target = tmp_path_factory.mktemp("sandbox-e2e") / "sandbox-rehearsal.toml"
    target.write_text(f'extends = "sandbox"\nsandbox_state = "{stack.state_dir / "status.json"}"\n')
    return Sandbox(stack, target)


@dataclass(frozen=True)
class Run:
    returncode: int
    terminal: str
    reports: Path

    def files(self) -> dict[str, str]:
        return {p.name: p.read_text(errors="replace") for p in sorted(self.reports.rglob("*")) if p.is_file()}


def run_runbook(sandbox: Sandbox, reports: Path) -> Run:
    """A lean operator run: smoke and postdeploy (no code gates), a 1 s soak, every report written."""
    reports.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER")}
    env["GITHUB_STEP_SUMMARY"] = str(reports / "step-summary.md")
    res = subprocess.run(
        [sys.executable, "-m", "pytest", "smoke", "postdeploy", "--target", str(sandbox.target_file),
         "-p", "no:cacheprovider", "-m", "smoke or postdeploy", "--soak-duration", "1", "-v", "-rA",
         "--html", str(reports / "report.html"), "--self-contained-html", "--junitxml", str(reports / "junit.xml"),
         "--verdict-json", str(reports / "verdict.json"), "--summary-md", str(reports / "summary.md"),
         "--no-notify"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, env=env)
    return Run(res.returncode, res.stdout + res.stderr, reports)


def assert_no_canary(sandbox: Sandbox, run: Run) -> None:
    texts = {**run.files(), "terminal": run.terminal}
    assert set(texts) >= {"report.html", "junit.xml", "verdict.json", "summary.md", "step-summary.md"}
    leaks = [f"{name} in {where}" for where, text in texts.items()
             for name, value in sandbox.canaries().items() if value in text]
    assert leaks == []


def report_tests(report: str) -> dict[str, list[dict]]:
    blob = re.search(r'data-jsonblob="([^"]*)"', report).group(1)
    return json.loads(html.unescape(blob))["tests"]


def test_go_run_leaks_no_sandbox_secret(sandbox: Sandbox, tmp_path: Path) -> None:
    run = run_runbook(sandbox, tmp_path / "reports")
    assert run.returncode == EXIT_GO, run.terminal[-3000:]
    assert_no_canary(sandbox, run)
    files = run.files()
    assert json.loads(files["verdict.json"])["verdict"] == "GO"
    assert files["summary.md"].startswith("## 🟢 gonogo verdict: GO")
    assert '<property name="criterion" value="owner-flow" /><property name="stage" value="postdeploy" />' \
        in files["junit.xml"]


def test_no_go_run_leaks_no_secret_and_shows_banner_and_owner_flow_screenshot(sandbox: Sandbox,
                                                                               tmp_path: Path) -> None:
    sandbox.stack.fault("bad-deploy-health")
    try:
        run = run_runbook(sandbox, tmp_path / "reports")
    finally:
        sandbox.stack.clear()
    assert run.returncode == EXIT_NO_GO, run.terminal[-3000:]
    assert_no_canary(sandbox, run)
    files = run.files()
    report = files["report.html"]
    assert '<div class="gonogo-verdict">NO-GO</div>' in report
    assert re.search(r'<li class="reason[^"]*">health-public failed: smoke/test_health.py::', report)
    assert "<td>render: roll back the API" in report  # the rollback plan, from the runbook's conftest
    owner = [t for nodeid, tests in report_tests(report).items() if nodeid.startswith("postdeploy/test_owner_flow.py")
             for t in tests]
    assert owner, "the owner flow ran"
    fragments = "".join(e["content"] for t in owner for e in t["extras"] if e["format_type"] == "html")
    assert '<span class="label">Criterion</span> owner-flow (stage postdeploy)' in fragments
    assert re.search(r'<img alt="screenshot at the end \(passed\): [^"]*" src="data:image/png;base64,'
                     r"iVBORw0KGgo[A-Za-z0-9+/=]{1000,}\">", fragments)
    assert "Playwright trace not kept" in fragments
    assert files["step-summary.md"] == files["summary.md"] + "\n"
    assert "| health-public | GET /health healthy from the public network [8.3] | smoke | 3 | ❌ failed |" \
        in files["summary.md"]
