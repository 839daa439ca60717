"""Section 3, code and test gates: the app checkout's own commands, their output kept as evidence."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.predeploy


def _assert_exit_zero(result, what: str) -> None:
    assert result.returncode is not None, f"{what} did not finish within its timeout"
    assert result.returncode == 0, f"{what} exited {result.returncode}; its output tail is in the evidence"


@pytest.mark.criterion("persona-gates")
def test_targeted_persona_tests_pass(gate):
    _assert_exit_zero(gate("persona-gates"), "the targeted persona tests")


@pytest.mark.criterion("backend-tests")
def test_full_backend_suite_passes(gate):
    _assert_exit_zero(gate("backend-tests"), "the full backend suite")


@pytest.mark.criterion("frontend-typecheck")
def test_frontend_typecheck_passes(gate):
    _assert_exit_zero(gate("frontend-typecheck"), "the frontend typecheck")


@pytest.mark.criterion("e2e-critical")
def test_critical_e2e_flows_pass(gate):
    _assert_exit_zero(gate("e2e-critical"), "the critical e2e flows")


@pytest.mark.criterion("persona-regression-gate")
def test_persona_regression_meets_thresholds(persona_regression):
    failures = persona_regression()
    assert not failures, "; ".join(failures)
