"""Drills: each config / data-plane fault of the sandbox turns exactly its expected criteria NO-GO."""

from __future__ import annotations

import pytest
from _drill import CONFIG_FILE_FAULTS, EXPECTED, inject_and_judge, worker_stack

stack = worker_stack()


# Half of them here, half in test_config_faults_b.py: two files, so two workers share the drills.
@pytest.mark.parametrize("fault", CONFIG_FILE_FAULTS[0::2])
def test_fault_turns_exactly_its_criteria_no_go(stack, fault, tmp_path):
    run = inject_and_judge(stack, fault, tmp_path)
    # The failure says what the operator must fix, not only that something failed.
    for criterion in EXPECTED[fault]:
        assert any(run.messages(criterion)), f"{criterion} failed without a message"
