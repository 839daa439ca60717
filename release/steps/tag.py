"""Release step A (runbook 5.A.1, 5.A.3): the app checkout is clean and holds the commit; the tag is on it."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from release.checkout import Checkout
from release.context import Context, UsageProblem
from release.journal import Step
from release.steps.base import Result, effect


def check_checkout(checkout: Checkout, sha: str) -> None:
    """A clean checkout holding the commit (bad input otherwise: exit 4, before anything is written)."""
    checkout.require_repository()
    if checkout.resolve(sha) is None:
        raise UsageProblem(f"--sha {sha}: not a commit of the app checkout {checkout.path}; fetch it "
                           f"(git -C {checkout.path} fetch) or give a commit it holds")
    dirty = checkout.dirty()
    if dirty:
        raise UsageProblem(f"app checkout {checkout.path} has uncommitted changes ({len(dirty)} path(s), e.g. "
                           f"{dirty[0]}); commit or stash them, the release tags what is committed")


def release_tags(ctx: Context) -> list[str]:
    pattern = re.compile(ctx.tables.get("release", {}).get("tag_pattern", r"^release-\d{8}-\d{4}$"))
    return [t for t in ctx.checkout.tags_at(ctx.sha) if pattern.match(t)]


def free_tag(checkout: Checkout, wanted: str) -> str | None:
    """`wanted`, or the first later minute's name no other commit holds (a release right after another in the
    same minute, e.g. a fix after a NO-GO); the name keeps the `release-YYYYMMDD-HHMM` pattern."""
    when = datetime.strptime(wanted, "release-%Y%m%d-%H%M")
    for minutes in range(60):
        name = f"release-{when + timedelta(minutes=minutes):%Y%m%d-%H%M}"
        if checkout.tag_commit(name) is None:
            return name
    return None


def push_hint(ctx: Context, tag: str) -> str:
    return f"pushing it is the operator's git: git -C {ctx.checkout.path} push origin {tag}"


def run(ctx: Context, step: Step) -> Result:
    check_checkout(ctx.checkout, ctx.sha)
    existing = release_tags(ctx)
    if existing:
        tag = ctx.release.tag if ctx.release.tag in existing else existing[0]
        ctx.journal.update_release(ctx.release.id, tag=tag)
        return Result.done(f"tag {tag} already on {ctx.sha[:12]}; {push_hint(ctx, tag)}",
                           {"tag": tag, "created": False, "checkout": str(ctx.checkout.path)})
    tag = free_tag(ctx.checkout, ctx.release.tag)
    if tag is None:
        return Result.failed(f"tag {ctx.release.tag} and the hour after it already name other commits; delete "
                             "the stale ones")
    if tag != ctx.release.tag:
        ctx.journal.update_release(ctx.release.id, tag=tag)
    effect(ctx, step, "tag_created", tag, str(ctx.checkout.path), lambda: ctx.checkout.create_tag(tag, ctx.sha),
           ref=lambda _: ctx.sha)
    return Result.done(f"tag {tag} created on {ctx.sha[:12]}; {push_hint(ctx, tag)}",
                       {"tag": tag, "created": True, "checkout": str(ctx.checkout.path)})


def plan(ctx: Context) -> list[str]:
    existing = release_tags(ctx)
    if existing:
        return [f"tag {existing[0]} is already on {ctx.sha[:12]}: kept"]
    tag = free_tag(ctx.checkout, ctx.release.tag)
    return [f"create tag {tag} on {ctx.sha[:12]} in {ctx.checkout.path} (pushing it is the operator's git)"]
