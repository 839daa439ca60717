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
    """Return the rollback actions for a NO-GO verdict (or those an INCONCLUSIVE one would have taken).

    Called once, on the controller, only when a stage after the deploy (smoke, postdeploy, soak) was in
    scope, and unless ``--rollback=off``. On NO-GO, ``scopes`` is the sorted union of the ``rollback``
    scopes of the blocking criteria that failed or errored, and the actions are planned or run. On
    INCONCLUSIVE (``verdict.outcome``), ``scopes`` is that of the blocking criteria that were inconclusive,
    and the actions are only listed, never run: building an action must not act. With no scope, the hook
    is not called. Each implementation is called on its own, so one that raises does not hide the others.
    """


def pytest_gonogo_inconclusive_exceptions(config: pytest.Config) -> Iterable[type[BaseException]] | None:
    """Return the exception types that mean "we could not observe", not "the app is wrong".

    A test (or its fixture, in setup or teardown) that fails with one of them, or with
    ``gonogo.Inconclusive``, is ``inconclusive``: say, a provider API that timed out or refused our own
    credential. Asked once per session where tests run (each xdist worker, or the single process); the
    answers of all implementations are unioned. One that raises is a usage error.
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


@pytest.hookspec(firstresult=True)
def pytest_gonogo_release_sha(config: pytest.Config) -> str | None:
    """Return the commit of the release under test, named in the run's notification (runbook.toml ``[notify]``).

    Called once on the controller when a notification is composed; the first non-None answer wins.
    """
