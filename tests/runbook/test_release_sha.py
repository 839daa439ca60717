"""--release-sha: a smoke run must not pass against the previous release (render-live, vercel-ready)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from _stack import worker_stack

ROOT = Path(__file__).resolve().parents[2]
stack = worker_stack()


def _smoke(stack, tmp_path: Path, sha: str) -> dict:
    target = tmp_path / "target.toml"
    target.write_text(f'extends = "sandbox"\nsandbox_state = "{stack.state_dir / "status.json"}"\n')
    verdict = tmp_path / "verdict.json"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "smoke", "-m", "smoke", "-k", "render or vercel", "--target", str(target),
         "--release-sha", sha, "--verdict-json", str(verdict), "-p", "no:cacheprovider", "-q", "--no-notify"],
        cwd=ROOT, capture_output=True, text=True, timeout=180)
    data = json.loads(verdict.read_text())
    data["exit"] = result.returncode
    return data


def _status(data: dict) -> dict[str, str]:
    return {c["id"]: c["status"] for c in data["criteria"] if c["id"] in ("render-live", "vercel-ready")}


def test_the_live_release_passes(stack, tmp_path):
    data = _smoke(stack, tmp_path, stack.status["release_sha"])
    assert _status(data) == {"render-live": "passed", "vercel-ready": "passed"}


@pytest.mark.parametrize("which", ["previous_sha", "unknown"])
def test_another_release_fails_render_live_and_vercel_ready(stack, tmp_path, which):
    sha = stack.status["previous_sha"] if which == "previous_sha" else "0" * 40
    data = _smoke(stack, tmp_path, sha)
    assert data["exit"] == 1 and data["verdict"] == "NO-GO"
    assert _status(data) == {"render-live": "failed", "vercel-ready": "failed"}
    assert any(f"not the release {sha}" in r for r in data["reasons"])
