"""A run's end state as a notification: which run sends one, its message from the verdict's view, the record."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from gonogo.redact import redact

if TYPE_CHECKING:
    # gonogo.notify is loaded only by a run that has somewhere to send its end state (see `configure`).
    from gonogo.notify import Delivery, Message, Plan
    from gonogo.rollback import RollbackResult
    from gonogo.runbook import Runbook
    from gonogo.settings import Settings
    from gonogo.verdict import Verdict

notifier_key = pytest.StashKey["Notifier"]()
PLUGIN_NAME = "gonogo-notify"


class Notifier:
    """Registered on the controller of a run that has somewhere to send its end state; sends it once."""

    def __init__(self, config: pytest.Config, settings: Settings, plan: Plan) -> None:
        self.config = config
        self.settings = settings
        self.plan = plan

    def pytest_gonogo_secrets(self, config: pytest.Config) -> list[str]:
        # A destination's token or password is masked in every output, as the target's secrets are.
        return list(self.plan.secrets)

    def message(self, verdict: Verdict, rollback: RollbackResult | None) -> Message:
        from gonogo import notify
        from gonogo.view import VerdictView

        view = VerdictView.of(verdict, rollback)
        facts = [*(view.scope[1:] if view.target else view.scope), f"times {view.times}"]
        return notify.compose(
            headline=view.end_state, word=view.word, target=verdict.target, sha=self._sha(), facts=facts,
            reasons=[r.text for r in view.reasons], rollback=view.rollback.lines() if view.rollback else (),
            report=self._report(), clean=lambda text: redact(text, self.config))

    def announce(self, verdict: Verdict, rollback: RollbackResult | None) -> tuple[Delivery, ...]:
        """Send the end state to every destination, within the plan's bound; what became of each. Never raises."""
        from gonogo import notify
        from gonogo.notify import Delivery

        try:
            message = self.message(verdict, rollback)
        except Exception as exc:  # noqa: BLE001 - a notification never changes the run: recorded, not raised
            error = redact(f"the message could not be composed: {type(exc).__name__}: {exc}", self.config)
            return (*self.plan.skipped, *(Delivery(shown, notify.FAILED, error=error) for _, shown in self.plan.urls))
        return notify.send(self.plan, message, lambda text: redact(text, self.config))

    def _sha(self) -> str | None:
        try:
            sha = self.config.hook.pytest_gonogo_release_sha(config=self.config)
        except Exception:  # noqa: BLE001 - a broken conftest costs the message its SHA, nothing more
            return None
        return str(sha) if sha else None

    def _report(self) -> str | None:
        """The HTML report of this run (else summary.md): its URL under report_url_base, else its path."""
        path = self.settings.html_report or self.settings.summary_md
        try:
            relative = path.resolve().relative_to(self.settings.verdict_json.parent.resolve()).as_posix()
        except ValueError:
            relative = path.name
        from gonogo import notify

        return notify.report_link(self.plan, str(path), relative)


def configure(config: pytest.Config, settings: Settings, runbook: Runbook) -> Notifier | None:
    """On the controller of a run: check every destination now (a bad one is a usage error, before any test),
    then register the notifier. None without a destination, or with --no-notify."""
    table = runbook.notify
    if not settings.notify or not (settings.notify_urls or (table is not None and table.urls)):
        return None
    from gonogo import notify

    try:
        plan = notify.resolve(settings.notify_urls, table, os.environ, table_name=f"{Path(runbook.path).name} [notify]")
    except notify.NotifyError as exc:
        raise pytest.UsageError(f"gonogo: {exc}") from None
    notifier = Notifier(config, settings, plan)
    config.stash[notifier_key] = notifier
    config.pluginmanager.register(notifier, PLUGIN_NAME)
    return notifier


def announce(config: pytest.Config, verdict: Verdict, rollback: RollbackResult | None) -> tuple[Delivery, ...]:
    """Send the run's end state when it has a notifier; what became of each destination (none: ())."""
    notifier = config.stash.get(notifier_key, None)
    return () if notifier is None else notifier.announce(verdict, rollback)


def header(config: pytest.Config) -> str | None:
    """`notify: 2 destination(s), at most 16.5 s` for pytest's header, or None."""
    notifier = config.stash.get(notifier_key, None)
    if notifier is None:
        return None
    plan = notifier.plan
    skipped = f", {len(plan.skipped)} skipped (unset: {', '.join(d.destination for d in plan.skipped)})" \
        if plan.skipped else ""
    return (f"gonogo: notify {len(plan.urls)} destination(s){skipped}; a destination that is down delays the end "
            f"by at most {plan.bound_s:g} s ({plan.attempts} attempt(s) x {plan.timeout_s:g} s to connect + "
            f"{plan.timeout_s:g} s to answer)")
