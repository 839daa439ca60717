"""The MCP server: the runbook's tools on the official SDK (`mcp` 2.x, `MCPServer`), each a thin wrapper that
checks its arguments through the workspace, calls the module that does the work, and masks what it answers.

A tool that changes anything (`run_stage`, `release_resume`, `release_abandon`) takes `confirm` and refuses a
production target without `confirm: true`; `release_abandon`, which cannot be undone, asks for it everywhere.
Bad input and refusals are tool errors of one line naming the argument, the value and the fix. The tools:
docs/mcp.md; what the SDK does with them: docs/providers.md#python-mcp-sdk.
"""
from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from gonogo import EXIT_USAGE, STAGES
from gonogo_mcp import jobs as running
from gonogo_mcp import lookup, releases, runs
from gonogo_mcp.workspace import Problem, Workspace

INSTRUCTIONS = (
    "The production deployment runbook as tools: its criteria (list_criteria), one stage run through pytest and "
    "folded into GO / NO-GO / INCONCLUSIVE (run_stage), the verdicts runs and releases left (get_verdict, explain, "
    "plan_rollback) and the release conductor's journal (release_status, release_history, release_resume, "
    "release_abandon). A tool that changes anything refuses a production target without confirm: true."
)
DEFAULT_WAIT_S = 50.0
READ_ONLY = ToolAnnotations(readOnlyHint=True, openWorldHint=False)
Target = Annotated[str, Field(description="a target of runbook.toml [targets] (production, sandbox) or a PATH.toml")]
Confirm = Annotated[bool, Field(description="true to go ahead on a production target (required there)")]
Journal = Annotated[str | None, Field(description="the release journal: an SQLite file or a postgresql:// URL "
                                                  "(default .gonogo/releases.sqlite of the checkout)")]
WaitS = Annotated[float, Field(description="seconds to wait for the end before answering `running` (the run "
                                           "goes on; get_verdict or release_status follow it)", ge=0)]


def _version() -> str:
    try:
        return version("pytest-gonogo")
    except PackageNotFoundError:
        return "0"


