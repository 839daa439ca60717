"""Test helpers for the control plane: a sandbox per test module (`module_stack`) or per xdist worker
(`worker_stack`), started and stopped via the CLI."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    # `sandbox` is not an installed package: the drills import it from the checkout too.
    sys.path.insert(0, str(REPO_ROOT))

from sandbox.wait import wait_for  # noqa: E402

CLI_TIMEOUT_S = 90


def run_cli(state_dir: Path, *args: str, timeout: float = CLI_TIMEOUT_S,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`python -m sandbox ARGS --state-dir STATE` from the repo root, output captured as text."""
    return subprocess.run([sys.executable, "-m", "sandbox", *args, "--state-dir", str(state_dir)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout,
                          env=None if env is None else {**os.environ, **env})


def call_cli(state_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """`run_cli`, but in this process: `sandbox.cli.main(ARGS --state-dir STATE)` with its output captured.

    The same code and exit codes as `python -m sandbox` without a Python start-up and the CLI's imports
    (~0.45 s of CPU per call, and the tests make hundreds of them). For the steps around a test (inject a
    fault, clear it, read the status, switch chaos); the CLI as a process of its own is tested through
    `run_cli` / `Stack.cli` (tests/sandbox/test_cli.py, test_chaos.py, test_next_release.py). Not for `up`:
    its daemons must not be children of a test worker.
    """
    from sandbox.cli import main

    argv = [*args, "--state-dir", str(state_dir)]
    assert args[:1] != ("up",), "`up` runs as a process of its own (run_cli)"
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse: --help (0), a usage error (2)
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return subprocess.CompletedProcess([sys.executable, "-m", "sandbox", *argv], code, out.getvalue(),
                                       err.getvalue())


@dataclass
class Stack:
    """A running sandbox: its status object and clients with the sandbox's own tokens."""

    state_dir: Path
    status: dict

    def cli(self, *args: str, timeout: float = CLI_TIMEOUT_S) -> subprocess.CompletedProcess:
        """`python -m sandbox ARGS` as a process of its own (what a test of the CLI itself runs)."""
        return run_cli(self.state_dir, *args, timeout=timeout)

    def call(self, *args: str) -> subprocess.CompletedProcess:
        """The same command in this process (`call_cli`): for the steps around a test."""
        return call_cli(self.state_dir, *args)

    def fault(self, name: str) -> None:
        res = self.call("fault", name)
        assert res.returncode == 0, f"fault {name}: {res.stderr or res.stdout}"

    def clear(self) -> None:
        res = self.call("fault", "--clear")
        assert res.returncode == 0, f"fault --clear: {res.stderr or res.stdout}"

    def render(self) -> httpx.Client:
        return httpx.Client(base_url=self.status["render_api_url"], timeout=10,
                            headers={"Authorization": f"Bearer {self.status['secrets']['RENDER_API_KEY']}"})

    def vercel(self) -> httpx.Client:
        return httpx.Client(base_url=self.status["vercel_api_url"], timeout=10,
                            headers={"Authorization": f"Bearer {self.status['secrets']['VERCEL_TOKEN']}"},
                            params={"teamId": self.status["vercel_team_id"]})

    def supabase(self) -> httpx.Client:
        return httpx.Client(base_url=self.status["supabase_api_url"], timeout=10, headers={
            "Authorization": f"Bearer {self.status['secrets']['SUPABASE_ACCESS_TOKEN']}"})

    def pinecone(self) -> httpx.Client:
        return httpx.Client(base_url=self.status["pinecone_api_url"], timeout=10, headers={
            "Api-Key": self.status["secrets"]["PINECONE_API_KEY"], "X-Pinecone-Api-Version": "2025-10"})

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.status["api_url"], timeout=10)

    def owner_token(self) -> str:
        with self.api() as api:
            res = api.post("/auth/login", json={"email": self.status["owner_email"],
                                                "password": self.status["owner_password"]})
        assert res.status_code == 200, res.text
        return res.json()["access_token"]


def start(state_dir: Path) -> Stack:
    res = run_cli(state_dir, "up")
    if res.returncode != 0:
        run_cli(state_dir, "down")
        pytest.fail(f"sandbox up failed: {res.stderr or res.stdout}")
    return Stack(state_dir, json.loads((state_dir / "status.json").read_text()))


def module_stack() -> Callable:
    """A module-scoped `stack` fixture: `up` into a tmp state dir, `down` in its finalizer even on failure."""
    @pytest.fixture(scope="module")
    def stack(tmp_path_factory: pytest.TempPathFactory):
        state_dir = tmp_path_factory.mktemp("sandbox")
        try:
            yield start(state_dir)
        finally:
            run_cli(state_dir, "down")
    return stack


PROVIDERS = ("render", "vercel", "supabase", "pinecone")


def chaos_switch(stack: Stack, provider: str) -> dict:
    """The emulator's chaos switch (`GET /_sandbox/chaos`: mode, count left, retry_after, delay_s)."""
    api_url = urlsplit(stack.status[f"{provider}_api_url"])
    return httpx.get(f"{api_url.scheme}://{api_url.netloc}/_sandbox/chaos", timeout=5).json()


def leftovers(stack: Stack) -> list[str]:
    """What a module left changed: active faults, emulators still misbehaving, a Render service suspended or
    not auto-deploying (empty: the baseline)."""
    found = [f"fault {name}" for name in json.loads(stack.call("status", "--json").stdout)["faults"]]
    for provider in PROVIDERS:
        switch = chaos_switch(stack, provider)
        if switch.get("mode"):
            found.append(f"chaos {provider} {switch['mode']}")
    with stack.render() as render:
        for role in ("api", "worker", "scheduler"):
            service = render.get(f"/services/{stack.status[f'render_{role}_service_id']}").json()
            if service["suspended"] != "not_suspended":
                found.append(f"render {role} {service['suspended']}")
            if role != "scheduler" and service["autoDeploy"] != "yes":
                found.append(f"render {role} autoDeploy {service['autoDeploy']}")
    return found


def worker_stack() -> Callable:
    """A module-scoped `stack` fixture on the xdist worker's shared sandbox (tests/conftest.py `worker_sandbox`)
    instead of one of its own (`up` and `down`: ~4.5 s of CPU and ~4 s each).

    Only for modules whose tests put back what they change (a fault cleared, chaos switched off, a service
    resumed) and assume nothing about what ran before them on the stack (deploy counts, counters since `up`,
    the next release). When the module ends, anything `leftovers` finds is undone for the next module and
    fails its last test.
    """
    @pytest.fixture(scope="module")
    def stack(worker_sandbox: Stack):
        yield worker_sandbox
        left = leftovers(worker_sandbox)
        if left:
            worker_sandbox.clear()
            worker_sandbox.call("chaos", "--clear")
            with worker_sandbox.render() as render:
                render.post(f"/services/{worker_sandbox.status['render_scheduler_service_id']}/resume")
            pytest.fail(f"this module left the shared sandbox with {', '.join(left)} (cleared now)")
    return stack


def wait_until(check: Callable[[], object], timeout: float = 15.0, every: float = 0.1, what: str = "condition"):
    """Poll check() until it returns something truthy; fail naming `what` after timeout."""
    return wait_for(check, timeout=timeout, interval=every, error=pytest.fail.Exception,
                    message=lambda got: f"{what} not reached in {timeout:.0f} s (last: {got!r})")


def newest_deploy(render: httpx.Client, service_id: str) -> dict:
    return render.get(f"/services/{service_id}/deploys", params={"limit": 1}).json()[0]["deploy"]


def wait_deploy(render: httpx.Client, service_id: str, deploy_id: str, timeout: float = 30.0) -> dict:
    """Poll a Render deploy until it leaves the in-progress statuses; return it."""
    def settled():
        dep = render.get(f"/services/{service_id}/deploys/{deploy_id}").json()
        return dep if dep["status"] not in ("created", "queued", "build_in_progress", "update_in_progress",
                                            "pre_deploy_in_progress") else None
    return wait_until(settled, timeout, what=f"deploy {deploy_id} settled")


def commit_with(stack: Stack, flag: str) -> str:
    """The sha of the registered commit whose build carries flag (the control plane's commit registry)."""
    config = json.loads((stack.state_dir / "config.json").read_text())
    return next(c["sha"] for c in config["commits"] if flag in c["build"])


def wait_vercel(vercel: httpx.Client, uid: str, timeout: float = 30.0) -> dict:
    """Poll a Vercel deployment until READY / ERROR / CANCELED; return it."""
    def settled():
        dep = vercel.get(f"/v13/deployments/{uid}").json()
        return dep if dep["readyState"] in ("READY", "ERROR", "CANCELED") else None
    return wait_until(settled, timeout, what=f"deployment {uid} settled")


def served_build(stack: Stack) -> str:
    """The app build the frontend origin serves right now (from the page the browser gets)."""
    page = httpx.get(stack.status["frontend_url"] + "/dashboard/training", timeout=5).text
    return json.loads(page.split("window.APP_CONFIG = ", 1)[1].split(";</script>", 1)[0])["build"]
