"""gonogo: fold the stage outcomes of a pytest run into one fail-closed GO / NO-GO / INCONCLUSIVE verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gonogo.evidence import Evidence
from gonogo.inconclusive import Inconclusive

# The public API for conftest authors (see the README, "API for conftest.py").
from gonogo.plugin import criterion_of, current_evidence, get_runbook, get_settings, selected_stages
from gonogo.redact import redact, redact_text, redact_tree
from gonogo.rollback import RollbackAction, RollbackMode, RollbackResult
from gonogo.runbook import POST_DEPLOY_STAGES, STAGES, Criterion, Limit, Runbook, Waiver
from gonogo.settings import Settings
from gonogo.verdict import (
                            EXIT_GO,
                            EXIT_INCONCLUSIVE,
                            EXIT_NO_GO,
                            EXIT_ROLLBACK_FAILED,
                            EXIT_USAGE,
                            SCHEMA,
                            CriterionResult,
                            Status,
                            TestRecord,
                            Verdict,
)

__all__ = [
    "EXIT_GO", "EXIT_NO_GO", "EXIT_USAGE", "EXIT_ROLLBACK_FAILED", "EXIT_INCONCLUSIVE", "SCHEMA", "STAGES",
    "POST_DEPLOY_STAGES", "Baseline", "Comparison", "Criterion", "CriterionResult", "Evidence", "Inconclusive",
    "Limit", "Measure", "RollbackAction",
    "RollbackMode", "RollbackResult", "Runbook", "Settings", "Status", "TestRecord", "Verdict", "Waiver",
    "criterion_of", "current_evidence", "get_runbook", "get_settings", "redact", "redact_text", "redact_tree",
    "selected_stages",
]

# The verdict's word and its typed reasons and warnings (what a rollback hook gets in `verdict`).
from gonogo.findings import Outcome, Reason, ReasonKind, VerdictWarning, WarningKind  # noqa: E402

__all__ += ["Outcome", "Reason", "ReasonKind", "VerdictWarning", "WarningKind"]

if TYPE_CHECKING:
    from gonogo.measures import Baseline, Comparison, Measure

# Exported lazily: only a run that measured something loads gonogo.measures (the plugin's import is paid by
# every pytest run where gonogo is installed).
_LAZY = {"Baseline": "gonogo.measures", "Comparison": "gonogo.measures", "Measure": "gonogo.measures"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gonogo' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
