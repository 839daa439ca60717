"""End-to-end helpers: `python -m release` against a real sandbox (one per test module, tests/sandbox/_stack.py),
driven as an operator would, with the journal polled to know which step a run stands at."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

SANDBOX_TESTS = Path(__file__).resolve().parents[1] / "sandbox"
if str(SANDBOX_TESTS) not in sys.path:
    sys.path.insert(0, str(SANDBOX_TESTS))

from _stack import REPO_ROOT, Stack, module_stack, wait_until  # noqa: E402

from release.journal import Journal  # noqa: E402

__all__ = ["REPO_ROOT", "Stack", "module_stack", "wait_until", "Operator", "stage_processes"]
RUN_TIMEOUT_S = 240


class Operator:
    """`python -m release ...` on one sandbox, one journal and one reports directory."""

    def __init__(self, stack: Stack, workdir: Path, journal: str) -> None:
        self.stack = stack
        self.target = workdir / "sandbox-target.toml"
        self.target.write_text(f'extends = "sandbox"\nsandbox_state = "{stack.state_dir / "status.json"}"\n')
        self.journal = journal
        self.reports = workdir / "releases"
        # The stages' kept verdicts, where a release finds the last GO on its target: this module's own.
        self.history_dir = workdir / "history"

    def argv(self, command: str, *args: str) -> list[str]:
        releasing = command in ("plan", "run")
        extra = ["--reports", str(self.reports), "--history", str(self.history_dir)] if releasing else []
        return [sys.executable, "-m", "release", command, "--target", str(self.target), "--journal", self.journal,
                *extra, *args]

    def run(self, command: str, *args: str, timeout: float = RUN_TIMEOUT_S) -> subprocess.CompletedProcess:
        return subprocess.run(self.argv(command, *args), cwd=REPO_ROOT, capture_output=True, text=True,
                              timeout=timeout, env={**os.environ, "CI": "true"})

    def start(self, command: str, *args: str, log: Path) -> subprocess.Popen:
        return subprocess.Popen(self.argv(command, *args), cwd=REPO_ROOT, stdout=log.open("w"),
                                stderr=subprocess.STDOUT, env={**os.environ, "CI": "true"})

    def open_journal(self) -> Journal:
        return Journal.open(self.journal)

    def wait_for(self, what: str, check, timeout: float = 120.0, proc: subprocess.Popen | None = None):
        """Poll the journal until check(journal) is truthy (the run must still be alive meanwhile)."""
        journal = self.open_journal()
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                found = check(journal)
                if found:
                    return found
                if proc is not None and proc.poll() is not None:
                    pytest.fail(f"the release exited {proc.returncode} before {what}")
                time.sleep(0.05)
            pytest.fail(f"{what}: not reached in {timeout:.0f} s")
        finally:
            journal.close()

    def status(self) -> dict:
        result = self.run("status", "--json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def history(self) -> list[dict]:
        result = self.run("history", "--json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)["releases"]

    def counters(self) -> dict:
        result = self.stack.call("counters", "--json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def chaos(self, *args: str) -> None:
        result = self.stack.call("chaos", *args)
        assert result.returncode == 0, result.stderr

    def slow_now(self, provider: str, delay_s: float) -> None:
        """Every call of one emulator answered `delay_s` late, switched on at once (the CLI takes a second)."""
        base = self.stack.status[f"{provider}_api_url"].removesuffix("/v1")
        response = httpx.post(f"{base}/_sandbox/chaos", json={"mode": "slow", "count": "always", "delay_s": delay_s},
                              timeout=5)
        assert response.status_code in (200, 201), response.text


def kill9(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def stage_processes(marker: str) -> list[int]:
    """Pids of live processes whose command line holds `marker` (a stage's own verdict path)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def side_effects(counters: dict, status: dict) -> dict:
    """The release's side effects as the sandbox counted them, keyed by role."""
    render, vercel, supabase = counters["render"], counters["vercel"], counters["supabase"]
    api, worker = status["render_api_service_id"], status["render_worker_service_id"]
    return {"migrations": supabase["migrations_applied"], "api_env": render["env_writes"].get(api, {}),
            "worker_env": render["env_writes"].get(worker, {}), "api_deploys": render["deploys"].get(api, {}),
            "worker_deploys": render["deploys"].get(worker, {}), "vercel_deployments": vercel["deployments"],
            "vercel_env": vercel["env_writes"]}
