"""Drill helpers: run the runbook against a real sandbox in a subprocess and judge its verdict JSON."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

SANDBOX_TESTS = Path(__file__).resolve().parents[1] / "sandbox"
if str(SANDBOX_TESTS) not in sys.path:
    # Reuse the control plane's stack fixtures and helpers (tests/sandbox/_stack.py).
    sys.path.insert(0, str(SANDBOX_TESTS))

from _stack import (  # noqa: E402
    REPO_ROOT,
    Stack,
    chaos_switch,
    module_stack,
    newest_deploy,
    wait_until,
    worker_stack,
)

from sandbox.faults import FAULTS  # noqa: E402

__all__ = ["REPO_ROOT", "Stack", "module_stack", "worker_stack", "newest_deploy", "wait_until", "CODE_GATES",
           "NOT_CODE_GATES", "Run", "run_runbook", "assert_fault_verdict", "inject_and_judge", "assert_healthy",
           "target_file", "EXPECTED", "GO_FILE_FAULTS", "CONFIG_FILE_FAULTS", "DEPLOY_FILE_FAULTS", "RELEASE_FAULTS",
           "RUNS", "JWT_TAIL", "assert_no_secrets", "SUITES", "write_target", "chaos", "clear_chaos", "chaos_switch",
           "live_deploys", "render_service", "assert_soak_abort_drawn"]

SUITES = ("gates", "smoke", "postdeploy")
RUN_TIMEOUT_S = 300
SOAK_S = "2"
# The section 3 code gates cost most of a run (the e2e browser tests alone ~9 s): only the runs that
# need them (healthy GO, persona-regression-drop) keep them; elsewhere they are deselected by design.
CODE_GATES = ("persona-gates", "backend-tests", "frontend-typecheck", "e2e-critical", "persona-regression-gate")
NOT_CODE_GATES = ("not (test_targeted_persona_tests_pass or test_full_backend_suite_passes or "
                  "test_frontend_typecheck_passes or test_critical_e2e_flows_pass or "
                  "test_persona_regression_meets_thresholds)")
# What each sandbox fault must turn NO-GO, and nothing else: its record in the registry (sandbox/faults.py).
EXPECTED: dict[str, set[str]] = {name: set(fault.no_go) for name, fault in FAULTS.items()}
# Which drills file judges which faults (the files run in parallel, each on its worker's sandbox).
GO_FILE_FAULTS = tuple(name for name, fault in FAULTS.items() if fault.drill_module == "go")
CONFIG_FILE_FAULTS = tuple(name for name, fault in FAULTS.items() if fault.drill_module == "config")
DEPLOY_FILE_FAULTS = tuple(name for name, fault in FAULTS.items() if fault.drill_module == "deploy")
# Judged by a second release after a GO one (a limit on the difference from the last GO): tests/release.
RELEASE_FAULTS = tuple(name for name, fault in FAULTS.items() if fault.drill_module == "release")
# Faults whose NO-GO needs the section 3 code gates to show.
NEEDS_CODE_GATES = {name for name, expected in EXPECTED.items() if expected & set(CODE_GATES)}
# A learning job takes well under a second in the sandbox (pickup ~0.05 s); the drills judge worker faults in 6 s,
# not 60 (each worker-fault drill waits out this bound).
LEARNING_JOB_TIMEOUT_S = 6


@dataclass(frozen=True)
class Run:
    """One runbook run: exit code, output and the verdict JSON it wrote (None when it wrote none)."""

    returncode: int
    stdout: str
    stderr: str
    verdict: dict | None
    # Everything the run wrote for people to read: terminal, verdict.json, summary.md.
    outputs: str = ""
    # How long the subprocess took, start to exit (seconds).
    wall_s: float = 0.0

    def statuses(self, *, blocking: bool = True) -> dict[str, str]:
        return {c["id"]: c["status"] for c in self.verdict["criteria"] if c["blocking"] == blocking}

    def messages(self, criterion: str) -> list[str]:
        crit = next(c for c in self.verdict["criteria"] if c["id"] == criterion)
        return [t.get("message") or "" for t in crit["tests"] if t["outcome"] != "passed"]

    def describe(self) -> str:
        """What went wrong, for an assertion message: non-passed criteria with their first messages."""
        if self.verdict is None:
            return f"no verdict; exit {self.returncode}\n{self.stdout[-2000:]}\n{self.stderr[-2000:]}"
        lines = [f"exit {self.returncode}, verdict {self.verdict['verdict']}"]
        for c in self.verdict["criteria"]:
            if c["status"] not in ("passed", "missing"):
                lines.append(f"  {c['id']} {c['status']}: {' | '.join(m[:300] for m in self.messages(c['id']))}")
        return "\n".join(lines)


def _target_fields(stack: Stack) -> dict[str, str | float | int]:
    return {"extends": "sandbox", "sandbox_state": str(stack.state_dir / "status.json"),
            "learning_job_timeout_s": LEARNING_JOB_TIMEOUT_S}


def _toml(fields: dict[str, str | float | int]) -> str:
    # A JSON string, number or boolean is a TOML value too.
    return "".join(f"{key} = {json.dumps(value)}\n" for key, value in fields.items())


def target_file(stack: Stack) -> Path:
    """A target file pointing the runbook at this stack (the state dir is per module, not .sandbox/)."""
    path = stack.state_dir / "target.toml"
    if not path.exists():
        path.write_text(_toml(_target_fields(stack)))
    return path


def write_target(stack: Stack, name: str, **fields: str | float | int) -> Path:
    """`target_file` with the given target fields set (a canary's or a drill's own bounds), as NAME.toml."""
    path = stack.state_dir / f"{name}.toml"
    path.write_text(_toml({**_target_fields(stack), **fields}))
    return path


def run_runbook(*args: str, target: str | Path, out_dir: Path, name: str,
                env: dict[str, str] | None = None, paths: tuple[str, ...] = SUITES) -> Run:
    """`python -m pytest PATHS --target T ARGS` from the repo root (PATHS: the three suites), outputs under
    out_dir."""
    verdict = out_dir / f"verdict-{name}.json"
    argv = [sys.executable, "-m", "pytest", *paths, "--target", str(target), "-p", "no:cacheprovider",
            "--verdict-json", str(verdict), "--soak-duration", SOAK_S, "-q",
            # The drills judge verdicts: a developer's GONOGO_NOTIFY_URL (runbook.toml [notify]) gets no message.
            "--no-notify", *args]
    started = time.monotonic()
    proc = subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                          env=env if env is not None else os.environ.copy())
    wall_s = time.monotonic() - started
    data = json.loads(verdict.read_text()) if verdict.exists() else None
    texts = [proc.stdout, proc.stderr] + [p.read_text() for p in (verdict, out_dir / "summary.md") if p.exists()]
    return Run(proc.returncode, proc.stdout, proc.stderr, data, "\n".join(texts), wall_s)


# ------------------------------------------------------------------------------ provider chaos (sandbox/README.md)
def chaos(stack: Stack, provider: str, mode: str, *, count: int | str = "always", delay_s: float | None = None,
          retry_after_s: float | None = None) -> None:
    """`python -m sandbox chaos PROVIDER MODE`: that emulator misbehaves for its next `count` calls."""
    args = ["chaos", provider, mode, "--count", str(count)]
    if delay_s is not None:
        args += ["--delay", f"{delay_s:g}"]
    if retry_after_s is not None:
        args += ["--retry-after", f"{retry_after_s:g}"]
    res = stack.call(*args)
    assert res.returncode == 0, f"chaos {provider} {mode}: {res.stderr or res.stdout}"


def clear_chaos(stack: Stack) -> None:
    res = stack.call("chaos", "--clear")
    assert res.returncode == 0, f"chaos --clear: {res.stderr or res.stdout}"


def live_deploys(stack: Stack) -> dict[str, str]:
    """What serves now, read straight from the emulators: each Render service's newest deploy and the Vercel
    production deployment, by id (a rollback or a redeploy changes one of them)."""
    with stack.render() as render, stack.vercel() as vercel:
        state = {role: newest_deploy(render, stack.status[f"render_{role}_service_id"])["id"]
                 for role in ("api", "worker")}
        project = vercel.get(f"/v9/projects/{stack.status['vercel_project_id']}").json()
    state["vercel"] = project["targets"]["production"]["id"]
    return state


def render_service(stack: Stack, service_id: str) -> dict:
    with stack.render() as render:
        return render.get(f"/services/{service_id}").json()


# The tail of a JWT (payload end + HS256 signature) as it survives a repr that elided its middle.
JWT_TAIL = re.compile(r"[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")
# Runs of this process by fault, for the checks that look across drills (no token in any output).
RUNS: dict[str, Run] = {}


def stack_secrets(stack: Stack) -> list[str]:
    """The credential values a sandbox run knows: provider tokens, the owner password, the DB password."""
    status = stack.status
    values = [*status["secrets"].values(), status["owner_password"], urlsplit(status["database_url"]).password]
    return [v for v in values if v and len(v) >= 6]


def assert_no_secrets(run: Run, stack: Stack) -> None:
    leaked = [f"{v[:3]}... ({len(v)} chars)" for v in stack_secrets(stack) if v in run.outputs]
    assert not leaked, f"secret values in the run's output: {leaked}"


def assert_fault_verdict(run: Run, expected: set[str], *, code_gates_ran: bool) -> None:
    """NO-GO naming exactly `expected` as failed; every other blocking criterion passed (or deselected)."""
    assert run.verdict is not None, run.describe()
    assert run.returncode == 1 and run.verdict["verdict"] == "NO-GO", run.describe()
    statuses = run.statuses()
    not_passed = {cid for cid, status in statuses.items() if status not in ("passed", "missing")}
    assert not_passed == expected, f"expected {sorted(expected)} to fail, got {sorted(not_passed)}\n{run.describe()}"
    assert all(statuses[cid] == "failed" for cid in expected), run.describe()
    missing = {cid for cid, status in statuses.items() if status == "missing"}
    allowed_missing = set() if code_gates_ran else set(CODE_GATES)
    assert missing <= allowed_missing, f"criteria that should have run are missing: {sorted(missing - allowed_missing)}"
    # The default rollback mode only plans: a drill never changes the stack through the runbook.
    assert all(a["status"] == "planned" for a in run.verdict["rollback"]["actions"]), run.verdict["rollback"]


def assert_healthy(stack: Stack) -> None:
    """The sandbox is back at its healthy baseline: no active fault, /health 200 healthy, frontend serving."""
    status = json.loads(stack.call("status", "--json").stdout)
    assert status["up"] and status["faults"] == [], status.get("faults")

    def healthy():
        try:
            response = httpx.get(stack.status["api_url"] + "/health", timeout=5)
            return response.status_code == 200 and response.json().get("status") == "healthy"
        except (httpx.HTTPError, ValueError):
            return False

    wait_until(healthy, timeout=30, every=0.5, what="GET /health 200 healthy after fault --clear")
    assert httpx.get(stack.status["frontend_url"] + "/login", timeout=5).status_code == 200


def assert_soak_abort_drawn(run: Run, out_dir: Path) -> None:
    """A soak aborted on a P0 (the p0-in-logs drill): the progress line of the abort, the window drawn as an SVG
    with the abort marked (the soak test's evidence), embedded in the run's HTML report as an image."""
    assert "P0 in app logs" in run.stdout and "stopping" in run.stdout  # the progress line of the abort
    soak = next(c for c in run.verdict["criteria"] if c["id"] == "no-p0-p1-errors")
    charts = [e for t in soak["tests"] for e in t["evidence"] if e.get("mime") == "image/svg+xml"]
    assert len(charts) == 1 and "aborted at" in charts[0]["title"], soak["tests"]
    svg = Path(charts[0]["path"]).read_text()
    assert "abort " in svg and "P0 in app logs" in svg and "stroke-dasharray:8,4" in svg
    assert "<script" not in svg and "log lines per" in svg and "CPU (% of one core)" in svg
    report = (out_dir / "report.html").read_text()
    embedded = re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", report)
    assert svg in [base64.b64decode(e).decode() for e in embedded], f"{len(embedded)} SVG(s) in the report"


def inject_and_judge(stack: Stack, fault: str, out_dir: Path) -> Run:
    """Inject `fault`, run the whole runbook (code gates only where needed), clear it, check the verdict."""
    code_gates = fault in NEEDS_CODE_GATES
    stack.fault(fault)
    try:
        args = () if code_gates else ("-k", NOT_CODE_GATES)
        run = run_runbook(*args, target=target_file(stack), out_dir=out_dir, name=fault)
    finally:
        stack.clear()
    assert_healthy(stack)
    RUNS[fault] = run
    assert_fault_verdict(run, EXPECTED[fault], code_gates_ran=code_gates)
    assert_no_secrets(run, stack)
    return run
