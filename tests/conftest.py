"""Fixtures shared by the project's test directories (loaded by the lowest-pytest run of tests/plugin too:
nothing is imported here until a fixture is used)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def worker_sandbox(tmp_path_factory: pytest.TempPathFactory):
    """One sandbox per xdist worker (per run without xdist), shared by the modules that take their `stack` from
    `_stack.worker_stack()`: those whose tests leave it at its healthy baseline. `up` once, `down` at the end."""
    from _stack import run_cli, start

    state_dir = tmp_path_factory.mktemp("sandbox-shared")
    try:
        yield start(state_dir)
    finally:
        run_cli(state_dir, "down")
