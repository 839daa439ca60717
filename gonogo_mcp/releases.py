"""The release tools: `status` and `history` read in process through the release CLI's own functions
(`release/report.py`, `release/view.py`); `resume` and `abandon` run as `python -m release` itself, bounded, so
the journal, the lock and the release page behave exactly as on the command line.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gonogo import EXIT_USAGE, redact_text
from gonogo_mcp import runs, verdicts
from gonogo_mcp.jobs import Job, Jobs
from gonogo_mcp.workspace import Problem, Workspace, argument_words
from release import report
from release.context import UsageProblem
from release.journal import Journal, JournalError, Release, iso, shown_url
from release.steps.stage import stage_bound_s
from release.view import build, rolled_back_word

ABANDON_TIMEOUT_S = 120.0
EXIT_WORDS = {0: "GO", 1: "NO-GO", 4: "usage error", 6: "NO-GO, a rollback action failed",
              7: "held (INCONCLUSIVE): release_resume runs the step again, release_abandon ends it"}
_POSTGRES = ("postgresql:", "postgres:", "postgresql+")


def journal_spec(ws: Workspace, journal: str | None) -> str:
    if not journal:
        return ws.journal
    if journal.startswith(_POSTGRES):
        return journal
    path = Path(journal).expanduser()
    return str(path if path.is_absolute() else ws.root / path)


@contextmanager
def opened(ws: Workspace, journal: str | None) -> Iterator[Journal | None]:
    """The journal, or None when its SQLite file does not exist yet (no release was ever run with it): reading
    never creates one."""
    spec = journal_spec(ws, journal)
    if not spec.startswith(_POSTGRES) and not Path(spec).is_file():
        yield None
        return
    try:
        opened_journal = Journal.open(spec)
    except JournalError as exc:
        raise Problem(argument_words(str(exc), "journal")) from None
    try:
        yield opened_journal
    finally:
        opened_journal.close()


def _target_name(spec: str) -> str:
    try:
        return report.target_name(spec)
    except UsageProblem as exc:
        raise Problem(argument_words(str(exc), "target")) from None


def status(ws: Workspace, target: str, journal: str | None) -> dict[str, Any]:
    """`python -m release status --json` and its text, for the target's current or last release."""
    spec = ws.target_spec(target)
    name = _target_name(spec)
    ws.learn_spec(spec)
    shown = shown_url(journal_spec(ws, journal))
    with opened(ws, journal) as j:
        if j is None:
            return {"target": name, "journal": shown, "release": None, "summary": [f"no release on target {name} yet"]}
        _code, text = report.status(j, spec, True)
    view = json.loads(text)
    if view.get("release", True) is None:
        return {"target": name, "journal": shown, "release": None, "summary": [f"no release on target {name} yet"]}
    ws.learn_spec(view.get("target_spec"))
    return {"target": name, "journal": shown, "summary": report.status_text(view), "release": view}


def history(ws: Workspace, target: str, journal: str | None, limit: int) -> dict[str, Any]:
    """`python -m release history --json`: one row per release of the target, newest first."""
    if limit < 1:
        raise Problem(f"limit {limit} must be 1 or more")
    spec = ws.target_spec(target)
    name = _target_name(spec)
    with opened(ws, journal) as j:
        rows = json.loads(report.history(j, spec, True)[1])["releases"] if j is not None else []
    return {"target": name, "journal": shown_url(journal_spec(ws, journal)), "count": len(rows),
            "releases": rows[:limit]}


def _in_progress(ws: Workspace, journal: str | None, name: str) -> Release:
    with opened(ws, journal) as j:
        release = j.in_progress(name) if j is not None else None
        last = next(iter(j.history(name, limit=1)), None) if j is not None and release is None else None
    if release is None:
        ended = f"; the last one, {last.id}, ended {last.verdict}" if last else ""
        raise Problem(f"target {name}: no release in progress in the journal "
                      f"{shown_url(journal_spec(ws, journal))}{ended}; release_history lists its releases")
    return release


def release_bound_s(ws: Workspace, release: Release) -> float:
    """What a resumed release may take at most: every stage's bound and a settle wait per deploy step."""
    thresholds = ws.tables.get("thresholds", {})
    soak = float(release.options.get("soak_duration", 1800))
    stages = sum(stage_bound_s(stage, thresholds, soak) for stage in ("predeploy", "smoke", "postdeploy", "soak"))
    return stages + 4 * float(thresholds.get("settle_timeout_s", 120)) + 600


