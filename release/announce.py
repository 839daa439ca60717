"""A release's end state (GO, NO-GO with what its rollback did, held, abandoned) sent through `gonogo.notify`, the
same client and bounds as a pytest run's (docs/notify.md); each destination's fate is a `notify` event in the
journal, so on the release page and in `status`. A failed notification changes neither the release nor its
exit code. The stage runs get `--no-notify`: one message per end state of the release, not one per stage.
"""
from __future__ import annotations

import os
from collections.abc import Callable

from gonogo import Outcome, RollbackResult, redact_text
from gonogo import notify as gonogo_notify
from gonogo.notify import Delivery, NotifyError, Plan
from gonogo.runbook import RunbookError, load_runbook
from gonogo.view import end_state, rollback_view
from release.context import RUNBOOK, UsageProblem
from release.journal import Journal, Release
from release.view import page_path

HELD = "INCONCLUSIVE, release held"


def resolve(flags: list[str] | None, off: bool = False) -> Plan | None:
    """The destinations of this command (--notify, then runbook.toml [notify]), checked before anything is
    written; None with --no-notify or none at all. A bad one is a UsageProblem (exit 4)."""
    if off:
        return None
    try:
        table = load_runbook(RUNBOOK).notify
    except (RunbookError, OSError) as exc:
        raise UsageProblem(f"{RUNBOOK}: {exc}") from None
    if not flags and not (table and table.urls):
        return None
    try:
        return gonogo_notify.resolve(list(flags or ()), table, os.environ, table_name=f"{RUNBOOK.name} [notify]")
    except NotifyError as exc:
        raise UsageProblem(str(exc)) from None


def _last_step_evidence(journal: Journal, release: Release) -> dict:
    """The evidence of the step the release ended or is held at (a stage's reasons and rollback), or {}."""
    steps = journal.steps(release.id)  # in order: the last is the step it ended or is held at
    return steps[-1].evidence if steps else {}


def message(journal: Journal, release: Release, plan: Plan, clean: Callable[[str], str]) -> gonogo_notify.Message:
    """The release's end state as the journal holds it, worded as a pytest run's is (gonogo.view)."""
    word = release.verdict or "INCONCLUSIVE"
    evidence = _last_step_evidence(journal, release)
    rollback = None
    reasons = [str(r) for r in evidence.get("reasons", ())] or [release.reason or ""]
    if word == Outcome.NO_GO.value and release.rolled_back:
        rollback = rollback_view(Outcome.NO_GO, RollbackResult.from_json(release.rolled_back))
    elif release.state == "held" and (evidence.get("rollback") or {}).get("withheld"):
        rollback = rollback_view(Outcome.INCONCLUSIVE, RollbackResult.from_json(evidence["rollback"]))
    if release.state == "held":
        headline = HELD
        facts = [f"held at step {release.current_step}: `python -m release resume --target {release.target_spec}` "
                 "runs it again, `abandon` ends the release"]
    else:
        headline = end_state(word, rollback)
        facts = [release.reason or ""]
        if word == Outcome.GO.value:
            reasons = []
    facts = [f"release {release.id}, tag {release.tag or '-'}", *(f for f in facts if f)]
    report = gonogo_notify.report_link(plan, str(page_path(release)), f"{release.id}/{page_path(release).name}")
    return gonogo_notify.compose(headline=headline, word=word, target=release.target, sha=release.sha, facts=facts,
                                 reasons=[r for r in reasons if r], rollback=rollback.lines() if rollback else (),
                                 report=report, clean=clean)


def send_end(journal: Journal, release_id: str, plan: Plan | None, mask: Callable[[str], str],
             say: Callable[[str], None]) -> tuple[Delivery, ...]:
    """Send the release's end state (as the journal now holds it) to every destination; journal and print what
    became of each. Never raises: the release has ended whatever the notification does."""
    if not plan:
        return ()

    def clean(text: str) -> str:
        return mask(redact_text(text, plan.secrets))

    release = journal.release(release_id)
    try:
        deliveries = gonogo_notify.send(plan, message(journal, release, plan, clean), clean)
    except Exception as exc:  # noqa: BLE001 - composing the message failed: recorded, the release stands
        error = clean(f"the message could not be composed: {type(exc).__name__}: {exc}")
        deliveries = (*plan.skipped, *(Delivery(shown, gonogo_notify.FAILED, error=error) for _, shown in plan.urls))
    for delivery in deliveries:
        journal.event(release_id, "notify", clean(delivery.text))
        say(f"notify: {delivery.text}")
    return deliveries
