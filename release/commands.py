"""The sub-commands: plan, run, resume, abandon (status and history are in report.py).

Every input is checked before anything is written to any provider: the target and its credentials, the
journal, the app checkout (clean, holding the commit), the release env file and the values it names.
"""
from __future__ import annotations

import os
import socket
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from release import announce, conductor, page
from release.checkout import RELEASE_ENV_FILE, CheckoutError
from release.context import (
    DEFAULT_HISTORY,
    DEFAULT_REPORTS,
    Context,
    Settings,
    UsageProblem,
    checkout_of,
    default_sha,
    require_secrets,
    resolve_target,
    runbook_tables,
    secrets_of,
)
from release.envdiff import EnvFileError, desired_env, parse_env_file, values_of
from release.journal import Journal, Release, iso
from release.lock import LockHeld, TargetLock
from release.progress import Progress
from release.steps import STEPS
from release.steps.tag import check_checkout


def describe_in_progress(journal: Journal, release: Release) -> str:
    """`release R (commit C) is held|running at step S since T` for a one-line refusal."""
    step = journal.step(release.id, release.current_step) if release.current_step else None
    since = step.ended_at if release.state == "held" and step and step.ended_at else \
        (step.started_at if step else release.started_at)
    if release.state == "held":
        state = "held"
    else:
        lock = TargetLock(journal, release.target)
        holder, alive = lock.holder(), lock.holder_alive()
        state = ("in progress" + (f" (pid {holder.pid} on {holder.host})" if holder else "") if alive is not False
                 else "interrupted" + (f" (its process, pid {holder.pid}, is gone)" if holder else ""))
    return (f"release {release.id} (commit {release.sha[:12]}) is {state} on target {release.target} at step "
            f"{release.current_step or '-'} since {since}")


def _wanted_env(tables: dict, checkout, sha: str) -> dict:
    where = f"{RELEASE_ENV_FILE} at {sha[:12]}"
    try:
        return desired_env(tables.get("env_baseline", {}), parse_env_file(checkout.show(sha, RELEASE_ENV_FILE), where),
                           os.environ, where)
    except EnvFileError as exc:
        raise UsageProblem(str(exc)) from None


def _inputs(args, tables, target, checkout, sha_arg: str | None) -> tuple[str, str, dict]:
    """The commit (and where it came from) and the wanted env, all checked: UsageProblem otherwise."""
    try:
        checkout.require_repository()
        if sha_arg:
            sha, source = checkout.resolve(sha_arg), "--sha"
            if sha is None:
                raise UsageProblem(f"--sha {sha_arg}: not a commit of the app checkout {checkout.path}; fetch it "
                                   f"(git -C {checkout.path} fetch) or give a commit it holds")
        else:
            sha, source = default_sha(target, checkout)
            if sha is None or checkout.resolve(sha) is None:
                raise UsageProblem(f"--sha: no default commit ({source}); pass --sha SHA")
            sha = checkout.resolve(sha)
        check_checkout(checkout, sha)
    except CheckoutError as exc:
        raise UsageProblem(str(exc)) from None
    return sha, source, _wanted_env(tables, checkout, sha)


def _context(journal, target, tables, settings, checkout, release, wanted, notify=None) -> Context:
    progress = Progress(secrets=secrets_of(target) + values_of(wanted) + list(notify.secrets if notify else ()))
    return Context(journal=journal, target=target, tables=tables, settings=settings, checkout=checkout,
                   progress=progress, release=release, wanted_env=wanted, notify=notify)


def _new_release(target, spec, sha, options, strategy, rollback, reports: Path) -> Release:
    started = datetime.now(UTC)
    release_id = f"{started:%Y%m%d-%H%M%S}-{sha[:7]}"
    return Release(id=release_id, target=target.name, target_spec=spec, sha=sha, tag=f"release-{started:%Y%m%d-%H%M}",
                   strategy=strategy, rollback=rollback, options=options, state="running", verdict=None,
                   exit_code=None, reason=None, rolled_back=None, current_step=None,
                   release_dir=str(reports / release_id), started_at=iso(started), ended_at=None,
                   updated_at=iso(started))


