"""Drills: each bad deploy or worker fault turns exactly its expected criteria NO-GO; a soak stops on a P0 (the
automatic rollback of a bad deploy: test_rollback_stays.py)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from _drill import (
    DEPLOY_FILE_FAULTS,
    EXPECTED,
    assert_healthy,
    inject_and_judge,
    run_runbook,
    target_file,
    worker_stack,
)

stack = worker_stack()


# Half of them here, half in test_deploy_faults_b.py: two files, so two workers share the drills.
@pytest.mark.parametrize("fault", DEPLOY_FILE_FAULTS[0::2])
def test_fault_turns_exactly_its_criteria_no_go(stack, fault, tmp_path):
    run = inject_and_judge(stack, fault, tmp_path)
    for criterion in EXPECTED[fault]:
        assert any(run.messages(criterion)), f"{criterion} failed without a message"


def test_a_soak_aborted_on_a_p0_is_no_go_and_its_report_draws_the_window_with_the_abort(stack, tmp_path):
    stack.fault("p0-in-logs")
    try:
        run = run_runbook("-m", "soak", target=target_file(stack), out_dir=tmp_path, name="soak-p0")
    finally:
        stack.clear()
    assert_healthy(stack)
    assert run.verdict is not None, run.describe()
    assert run.returncode == 1 and run.verdict["verdict"] == "NO-GO", run.describe()
    assert run.statuses()["no-p0-p1-errors"] == "failed", run.describe()
    assert "P0 in app logs" in run.stdout and "stopping" in run.stdout  # the progress line of the abort
    # The soak test's evidence: the window as an SVG, the abort marked, from the deploy going live to the abort.
    soak = next(c for c in run.verdict["criteria"] if c["id"] == "no-p0-p1-errors")
    charts = [e for t in soak["tests"] for e in t["evidence"] if e.get("mime") == "image/svg+xml"]
    assert len(charts) == 1 and "aborted at" in charts[0]["title"], soak["tests"]
    svg = Path(charts[0]["path"]).read_text()
    assert "abort " in svg and "P0 in app logs" in svg and "stroke-dasharray:8,4" in svg
    assert "<script" not in svg and "log lines per" in svg and "CPU (% of one core)" in svg
    # ...embedded in the HTML report as an image.
    report = (tmp_path / "report.html").read_text()
    embedded = re.search(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", report)
    assert embedded and base64.b64decode(embedded.group(1)).decode() == svg
