"""Drills: the other half of the bad deploy and worker faults (see test_deploy_faults.py), in a file of its own."""

from __future__ import annotations

import pytest
from _drill import DEPLOY_FILE_FAULTS, EXPECTED, assert_soak_abort_drawn, inject_and_judge, worker_stack

stack = worker_stack()


@pytest.mark.parametrize("fault", DEPLOY_FILE_FAULTS[1::2])
def test_fault_turns_exactly_its_criteria_no_go(stack, fault, tmp_path):
    run = inject_and_judge(stack, fault, tmp_path)
    for criterion in EXPECTED[fault]:
        assert any(run.messages(criterion)), f"{criterion} failed without a message"
    if fault == "p0-in-logs":
        assert_soak_abort_drawn(run, tmp_path)
