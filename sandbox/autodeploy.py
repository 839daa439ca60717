"""Render auto-deploy: a new commit on the app checkout's `main` is deployed where autoDeploy is on.

The daemon polls the branch head (`git rev-parse refs/heads/main` in STATE/app_repo) every POLL_S; when it
moves, the new head (registered with the build of its `Sandbox-Build:` trailer, sandbox/checkout.py) is
deployed with trigger `new_commit` on every Render service whose autoDeploy is "yes", and on none where it
is "no" (docs/providers.md#render-service-update, #render-rollback: that is what an API rollback leaves on).
Only the newest head is deployed, as Render builds the latest commit of a push.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

from sandbox.checkout import CheckoutError, branch_head
from sandbox.render_model import RenderModel

POLL_S = 1.0


class AutoDeploy:
    """Watches one branch of the checkout and hands each new head to the Render model."""

    def __init__(self, render: RenderModel, repo: Path, log: Callable[[str], None]):
        self.render, self.repo, self.log = render, repo, log
        self.seen: str | None = None

    async def start(self) -> None:
        """Remember the head at boot (the release every service already runs)."""
        self.seen = await asyncio.to_thread(branch_head, self.repo)

    async def poll(self) -> list[str]:
        """One look at the branch; deploy a new head. Returns the names of the services deployed."""
        head = await asyncio.to_thread(branch_head, self.repo)
        if not head or head == self.seen:
            return []
        self.seen = head
        commit = await asyncio.to_thread(self.render.find_commit, head)
        if commit is None:
            self.log(f"auto-deploy: {head[:12]} on main could not be read; not deployed")
            return []
        names = [s.name for s in self.render.auto_deploy(commit)]
        self.log(f"auto-deploy: new commit {head[:12]} on main ({commit.message!r}) -> "
                 f"{', '.join(names) or 'no service (autoDeploy off everywhere)'}")
        return names

    async def run(self, stop: asyncio.Event) -> None:
        await self.start()
        while not stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), POLL_S)
            if stop.is_set():
                return
            try:
                await self.poll()
            except (CheckoutError, OSError) as exc:  # a git hiccup must not stop the watch
                self.log(f"auto-deploy: reading main failed: {exc}")