def _options(args, target, checkout) -> dict:
    soak = args.soak_duration if args.soak_duration is not None else target.soak_duration_s
    return {"soak_duration": float(soak), "app_repo": str(checkout.path), "pytest_args": list(args.pytest_arg or []),
            "history": str(Path(args.history).resolve())}


def _draft(args, journal: Journal, tables, target, spec, settings: Settings, notify=None) -> tuple[Context, str]:
    """Everything a new release needs, checked before anything is written: secrets, checkout, commit, inputs."""
    require_secrets(target, tables)
    checkout = checkout_of(target, args.app_repo)
    sha, source, wanted = _inputs(args, tables, target, checkout, args.sha)
    release = _new_release(target, spec, sha, _options(args, target, checkout), args.strategy or settings.strategy,
                           args.rollback, Path(args.reports))
    return _context(journal, target, tables, settings, checkout, release, wanted, notify), source


def plan(args) -> int:
    tables = runbook_tables()
    target, spec = resolve_target(args.target, tables)
    settings = Settings.for_target(target, tables)
    journal = Journal.open(args.journal)
    ctx, source = _draft(args, journal, tables, target, spec, settings)
    sha, release = ctx.sha, ctx.release
    say = ctx.progress.line
    current = journal.in_progress(target.name)
    say(f"plan: release {sha} ({source}) to {target.name}, strategy {release.strategy}, rollback {release.rollback}")
    if current:
        say(f"  note: {describe_in_progress(journal, current)}: `run` would refuse; `resume` continues it")
    facts: dict = {}
    try:
        for number, spec_ in enumerate(STEPS, 1):
            for i, line in enumerate(spec_.plan(ctx, facts)):
                head = f"{number}. [{spec_.letter}] {spec_.name}:"
                say(f"{head if i == 0 else ' ' * len(head)} {line}")
    finally:
        ctx.close()
        journal.close()
    say("then GO; a NO-GO stage after the migrations rolls back (its pytest run's --rollback), an INCONCLUSIVE one "
        "holds the release for `resume` or `abandon`")
    return 0


def _refuse_without_confirmation(args, settings: Settings, target) -> None:
    if settings.production and not args.yes and not sys.stdin.isatty():
        raise UsageProblem(f"release run --target {target.name}: a production release asks for confirmation before "
                           "its first side effect and there is no terminal to ask on; pass --yes")


def _confirm(ctx: Context, args) -> bool:
    if not ctx.settings.production or args.yes:
        return True
    ctx.progress.line(f"release {ctx.sha} to {ctx.target.name} (strategy {ctx.release.strategy}, rollback "
                      f"{ctx.release.rollback}); `python -m release plan` shows every step")
    answer = input(f"type the target name ({ctx.target.name}) to go on: ").strip()
    return answer == ctx.target.name


def _lock(journal: Journal, target_name: str, release_id: str) -> TargetLock:
    lock = TargetLock(journal, target_name)
    try:
        previous = lock.acquire(release_id)
    except LockHeld as held:
        holder = held.holder
        busy = journal.release(holder.release_id) if holder else None
        what = describe_in_progress(journal, busy) if busy else \
            f"another release of {target_name} is starting ({held})"
        raise UsageProblem(f"{what}; wait for it to end") from None
    if previous is not None:
        journal.event(previous.release_id, "takeover",
                      f"lock of pid {previous.pid} on {previous.host} (since {previous.since}) taken over by pid "
                      f"{os.getpid()} on {socket.gethostname()}: its holder is gone")
    return lock


