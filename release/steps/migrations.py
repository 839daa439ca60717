"""Release step B (runbook 5.B.1): the release commit's pending migrations, applied in order, one at a time.

Pending: a migration file of the commit whose version and name the Supabase list both lack. Each is applied
through the Management API's apply-migration endpoint and recorded; the list is then read again and every
one must be on it. A migration already listed is never applied again; nothing here ever goes down.
"""
from __future__ import annotations

from release.checkout import MigrationFile, is_listed, pending_migrations
from release.context import Context
from release.journal import Step
from release.steps.base import Result, effect


def pending(ctx: Context) -> tuple[list[MigrationFile], list]:
    files = ctx.checkout.migration_files(ctx.sha)
    remote = ctx.supabase.list_migrations(ctx.target.supabase_project_ref)
    return pending_migrations(files, remote), remote


def run(ctx: Context, step: Step) -> Result:
    ref = ctx.target.supabase_project_ref
    todo, remote = pending(ctx)
    files = ctx.checkout.migration_files(ctx.sha)
    # A migration this release already applied (a resumed run) is on the list now: say so, never re-apply.
    intended = {e.subject for e in ctx.journal.effects(ctx.release.id, step="migrations")}
    already = [f.name for f in files if is_listed(f, remote) and f.name in intended]
    applied = []
    for number, migration in enumerate(todo, 1):
        sql = ctx.checkout.show(ctx.sha, migration.path)
        if sql is None:
            return Result.failed(f"{migration.path} vanished from commit {ctx.sha[:12]}")
        ctx.progress.line(f"    migration {number}/{len(todo)}: applying {migration.name} ({migration.version})")
        effect(ctx, step, "migration_applied", migration.name, ref,
               lambda m=migration, q=sql: ctx.supabase.apply_migration(ref, m.name, q), ref=lambda _, m=migration:
               m.version)
        applied.append(migration.name)
    listed = ctx.supabase.list_migrations(ref)
    missing = [f.name for f in todo if not is_listed(f, listed)]
    evidence = {"applied": applied, "already_applied": already, "files": [f.name for f in files],
                "remote_count": len(listed)}
    if missing:
        return Result.failed(f"applied but not in the migration list: {', '.join(missing)}; check Supabase's "
                             "migration history", evidence)
    if not todo:
        return Result.done(f"no pending migration ({len(files)} in the commit, all listed)", evidence)
    return Result.done(f"applied {len(applied)} migration(s): {', '.join(applied)}; the list holds them", evidence)


def plan(ctx: Context) -> list[str]:
    todo, _ = pending(ctx)
    if not todo:
        return ["no pending migration"]
    return [f"apply migration {m.name} ({m.version})" for m in todo] + ["re-read the migration list"]
