"""Under xdist the controller checks the target before handing out tests: one line, exit 4, no INTERNALERROR."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECRET_VARS = ("RENDER_API_KEY", "VERCEL_TOKEN", "SUPABASE_ACCESS_TOKEN", "SUPABASE_DB_URL", "PINECONE_API_KEY")


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in SECRET_VARS and not k.startswith("GONOGO_")}
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run([sys.executable, "-m", "pytest", "gates", "smoke", "postdeploy", "-p", "no:cacheprovider",
                           "-n", "2", "--dist", "loadfile", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def _one_error_line(result: subprocess.CompletedProcess) -> str:
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert "Traceback" not in result.stdout + result.stderr and "INTERNALERROR" not in result.stdout + result.stderr
    errors = [line for line in lines if line.startswith("ERROR:")]
    assert len(errors) == 1, lines
    return errors[0]


def test_production_without_secrets_is_a_usage_error_before_any_test(tmp_path):
    result = _run("-m", "smoke", "--target", "production", "--verdict-json", str(tmp_path / "v.json"))
    assert result.returncode == 4
    line = _one_error_line(result)
    assert "missing secret env var(s)" in line
    for var in ("RENDER_API_KEY", "VERCEL_TOKEN", "GONOGO_OWNER_EMAIL", "GONOGO_OWNER_PASSWORD"):
        assert var in line
    assert "SUPABASE_ACCESS_TOKEN" not in line  # only what the selected stage needs
    assert not (tmp_path / "v.json").exists()


def test_sandbox_down_is_a_usage_error_saying_how_to_start_it(tmp_path):
    target = tmp_path / "down.toml"
    target.write_text(f'extends = "sandbox"\nsandbox_state = "{tmp_path / "status.json"}"\n')
    result = _run("-m", "smoke or postdeploy", "--target", str(target))
    assert result.returncode == 4
    assert "python -m sandbox up" in _one_error_line(result)
