"""`run_stage`: one stage of the runbook through pytest, as the release conductor runs a stage (its command line
and its bound, `release/steps/stage.py`), with its own reports under `reports/mcp/<run id>/` beside a `run.json`
saying what ran, on which target, and how it ended.
"""
from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gonogo import EXIT_USAGE, STAGES, redact_text
from gonogo_mcp import verdicts
from gonogo_mcp.jobs import Job, Jobs
from gonogo_mcp.workspace import Problem, Workspace
from release.journal import iso
from release.steps.stage import pytest_argv, stage_bound_s

RUN_RECORD = "run.json"
# A stage run from here plans its rollback on NO-GO and never runs it: rolling back is the operator's
# (`pytest --rollback auto`) or the release conductor's.
ROLLBACK = "plan"
_SHA = re.compile(r"[0-9a-fA-F]{7,40}")
_RUN_ID = re.compile(r"\d{8}-\d{6}-[a-z]+(-\d+)?")
OUTPUT_TAIL = 20


def check_stage(stage: str) -> str:
    if stage not in STAGES:
        raise Problem(f"stage {stage!r} is not a stage of the runbook; use one of {', '.join(STAGES)}")
    return stage


def is_run_id(text: str) -> bool:
    return bool(_RUN_ID.fullmatch(text))


def new_run_dir(ws: Workspace, what: str) -> tuple[str, Path]:
    """A new run id (`20261129-150102-smoke`, `-2` for a second one in that second) and its directory."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        run_id = f"{stamp}-{what}" + ("" if n == 1 else f"-{n}")
        where = ws.runs_dir / run_id
        try:
            where.mkdir(parents=True)
        except FileExistsError:
            continue
        return run_id, where
    raise Problem(f"reports {ws.runs_dir}: no free run directory for {stamp}-{what}; clean it up")


def write_record(where: Path, record: dict) -> None:
    (where / RUN_RECORD).write_text(json.dumps(record, indent=2))


def record_of(where: Path) -> dict:
    try:
        return json.loads((where / RUN_RECORD).read_text())
    except (OSError, ValueError):
        return {}


def start_stage(ws: Workspace, jobs: Jobs, stage: str, target_spec: str, *, confirm: bool,
                soak_duration_s: float | None, release_sha: str | None, app_repo: str | None) -> Job:
    """Check every argument, then start the stage's pytest run (Problem, and nothing started, otherwise)."""
    check_stage(stage)
    target = ws.target(target_spec)
    spec = ws.target_spec(target_spec)
    ws.require_confirmation("run_stage", target, confirm)
    if soak_duration_s is not None and soak_duration_s <= 0:
        raise Problem(f"soak_duration_s {soak_duration_s:g} must be more than 0 seconds (default: the target's "
                      f"{target.soak_duration_s:g})")
    if release_sha is not None and not _SHA.fullmatch(release_sha):
        raise Problem(f"release_sha {release_sha!r} is not a commit id; give 7 to 40 hex digits")
    repo = Path(app_repo).expanduser().resolve() if app_repo else None
    if repo is not None and not repo.is_dir():
        raise Problem(f"app_repo {app_repo}: no such directory; give the app checkout the code gates run in")
    key = f"target {target.name}"
    soak = float(soak_duration_s or target.soak_duration_s)
    run_id, where = new_run_dir(ws, stage)
    argv = pytest_argv(stage, spec, where, ROLLBACK, root=ws.root)
    if stage == "soak" or soak_duration_s is not None:
        argv.append(f"--soak-duration={soak:g}")
    if release_sha:
        argv.append(f"--release-sha={release_sha}")
    if repo is not None:
        argv.append(f"--app-repo={repo}")
    secrets = ws.secrets
    record = {"id": run_id, "stage": stage, "target": target.name, "target_spec": spec,
              "production": ws.production(target), "rollback": ROLLBACK, "release_sha": release_sha,
              "soak_duration_s": soak if stage == "soak" else None, "argv": redact_text(" ".join(argv), secrets),
              "started_at": iso(), "state": "running"}
    write_record(where, record)

    def ended(job: Job) -> None:
        write_record(where, {**record, "state": job.state, "exit_code": job.returncode, "ended_at": iso()})

    try:
        return jobs.start(run_id, key, argv, cwd=ws.root, where=where,
                          bound_s=stage_bound_s(stage, ws.tables.get("thresholds", {}), soak),
                          mask=lambda text: redact_text(text, secrets), on_end=ended)
    except Problem:
        shutil.rmtree(where, ignore_errors=True)
        raise


def _tail(path: Path) -> list[str]:
    try:
        return path.read_text(errors="replace").splitlines()[-OUTPUT_TAIL:]
    except OSError:
        return []


def usage_problem(lines: list[str]) -> str:
    """pytest's one line when it refused the run (exit 4: a missing secret, a bad option)."""
    return next((line for line in reversed(lines) if line.startswith("ERROR:")),
                next((line for line in reversed(lines) if line.strip()), "no output")).removeprefix("ERROR:").strip()


def answer(ws: Workspace, jobs: Jobs, run_id: str) -> dict[str, Any]:
    """A run: what ran, its state, and its verdict summary once it wrote one (else the end of its output)."""
    where = ws.runs_dir / run_id
    if not where.is_dir():
        raise Problem(f"run {run_id!r}: no such run under {ws.runs_dir}")
    record = record_of(where)
    ws.learn_spec(record.get("target_spec"))
    job = jobs.get(run_id)
    state = job.state if job else record.get("state", "unknown")
    if state == "running" and job is None:
        state = "interrupted"  # started by a server that is gone: the run died with it
    result: dict[str, Any] = {"run_id": run_id, "stage": record.get("stage"), "target": record.get("target"),
                              "target_spec": record.get("target_spec"), "state": state,
                              "started_at": record.get("started_at"), "ended_at": record.get("ended_at"),
                              "exit_code": job.returncode if job else record.get("exit_code")}
    if record.get("release_id"):  # a `release resume` started here: the release says the rest
        result.update(kind=record.get("kind"), release_id=record["release_id"])
    if job is not None and state == "running":
        result.update(elapsed_s=job.elapsed_s, last_line=job.last_line,
                      next=f"the run goes on (bound {job.bound_s:g} s); get_verdict({run_id!r}) gives its verdict "
                           "once it ends")
    if job is not None and job.timed_out:
        result["problem"] = f"the run passed its bound of {job.bound_s:g} s and was stopped; no verdict"
    data = verdicts.read(where / verdicts.VERDICT)
    if data is not None and state != "running":
        result["verdict"] = verdicts.summary(data, where / verdicts.VERDICT)
    elif state != "running":
        lines = _tail(where / "output.txt")
        if result["exit_code"] == EXIT_USAGE:
            result["problem"] = usage_problem(lines)
        result["output_tail"] = lines
        result["reports"] = verdicts.reports_of(where / verdicts.VERDICT)
    return result


def run_ids(ws: Workspace) -> list[str]:
    """The runs under reports/mcp, newest first."""
    if not ws.runs_dir.is_dir():
        return []
    return sorted((p.name for p in ws.runs_dir.iterdir() if p.is_dir() and is_run_id(p.name)), reverse=True)
