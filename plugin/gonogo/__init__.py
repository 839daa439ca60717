"""gonogo: fold the stage outcomes of a pytest run into one fail-closed GO / NO-GO verdict."""

from __future__ import annotations

from gonogo.evidence import Evidence
from gonogo.redact import redact, redact_text
from gonogo.rollback import RollbackAction, RollbackMode, RollbackResult
from gonogo.runbook import POST_DEPLOY_STAGES, STAGES, Criterion, Runbook, Waiver
from gonogo.verdict import (EXIT_GO, EXIT_NO_GO, EXIT_ROLLBACK_FAILED, EXIT_USAGE, SCHEMA, CriterionResult,
                            Status, TestRecord, Verdict)


def get_runbook(config):  # type: ignore[no-untyped-def]
    """The parsed runbook.toml of this session (criteria as frozen dataclasses), or None if inactive."""
    from gonogo.plugin import get_runbook as _get

    return _get(config)


__all__ = [
    "EXIT_GO", "EXIT_NO_GO", "EXIT_USAGE", "EXIT_ROLLBACK_FAILED", "SCHEMA", "STAGES", "POST_DEPLOY_STAGES",
    "Criterion", "CriterionResult", "Evidence", "RollbackAction", "RollbackMode", "RollbackResult",
    "Runbook", "Status", "TestRecord", "Verdict", "Waiver", "get_runbook", "redact", "redact_text",
]
