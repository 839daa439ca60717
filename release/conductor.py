"""The conductor: walks the steps in order from where the journal says the release stands, and decides.

A step that is done is never run again; the first step not done runs (again). Decisions
(docs/runbook.md#release-conductor): a NO-GO stage ends the release NO-GO (after step B its pytest run has
already rolled back or planned the rollback, `--rollback`); a predeploy NO-GO ends it before any provider was
touched; an INCONCLUSIVE stage, or a provider that does not answer during an action step, holds the release
(`resume` re-runs that step, `abandon` ends it); a stage's usage error fails the step with its one line.
"""
from __future__ import annotations

import time
import traceback

from gonogo import EXIT_GO, EXIT_INCONCLUSIVE, EXIT_NO_GO, EXIT_USAGE
from gonogo_providers.errors import ProviderError
from release import announce, page
from release.checkout import CheckoutError
from release.context import Context, UsageProblem
from release.journal import iso
from release.steps import STEPS
from release.steps.base import Result


def _run_step(ctx: Context, spec, step) -> Result:
    try:
        return spec.run(ctx, step)
    except UsageProblem as exc:
        return Result("failed", "usage", str(exc), exit_code=EXIT_USAGE)
    except CheckoutError as exc:
        return Result.failed(str(exc))
    except ProviderError as exc:
        # The provider did not answer usably: nothing is judged, the step is safe to run again.
        return Result("held", "INCONCLUSIVE", f"{exc}; resume re-runs this step once the provider answers")
    except Exception as exc:  # noqa: BLE001 - a bug must not leave the release looking healthy; kept for resume
        (ctx.release_dir / f"error-{spec.name}.txt").write_text(ctx.progress.mask(traceback.format_exc()))
        return Result("held", "INCONCLUSIVE", f"internal error {type(exc).__name__}: {exc}; details in "
                      f"{ctx.release_dir / f'error-{spec.name}.txt'}; resume re-runs this step")


def drive(ctx: Context) -> int:
    """Run every step not done yet, in order; the release's exit code."""
    ctx.release_dir.mkdir(parents=True, exist_ok=True)
    for seq, spec in enumerate(STEPS, 1):
        last = ctx.journal.step(ctx.release.id, spec.name)
        if last is not None and last.state == "done":
            continue
        ctx.journal.supersede(ctx.release.id, spec.name)
        step = ctx.journal.start_step(ctx.release.id, seq, spec.name)
        ctx.refresh()
        ctx.progress.step_started(spec.letter, spec.name, spec.title)
        started = time.monotonic()
        result = _run_step(ctx, spec, step)
        detail = ctx.progress.mask(result.detail)
        ctx.journal.end_step(step, result.state, result.outcome, detail, evidence=result.evidence,
                             waited_s=round(result.waited_s, 3))
        ctx.progress.step_ended(spec.letter, spec.name, result.outcome, time.monotonic() - started, detail)
        ctx.refresh()
        page.write(ctx.journal, ctx.release.id)
        if result.state == "done":
            continue
        if result.state == "held":
            return hold(ctx, spec.name, detail)
        if spec.stage == "predeploy" and result.outcome == "NO-GO":
            detail = f"{detail}; the release stopped before any provider was changed"
        return finish(ctx, "NO-GO", result.exit_code or EXIT_NO_GO, f"{spec.name}: {detail}", result.rolled_back)
    return finish(ctx, "GO", EXIT_GO, "every step done; soak clean", None)


def hold(ctx: Context, step: str, detail: str) -> int:
    ctx.journal.update_release(ctx.release.id, state="held", verdict="INCONCLUSIVE", exit_code=EXIT_INCONCLUSIVE,
                               reason=f"{step}: {detail}")
    ctx.journal.event(ctx.release.id, "hold", f"held at {step}")
    page.write(ctx.journal, ctx.release.id)
    ctx.progress.line(f"HELD at {step}: {detail}")
    ctx.progress.line(f"  `python -m release resume --target {ctx.release.target_spec}` runs {step} again; "
                      "`abandon` ends the release")
    _notify(ctx)
    _say_where(ctx)
    return EXIT_INCONCLUSIVE


def finish(ctx: Context, verdict: str, exit_code: int, reason: str, rolled_back: dict | None) -> int:
    ctx.journal.update_release(ctx.release.id, state="ended", verdict=verdict, exit_code=exit_code,
                               reason=reason, rolled_back=rolled_back, ended_at=iso(), current_step=None)
    ctx.journal.event(ctx.release.id, "end", f"{verdict} (exit {exit_code})")
    worktree = ctx.release_dir / "checkout"
    if worktree.exists():
        ctx.checkout.remove_worktree(worktree)
    page.write(ctx.journal, ctx.release.id)
    ctx.progress.line(f"{verdict}: release {ctx.release.id} of {ctx.sha[:12]} on {ctx.release.target} - {reason}")
    for line in rollback_lines(rolled_back):
        ctx.progress.line(line)
    _notify(ctx)
    _say_where(ctx)
    return exit_code


def _notify(ctx: Context) -> None:
    """The end state as the journal now holds it, to every destination; the page again, with where it went."""
    if announce.send_end(ctx.journal, ctx.release.id, ctx.notify, ctx.progress.mask, ctx.progress.line):
        page.write(ctx.journal, ctx.release.id)


def rollback_lines(rolled_back: dict | None) -> list[str]:
    if not rolled_back or not rolled_back.get("triggered"):
        return [] if rolled_back is None else ["rollback: nothing to roll back"]
    actions = rolled_back.get("actions", [])
    lines = [f"rollback ({rolled_back.get('mode')}, scopes {', '.join(rolled_back.get('scopes', [])) or '-'}):"]
    lines += [f"  {a.get('status')}: {a.get('name')}" for a in actions]
    return lines


def _say_where(ctx: Context) -> None:
    ctx.progress.line(f"release page: {page.path_of(ctx.journal.release(ctx.release.id))}")
