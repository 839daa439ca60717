"""The conductor without a sandbox: a release in a fresh journal, and its steps replaced by fakes."""

from __future__ import annotations

import io
from dataclasses import replace

from release import commands, conductor
from release import steps as registry
from release.context import Context, Settings, resolve_target, runbook_tables
from release.journal import Journal
from release.progress import Progress
from release.steps.base import Result


def make_context(target_file, tmp_path) -> Context:
    """A running release of the app checkout's `next` commit to the (fake) sandbox target, its output kept in
    `ctx.out`; the caller closes `ctx.journal`."""
    tables = runbook_tables()
    target, spec = resolve_target(str(target_file), tables)
    checkout = commands.checkout_of(target, None)
    sha = checkout.resolve("next")
    journal = Journal.open(str(tmp_path / "journal.sqlite"))
    draft = commands._new_release(target, spec, sha, {"soak_duration": 5.0}, "api", "auto", tmp_path / "reports")
    values = {k: getattr(draft, k) for k in ("id", "target", "target_spec", "sha", "tag", "strategy", "rollback",
                                             "options", "release_dir", "started_at")}
    journal.create_release(**values)
    journal.start_session(draft.id, "run")
    out = io.StringIO()
    context = Context(journal=journal, target=target, tables=tables, settings=Settings.for_target(target, tables),
                      checkout=checkout, progress=Progress(out), release=journal.release(draft.id))
    context.out = out
    return context


def fake_steps(monkeypatch, outcomes: dict[str, list[Result]]) -> list[str]:
    """Every step done, except those given: each run of them returns the next Result of its list. The names of
    the steps run, in order."""
    calls: list[str] = []

    def make(spec):
        def run(ctx, step):
            calls.append(spec.name)
            queue = outcomes.get(spec.name)
            return queue.pop(0) if queue else Result("done", "GO" if spec.stage else "done", f"{spec.name} ok")
        return replace(spec, run=run)

    monkeypatch.setattr(conductor, "STEPS", tuple(make(s) for s in registry.STEPS))
    return calls