def start_resume(ws: Workspace, jobs: Jobs, target: str, *, confirm: bool, journal: str | None) -> tuple[Job, str]:
    """Check, then start `python -m release resume` for the target's held or interrupted release."""
    resolved = ws.target(target)
    ws.require_confirmation("release_resume", resolved, confirm)
    release = _in_progress(ws, journal, resolved.name)
    spec = ws.target_spec(target)
    job_id, where = runs.new_run_dir(ws, "resume")
    argv = [sys.executable, "-m", "release", "resume", f"--target={spec}", f"--journal={journal_spec(ws, journal)}"]
    secrets = ws.secrets
    record = {"id": job_id, "kind": "release resume", "release_id": release.id, "target": resolved.name,
              "target_spec": spec, "production": ws.production(resolved), "started_at": iso(), "state": "running"}
    runs.write_record(where, record)

    def ended(job: Job) -> None:
        runs.write_record(where, {**record, "state": job.state, "exit_code": job.returncode, "ended_at": iso()})

    try:
        job = jobs.start(job_id, f"target {resolved.name}", argv, cwd=ws.root, where=where,
                         bound_s=release_bound_s(ws, release), mask=lambda text: redact_text(text, secrets),
                         on_end=ended)
    except Problem:
        shutil.rmtree(where, ignore_errors=True)
        raise
    return job, release.id


def resume_answer(ws: Workspace, job: Job, release_id: str, target: str, journal: str | None) -> dict[str, Any]:
    lines = list(job.tail)
    if job.state == "done" and job.returncode == EXIT_USAGE:
        raise Problem(f"release resume refused: {runs.usage_problem(lines).removeprefix('release: ')}")
    result: dict[str, Any] = {"job": job.id, "release_id": release_id, "state": job.state,
                              "exit_code": job.returncode, "output": str(job.output), "output_tail": lines[-20:]}
    if job.state == "running":
        result.update(elapsed_s=job.elapsed_s, next="the release goes on; release_status shows each step as it ends")
    else:
        result["outcome"] = EXIT_WORDS.get(job.returncode, f"exit {job.returncode}")
    result["status"] = status(ws, target, journal)["summary"]
    return result


def abandon(ws: Workspace, target: str, *, confirm: bool, journal: str | None) -> dict[str, Any]:
    """`python -m release abandon`: ends the target's held or interrupted release, recorded."""
    resolved = ws.target(target)
    ws.require_confirmation("release_abandon", resolved, confirm,
                            every_target="it ends the release for good (release_resume can no longer continue it)")
    release = _in_progress(ws, journal, resolved.name)
    argv = [sys.executable, "-m", "release", "abandon", f"--target={ws.target_spec(target)}",
            f"--journal={journal_spec(ws, journal)}"]
    try:
        done = subprocess.run(argv, cwd=ws.root, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              errors="replace", timeout=ABANDON_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise Problem(f"release abandon on target {resolved.name} did not end in {ABANDON_TIMEOUT_S:g} s; "
                      "release_status shows where the release is") from None
    lines = (done.stdout + done.stderr).splitlines()
    if done.returncode != 0:
        raise Problem(f"release abandon refused: {runs.usage_problem(lines).removeprefix('release: ')}")
    # The headline (then what became of each notification of it, `notify: ...`, in `output`).
    headline = next((line for line in lines if line.startswith("ABANDONED:")), lines[-1] if lines else "")
    return {"release_id": release.id, "exit_code": done.returncode, "result": headline, "output": lines,
            "status": status(ws, target, journal)["summary"]}


def verdicts_of(ws: Workspace, release_id: str, journal: str | None) -> dict[str, Any] | None:
    """A release of the journal and the verdict of each of its stages (None: no such release)."""
    with opened(ws, journal) as j:
        release = j.release(release_id) if j is not None else None
        if release is None:
            return None
        view = build(j, release)
    ws.learn_spec(release.target_spec)
    stages = []
    for step in view["steps"]:
        path = Path(step["verdict_json"]) if step.get("verdict_json") else None
        data = verdicts.read(path) if path is not None else None
        if data is not None:
            stages.append({"stage": step["name"], "attempt": step["attempt"], "outcome": step["outcome"],
                           "path": path, "data": data})
    about = {"id": release.id, "target": release.target, "target_spec": release.target_spec, "sha": release.sha,
             "state": release.state, "verdict": release.verdict, "exit_code": release.exit_code,
             "reason": release.reason, "rolled_back": rolled_back_word(release), "page": view["page"]}
    return {"release": about, "rolled_back": release.rolled_back, "stages": stages}
