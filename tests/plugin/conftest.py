"""Fixtures for the plugin's pytester tests: a standard runbook and a verdict.json reader."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

RUNBOOK = """
[criteria.health]
title = "GET /health is healthy"
stage = "smoke"
go_no_go = 3
rollback = ["backend"]

[criteria.frontend]
title = "frontend aliased"
stage = "smoke"
rollback = ["frontend"]

[criteria.config]
title = "config hardened"
stage = "predeploy"

[criteria.cpu]
title = "cpu below 80%"
stage = "soak"
blocking = false
"""


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    # pytest-playwright's soft-assertion scope cannot nest in an in-process pytester run
    # (set after pytester's own set-up, which clears PYTEST_ADDOPTS).
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:playwright")
    return pytester


@pytest.fixture
def verdict(pytester: pytest.Pytester) -> Callable[[], dict[str, Any]]:
    """Read the inner run's reports/verdict.json."""
    return lambda: json.loads((pytester.path / "reports" / "verdict.json").read_text())


@pytest.fixture
def runbook(pytester: pytest.Pytester) -> str:
    """Write the standard runbook.toml into the pytester project."""
    pytester.makefile(".toml", runbook=RUNBOOK)
    return RUNBOOK


def statuses(data: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["status"] for c in data["criteria"]}


@pytest.fixture(name="statuses")
def _statuses() -> Callable[[dict[str, Any]], dict[str, str]]:
    """criterion id -> status of a verdict.json."""
    return statuses
