"""The release conductor: runbook section 5 as journaled steps, driving the suites through pytest.

`python -m release plan|run|resume|status|history|abandon --target NAME|PATH.toml` (docs/runbook.md#release-conductor).
"""
