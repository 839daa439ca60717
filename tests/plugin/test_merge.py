"""`python -m gonogo merge`: shards folded with the run's own rules."""

from __future__ import annotations

import json
import sys

import pytest

from gonogo import EXIT_GO, EXIT_NO_GO, EXIT_USAGE

SMOKE = """
import pytest

@pytest.mark.smoke
@pytest.mark.criterion("health")
def test_health():
    assert HEALTHY, "unhealthy"

@pytest.mark.smoke
@pytest.mark.criterion("frontend")
def test_frontend():
    pass
"""


def shard(pytester: pytest.Pytester, name: str, keyword: str, healthy: bool = True) -> str:
    pytester.makepyfile(test_smoke=SMOKE.replace("HEALTHY", str(healthy)))
    pytester.runpytest("-m", "smoke", "-k", keyword, f"--verdict-json={name}.json")
    return str(pytester.path / f"{name}.json")


def merge(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.run(sys.executable, "-m", "gonogo", "merge", *args)


def test_proven_in_one_shard_and_missing_in_another_is_passed(pytester: pytest.Pytester, runbook) -> None:
    a = shard(pytester, "a", "health")
    b = shard(pytester, "b", "frontend")
    assert json.loads(open(a).read())["verdict"] == "NO-GO"  # frontend missing in this shard alone
    result = merge(pytester, a, b, "-o", "out/verdict.json")
    assert result.ret == EXIT_GO
    merged = json.loads((pytester.path / "out" / "verdict.json").read_text())
    assert merged["verdict"] == "GO" and merged["reasons"] == []
    assert {c["id"]: c["status"] for c in merged["criteria"]} == {"health": "passed", "frontend": "passed"}
    assert merged["stages"] == ["smoke"]
    result.stdout.fnmatch_lines(["GO: 2 verdicts merged into out/verdict.json"])


def test_failed_anywhere_is_failed(pytester: pytest.Pytester, runbook) -> None:
    a = shard(pytester, "a", "health", healthy=False)
    b = shard(pytester, "b", "health or frontend")
    result = merge(pytester, a, b, "-o", "merged.json")
    assert result.ret == EXIT_NO_GO
    merged = json.loads((pytester.path / "merged.json").read_text())
    assert {c["id"]: c["status"] for c in merged["criteria"]} == {"health": "failed", "frontend": "passed"}
    assert merged["reasons"] == ["health failed: test_smoke.py::test_health: unhealthy"]
    assert len(merged["criteria"][0]["tests"]) == 2


def test_an_interrupted_shard_stays_no_go(pytester: pytest.Pytester, runbook) -> None:
    pytester.makepyfile(test_smoke=SMOKE.replace("HEALTHY", "False"))
    pytester.runpytest("-m", "smoke", "-x", "--verdict-json=a.json")
    b = shard(pytester, "b", "health or frontend")
    result = merge(pytester, "a.json", b, "-o", "merged.json")
    assert result.ret == EXIT_NO_GO
    reasons = json.loads((pytester.path / "merged.json").read_text())["reasons"]
    assert reasons[0].startswith("session interrupted: stopping after 1 failures")


@pytest.mark.parametrize(
    ("content", "expected"),
    [(None, "*missing.json: cannot read it*"), ("{", "*not JSON*"), ('{"schema": "x"}', "*schema is not 'gonogo.verdict/1'*")],
)
def test_bad_input_is_one_line_exit_4(pytester: pytest.Pytester, content: str | None, expected: str) -> None:
    if content is not None:
        (pytester.path / "missing.json").write_text(content)
    result = merge(pytester, "missing.json", "-o", "out.json")
    assert result.ret == EXIT_USAGE
    result.stderr.fnmatch_lines([expected])
    assert len([l for l in result.stderr.lines if l.strip()]) == 1
    assert not (pytester.path / "out.json").exists()
