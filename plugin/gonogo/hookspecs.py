"""The hooks gonogo declares for projects (conftest.py) to implement."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from gonogo.rollback import RollbackAction
    from gonogo.verdict import Verdict


def pytest_gonogo_rollback_actions(
    config: pytest.Config, verdict: Verdict, scopes: tuple[str, ...]
) -> Iterable[RollbackAction] | None:
    """Return the rollback actions for a NO-GO verdict.

    Called once, on the controller, only when the verdict is NO-GO and a stage after the deploy
    (smoke, postdeploy, soak) was in scope, and unless ``--rollback=off``. ``scopes`` is the sorted
    union of the ``rollback`` scopes of the blocking criteria that failed or errored; with none, the
    hook is not called. Each
    implementation is called on its own, so one that raises does not hide the others.
    """


def pytest_gonogo_secrets(config: pytest.Config) -> Iterable[str] | None:
    """Return secret values (e.g. the target's API tokens) to replace by ``***`` in every output.

    Asked at the first redaction, and again at the first redaction of each test where the test runs (an
    xdist worker, or the single process); values shorter than four characters are ignored.
    """


@pytest.hookspec(firstresult=True)
def pytest_gonogo_target_name(config: pytest.Config) -> str | None:
    """Return the name of the target under test, written to verdict.json's ``target``.

    Called once on the controller when the verdict is made; the first non-None answer wins.
    """
