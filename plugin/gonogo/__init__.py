"""gonogo: fold the stage outcomes of a pytest run into one fail-closed GO / NO-GO / INCONCLUSIVE verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# The public API for conftest authors (see the README, "API for conftest.py"). What every pytest run loads
# anyway (gonogo is a plugin wherever it is installed) is imported here; the verdict's, runbook's and
# rollback's types only when first asked for (below), so a suite without a runbook never creates them.
from gonogo.evidence import Evidence
from gonogo.inconclusive import Inconclusive
from gonogo.plugin import criterion_of, current_evidence, get_runbook, get_settings, selected_stages
from gonogo.redact import redact, redact_text, redact_tree
from gonogo.settings import RollbackMode, Settings

__all__ = [
    "EXIT_GO", "EXIT_NO_GO", "EXIT_USAGE", "EXIT_ROLLBACK_FAILED", "EXIT_INCONCLUSIVE", "SCHEMA", "STAGES",
    "POST_DEPLOY_STAGES", "Baseline", "Comparison", "Criterion", "CriterionResult", "Evidence", "Inconclusive",
    "Limit", "Measure", "RollbackAction",
    "RollbackMode", "RollbackResult", "Runbook", "Settings", "Status", "TestRecord", "Verdict", "Waiver",
    "criterion_of", "current_evidence", "get_runbook", "get_settings", "redact", "redact_text", "redact_tree",
    "selected_stages",
    # The verdict's word and its typed reasons and warnings (what a rollback hook gets in `verdict`).
    "Outcome", "Reason", "ReasonKind", "VerdictWarning", "WarningKind",
]

if TYPE_CHECKING:
    from gonogo.findings import Outcome, Reason, ReasonKind, VerdictWarning, WarningKind
    from gonogo.measures import Baseline, Comparison, Measure
    from gonogo.rollback import RollbackAction, RollbackResult
    from gonogo.runbook import POST_DEPLOY_STAGES, STAGES, Criterion, Limit, Runbook, Waiver
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

# Exported lazily, each from the module that defines it (loaded at the first `gonogo.Name` or
# `from gonogo import Name`).
_LAZY = {
    **dict.fromkeys(("Outcome", "Reason", "ReasonKind", "VerdictWarning", "WarningKind"), "gonogo.findings"),
    **dict.fromkeys(("Baseline", "Comparison", "Measure"), "gonogo.measures"),
    **dict.fromkeys(("RollbackAction", "RollbackResult"), "gonogo.rollback"),
    **dict.fromkeys(("POST_DEPLOY_STAGES", "STAGES", "Criterion", "Limit", "Runbook", "Waiver"), "gonogo.runbook"),
    **dict.fromkeys(("EXIT_GO", "EXIT_INCONCLUSIVE", "EXIT_NO_GO", "EXIT_ROLLBACK_FAILED", "EXIT_USAGE", "SCHEMA",
                     "CriterionResult", "Status", "TestRecord", "Verdict"), "gonogo.verdict"),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gonogo' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