def build_server(root: str | os.PathLike[str] | None = None, *, reports: str | os.PathLike[str] | None = None,
                 journal: str | None = None) -> MCPServer:
    """The server over the checkout at `root` (default: the one holding this package); Problem when it is not
    one. `reports` and `journal` default to the checkout's `reports/` and `.gonogo/releases.sqlite`."""
    ws = Workspace.open(root, reports, journal)
    jobs = running.Jobs()

    @asynccontextmanager
    async def session(_server: MCPServer) -> AsyncIterator[dict]:
        try:
            yield {}
        finally:  # a run still going when its session ends stops with it (and with the server)
            await anyio.to_thread.run_sync(jobs.stop_all)

    server = MCPServer("gonogo", version=_version(), instructions=INSTRUCTIONS, lifespan=session)

    def answer(work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """The work's answer masked; a Problem as a tool error of one masked line."""
        try:
            return ws.mask(work())
        except Problem as exc:
            raise ToolError(ws.mask(str(exc))) from None

    async def progress_to(ctx: Context, elapsed: float, line: str) -> None:
        await ctx.report_progress(elapsed, None, ws.mask(f"{elapsed:g} s: {line}" if line else f"{elapsed:g} s"))

    @server.tool(annotations=READ_ONLY)
    def list_criteria(stage: Annotated[str | None, Field(description="only this stage's criteria")] = None
                      ) -> dict[str, Any]:
        """Every criterion of runbook.toml: id, title, stage, go/no-go number (section 8), blocking, rollback
        scopes and abort, in runbook order."""
        def work() -> dict[str, Any]:
            wanted = runs.check_stage(stage) if stage else None
            rows = [{"id": c.id, "title": c.title, "stage": c.stage, "go_no_go": c.go_no_go, "blocking": c.blocking,
                     "rollback": list(c.rollback), "abort": c.abort}
                    for c in ws.runbook.criteria.values() if wanted in (None, c.stage)]
            return {"runbook": str(ws.runbook.path), "stages": list(STAGES), "count": len(rows), "criteria": rows}
        return answer(work)

    @server.tool(annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False, openWorldHint=True))
    async def run_stage(stage: Annotated[str, Field(description=f"one of {', '.join(STAGES)}")], target: Target,
                        ctx: Context, confirm: Confirm = False,
                        soak_duration_s: Annotated[float | None, Field(description="the soak window (default: the "
                                                                       "target's soak_duration_s)")] = None,
                        release_sha: Annotated[str | None, Field(description="the commit the deploys must be "
                                                                 "(render-live, vercel-ready)")] = None,
                        app_repo: Annotated[str | None, Field(description="the app checkout the predeploy code "
                                                              "gates run in (default: the target's)")] = None,
                        wait_s: WaitS = DEFAULT_WAIT_S) -> dict[str, Any]:
        """Run one stage of the runbook on a target (`pytest -m STAGE --target T --rollback plan`, as the release
        conductor runs a stage) and answer its verdict: GO / NO-GO / INCONCLUSIVE, exit code, reasons, each
        criterion's status, the rollback it planned (never run), the report paths under reports/mcp/<run id>/.
        Smoke and postdeploy write test data (cleaned up): on production it needs confirm: true."""
        try:
            job = runs.start_stage(ws, jobs, stage, target, confirm=confirm, soak_duration_s=soak_duration_s,
                                   release_sha=release_sha, app_repo=app_repo)
        except Problem as exc:
            raise ToolError(ws.mask(str(exc))) from None
        await running.wait(job, min(wait_s, job.bound_s), lambda s, line: progress_to(ctx, s, line))
        result = answer(lambda: runs.answer(ws, jobs, job.id))
        if result.get("exit_code") == EXIT_USAGE and "verdict" not in result:
            raise ToolError(ws.mask(f"run_stage {stage} on {target}: pytest refused the run: "
                                    f"{result.get('problem', 'see ' + str(job.output))}"))
        return result

    @server.tool(annotations=READ_ONLY)
    def get_verdict(id: Annotated[str, Field(description="a run id of run_stage, a release id, 'latest', or a "
                                             "verdict.json path")] = lookup.LATEST,
                    journal: Journal = None) -> dict[str, Any]:
        """A verdict summary: a run's (with its state while it goes on), each stage's of a release, or the newest
        one under reports/ ('latest'): word, exit code, reasons, warnings, criteria, rollback, report paths."""
        return answer(lambda: lookup.get_verdict(ws, jobs, id, journal))

    @server.tool(annotations=READ_ONLY)
    def explain(criterion: Annotated[str, Field(description="a criterion id of runbook.toml, e.g. health-public")],
                target: Annotated[str | None, Field(description="the target whose rollback actions to show "
                                                    "(default: the one its last run judged, else production)")]
                = None, journal: Journal = None) -> dict[str, Any]:
        """One criterion: what the runbook says of it, its last outcome (the newest verdict holding it: status,
        each test, the failing tests' messages and evidence), and what rolls back if it fails (its scopes and the
        section 7 actions they are)."""
        return answer(lambda: lookup.explain(ws, criterion, target, journal))

    @server.tool(annotations=READ_ONLY)
    def plan_rollback(id: Annotated[str, Field(description="a run id, a release id, 'latest', or a verdict.json "
                                               "path")] = lookup.LATEST, journal: Journal = None) -> dict[str, Any]:
        """The rollback a verdict planned, ran or withheld: mode, scopes, the criteria that chose them and each
        action with its status and detail; for a release, what it rolled back and each stage's section."""
        return answer(lambda: lookup.plan_rollback(ws, jobs, id, journal))

    @server.tool(annotations=READ_ONLY)
    def release_status(target: Target = "sandbox", journal: Journal = None) -> dict[str, Any]:
        """The target's current or last release (`python -m release status`): step by step, the stages'
        verdicts and reports, migrations, env diff (key names only), rollback, time, the release page."""
        return answer(lambda: releases.status(ws, target, journal))

    @server.tool(annotations=READ_ONLY)
    def release_history(target: Target = "sandbox", journal: Journal = None,
                        limit: Annotated[int, Field(description="at most this many, newest first")] = 20
                        ) -> dict[str, Any]:
        """The target's releases, newest first (`python -m release history`): id, commit, start, end, verdict,
        rolled back."""
        return answer(lambda: releases.history(ws, target, journal, limit))

    @server.tool(annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=True, openWorldHint=True))
    async def release_resume(target: Target, ctx: Context, confirm: Confirm = False, journal: Journal = None,
                             wait_s: WaitS = DEFAULT_WAIT_S) -> dict[str, Any]:
        """Continue the target's held or interrupted release where its journal says (`python -m release
        resume`): it runs the remaining steps (deploys, stages, rollback on NO-GO). On production it needs
        confirm: true."""
        try:
            job, release_id = releases.start_resume(ws, jobs, target, confirm=confirm, journal=journal)
        except Problem as exc:
            raise ToolError(ws.mask(str(exc))) from None
        await running.wait(job, min(wait_s, job.bound_s), lambda s, line: progress_to(ctx, s, line))
        return answer(lambda: releases.resume_answer(ws, job, release_id, target, journal))

    @server.tool(annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=True, openWorldHint=False))
    def release_abandon(target: Target, confirm: Annotated[bool, Field(description="true to end the release "
                                                                       "(required on every target)")] = False,
                        journal: Journal = None) -> dict[str, Any]:
        """End the target's held or interrupted release, recorded (`python -m release abandon`); it cannot be
        resumed after, so it needs confirm: true on every target."""
        return answer(lambda: releases.abandon(ws, target, confirm=confirm, journal=journal))

    return server
