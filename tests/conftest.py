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


# The modules that take longest, as measured under `make test` (a release end to end, the drills: a runbook run
# per test; then the other sandbox modules). `make test` hands modules to its workers in collection order
# (--dist loadfile --no-loadscope-reorder; xdist's default order, most tests first, put the release runs last,
# where one ran alone for the last minute): these go first, the many short modules after them fill the end.
# A scheduling hint only: a module missing here keeps its place after these.
LONGEST_FIRST = (
    "release/test_release_killed_in_migrations.py",
    "release/test_release_killed_in_env_and_soak.py",
    "drills/test_config_faults.py",
    "drills/test_deploy_faults.py",
    "drills/test_config_faults_b.py",
    "drills/test_go_and_usage.py",
    "sandbox/test_faults.py",
    "drills/test_deploy_faults_b.py",
    "drills/test_go_runs.py",
    "drills/test_provider_chaos.py",
    "report/test_canary_sandbox.py",
    "drills/test_rollback_stays.py",
    "runbook/test_rollback_actions.py",
    "sandbox/test_next_release.py",
    "plugin/test_notify.py",
    "sandbox/test_deploys.py",
    "mcp/test_sandbox.py",
    "sandbox/test_app_repo.py",
    "sandbox/test_cli.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {path: n for n, path in enumerate(LONGEST_FIRST)}
    # Stable: a module's tests keep their order, and so do the modules not listed.
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))
