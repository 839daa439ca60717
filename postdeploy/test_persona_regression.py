"""Go/no-go 4: the persona regression runner passes its thresholds against the deployed config."""
from __future__ import annotations

import pytest


@pytest.mark.postdeploy
@pytest.mark.criterion("persona-regression")
def test_persona_regression_passes_against_the_deployed_api(persona_regression):
    # Its pass rates are measures: runbook.toml [limits.persona-pass-rate-drop] compares them with the last GO.
    failures = persona_regression(measure=True)
    assert not failures, "; ".join(failures)
