"""Drills: the other half of the config / data-plane faults (see test_config_faults.py), in a file of its own."""

from __future__ import annotations

import pytest
from _drill import CONFIG_FILE_FAULTS, EXPECTED, inject_and_judge, worker_stack

stack = worker_stack()


@pytest.mark.parametrize("fault", CONFIG_FILE_FAULTS[1::2])
def test_fault_turns_exactly_its_criteria_no_go(stack, fault, tmp_path):
    run = inject_and_judge(stack, fault, tmp_path)
    for criterion in EXPECTED[fault]:
        assert any(run.messages(criterion)), f"{criterion} failed without a message"