def run(args) -> int:
    tables = runbook_tables()
    target, spec = resolve_target(args.target, tables)
    settings = Settings.for_target(target, tables)
    _refuse_without_confirmation(args, settings, target)
    notify = announce.resolve(args.notify, args.no_notify)
    journal = Journal.open(args.journal)
    current = journal.in_progress(target.name)
    if current:
        raise UsageProblem(f"{describe_in_progress(journal, current)}; `python -m release resume` continues it, "
                           "`abandon` ends it")
    ctx, _source = _draft(args, journal, tables, target, spec, settings, notify)
    sha, release = ctx.sha, ctx.release
    if not _confirm(ctx, args):
        raise UsageProblem(f"release run --target {target.name}: not confirmed; nothing was done")
    lock = _lock(journal, target.name, release.id)
    try:
        current = journal.in_progress(target.name)
        if current:
            raise UsageProblem(f"{describe_in_progress(journal, current)}; `python -m release resume` continues it")
        values = {k: getattr(release, k) for k in ("id", "target", "target_spec", "sha", "tag", "strategy",
                                                   "rollback", "options", "release_dir", "started_at")}
        ctx.release = journal.create_release(**values)
        journal.start_session(release.id, "run")
        journal.event(release.id, "run", f"pid {os.getpid()} on {socket.gethostname()}")
        ctx.progress.line(f"release {release.id}: {sha[:12]} to {target.name}, strategy {release.strategy}, "
                          f"rollback {release.rollback}, soak {release.options['soak_duration']:g} s")
        return conductor.drive(ctx)
    finally:
        journal.end_session()
        lock.release()
        ctx.close()


def _close_dead_sessions(journal: Journal, release: Release) -> None:
    """Sessions whose process died end at their last heartbeat; a step they left running is interrupted then."""
    last = None
    for session in journal.sessions(release.id):
        if session["ended_at"] is None and session["pid"] != os.getpid():
            journal.end_dead_session(session["id"], session["last_seen"])
            last = max(last or session["last_seen"], session["last_seen"])
    journal.interrupt_running_steps(release.id, last or iso())


def _attach(args, command: str) -> tuple[Journal, object, dict, Release, TargetLock]:
    tables = runbook_tables()
    target, _spec = resolve_target(args.target, tables)
    journal = Journal.open(args.journal)
    release = journal.in_progress(target.name)
    if release is None:
        last = next(iter(journal.history(target.name, limit=1)), None)
        ended = f"; the last one, {last.id}, ended {last.verdict}" if last else ""
        raise UsageProblem(f"no release in progress on target {target.name}{ended}; start one with "
                           "`python -m release run`")
    lock = _lock(journal, target.name, release.id)
    journal.start_session(release.id, command)
    _close_dead_sessions(journal, release)
    return journal, target, tables, journal.release(release.id), lock


def resume(args) -> int:
    notify = announce.resolve(args.notify, args.no_notify)
    journal, target, tables, release, lock = _attach(args, "resume")
    ctx = None
    try:
        require_secrets(target, tables)
        settings = replace(Settings.for_target(target, tables), strategy=release.strategy)
        checkout = checkout_of(target, release.options.get("app_repo"))
        _sha, _source, wanted = _inputs(args, tables, target, checkout, release.sha)
        ctx = _context(journal, target, tables, settings, checkout, release, wanted, notify)
        was = release.state
        journal.update_release(release.id, state="running", verdict=None, exit_code=None)
        journal.event(release.id, "resume", f"{was} at {release.current_step}; pid {os.getpid()}")
        ctx.refresh()
        ctx.progress.line(f"resuming release {release.id} ({release.sha[:12]} to {target.name}) at "
                          f"{release.current_step or 'its first step'} ({was})")
        return conductor.drive(ctx)
    finally:
        journal.end_session()
        lock.release()
        if ctx is not None:
            ctx.close()


def abandon(args) -> int:
    notify = announce.resolve(args.notify, args.no_notify)
    journal, target, _tables, release, lock = _attach(args, "abandon")
    try:
        journal.update_release(release.id, state="ended", verdict="ABANDONED", exit_code=None, ended_at=iso(),
                               reason=f"abandoned at {release.current_step or '-'} ({release.state}) by pid "
                                      f"{os.getpid()} on {socket.gethostname()}; nothing more was done")
        journal.event(release.id, "abandon", f"{release.state} at {release.current_step}")
        path = page.write(journal, release.id)
        print(f"ABANDONED: release {release.id} on {target.name} at {release.current_step or '-'}; page {path}")
        progress = Progress(secrets=secrets_of(target) + list(notify.secrets if notify else ()))
        if announce.send_end(journal, release.id, notify, progress.mask, progress.line):
            page.write(journal, release.id)
        return 0
    finally:
        journal.end_session()
        lock.release()


def default_reports() -> str:
    return str(DEFAULT_REPORTS)


def default_history() -> str:
    return str(DEFAULT_HISTORY)
