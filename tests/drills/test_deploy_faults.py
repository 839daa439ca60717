"""Drills: each bad deploy or worker fault turns exactly its expected criteria NO-GO (p0-in-logs: its soak stops on
the P0 and draws the window with the abort); the automatic rollback of a bad deploy: test_rollback_stays.py."""

from __future__ import annotations

import pytest
from _drill import DEPLOY_FILE_FAULTS, EXPECTED, assert_soak_abort_drawn, inject_and_judge, worker_stack

stack = worker_stack()


# Half of them here, half in test_deploy_faults_b.py: two files, so two workers share the drills.
@pytest.mark.parametrize("fault", DEPLOY_FILE_FAULTS[0::2])
def test_fault_turns_exactly_its_criteria_no_go(stack, fault, tmp_path):
    run = inject_and_judge(stack, fault, tmp_path)
    for criterion in EXPECTED[fault]:
        assert any(run.messages(criterion)), f"{criterion} failed without a message"
    if fault == "p0-in-logs":
        assert_soak_abort_drawn(run, tmp_path)
