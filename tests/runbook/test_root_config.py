"""The root pytest configuration: `--target PATH` in any spelling and from any directory, suites only."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUITES = ("gates/", "smoke/", "postdeploy/")


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    # No provider secret in the environment: a production-like target must be refused before any test.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GONOGO_") and not k.endswith(("_API_KEY", "_TOKEN", "_DB_URL"))}
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _error_line(result: subprocess.CompletedProcess) -> str:
    output = result.stdout + result.stderr
    assert "Traceback" not in output and "unrecognized arguments" not in output, output
    errors = [line for line in output.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1, output
    return errors[0]


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    """A canary target outside the repository (runbook section 2): production with another API."""
    path = tmp_path / "elsewhere" / "canary.toml"
    path.parent.mkdir()
    path.write_text('extends = "production"\napi_url = "https://canary.example.invalid"\n')
    return path


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str]:
    """`-m smoke --target production` without its secrets, once for the module: its exit code and error line."""
    verdict = tmp_path_factory.mktemp("production") / "v.json"
    result = _run("-m", "smoke", "--target", "production", "--verdict-json", str(verdict))
    assert not verdict.exists()
    return result.returncode, _error_line(result)


@pytest.mark.parametrize("spelling", ["space", "equals"])
@pytest.mark.parametrize("where", [".", "smoke"])
def test_a_target_file_outside_the_repo_reads_as_production_does(canary: Path, tmp_path: Path, spelling: str,
                                                                 where: str, production: tuple[int, str]) -> None:
    target = ["--target", str(canary)] if spelling == "space" else [f"--target={canary}"]
    verdict = tmp_path / "v.json"
    result = _run("-m", "smoke", *target, "--verdict-json", str(verdict), cwd=ROOT / where)
    production_exit, production_line = production
    assert result.returncode == production_exit == 4
    # The same one line as production's, the target's name aside: the file was read as a target.
    assert _error_line(result) == production_line.replace("--target production", "--target canary")
    assert "missing secret env var(s)" in _error_line(result)
    assert not verdict.exists()


def test_collect_only_lists_the_suites_and_nothing_of_the_projects_own_tests() -> None:
    result = _run("-m", "smoke", "--co", "-q")
    assert result.returncode == 0, result.stdout + result.stderr
    ids = [line for line in result.stdout.splitlines() if "::" in line]
    assert ids and all(line.startswith(SUITES) for line in ids), ids
    assert "smoke/test_health.py::test_health_endpoint_reports_healthy" in ids or any("test_health" in i for i in ids)
