"""One view of a release, built from the journal: what `status` prints, `status --json` writes and the release
page shows (the same value for all three).

Time: the wall time runs from the start to the end (or now); the active time is what the processes driving
the release ran (sessions), so a held or killed release's idle gap is not counted. Of the active time: the
stages (pytest runs, the soak apart), the provider waits (deploys settling), the soak, and what is left: the
conductor's own share.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from gonogo.verdict import Verdict
from gonogo.view import VerdictView
from release.journal import Journal, Release, Step, now, parse_iso
from release.steps import BY_NAME

STAGES = ("predeploy", "smoke", "postdeploy")


def _seconds(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return round((parse_iso(end) - parse_iso(start)).total_seconds(), 3)


def page_path(release: Release) -> Path:
    return Path(release.release_dir) / "release.html"


def comparison_of(verdict_json: str | None) -> dict | None:
    """A stage's measures against the last GO on the target, as gonogo's view words them (None: nothing measured).

    Read from the stage's verdict.json, so the page shows what the stage's own report shows.
    """
    if not verdict_json:
        return None
    try:
        verdict = Verdict.from_json(json.loads(Path(verdict_json).read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # gone, or not a verdict this version reads: the stage's own report still says it
    comparison = VerdictView.of(verdict).comparison
    return None if comparison is None else asdict(comparison)


def step_view(step: Step) -> dict:
    spec = BY_NAME.get(step.name)
    evidence = step.evidence
    return {
        "name": step.name, "letter": spec.letter if spec else "?", "title": spec.title if spec else "",
        "runbook_lines": spec.lines if spec else "", "attempt": step.attempt, "state": step.state,
        "outcome": step.outcome, "started_at": step.started_at, "ended_at": step.ended_at,
        "duration_s": _seconds(step.started_at, step.ended_at), "waited_s": step.waited_s,
        "detail": step.detail or "", "verdict_json": evidence.get("verdict_json"),
        "report_html": evidence.get("report_html"), "junit_xml": evidence.get("junit_xml"),
        "output": evidence.get("output"), "verdict": evidence.get("verdict"), "evidence": evidence,
    }


def timing(journal: Journal, release: Release, steps: list[Step]) -> dict:
    end = release.ended_at or now().isoformat()
    wall = _seconds(release.started_at, end) or 0.0
    active = 0.0
    for session in journal.sessions(release.id):
        active += _seconds(session["started_at"], session["ended_at"] or session["last_seen"]) or 0.0
    durations: dict[str, float] = {"stages": 0.0, "soak": 0.0, "provider_waits": 0.0}
    for step in steps:
        duration = _seconds(step.started_at, step.ended_at) or 0.0
        if step.name == "soak":
            durations["soak"] += duration
        elif step.name in STAGES:
            durations["stages"] += duration
        else:
            durations["provider_waits"] += step.waited_s
    active = max(active, sum(durations.values()))
    outside = max(0.0, active - sum(durations.values()))
    return {"wall_s": round(wall, 3), "active_s": round(active, 3),
            **{f"{k}_s": round(v, 3) for k, v in durations.items()},
            "outside_s": round(outside, 3), "outside_share": round(outside / active, 4) if active else 0.0}


def build(journal: Journal, release: Release) -> dict:
    """The release as one plain value (no env value anywhere: the journal holds none)."""
    steps = journal.steps(release.id)
    latest: dict[str, Step] = {}
    for step in steps:
        latest[step.name] = step
    effects = journal.effects(release.id)
    env_step = latest.get("env")
    env_diff: dict = {}
    for step in steps:  # every attempt's writes (a resumed env step finds the earlier ones done)
        if step.name == "env":
            for service, actions in step.evidence.get("diff", {}).items():
                for action, keys in actions.items():
                    env_diff.setdefault(service, {}).setdefault(action, [])
                    env_diff[service][action] += [k for k in keys if k not in env_diff[service][action]]
    return {
        "id": release.id, "target": release.target, "target_spec": release.target_spec, "sha": release.sha,
        "tag": release.tag, "strategy": release.strategy, "rollback_mode": release.rollback,
        "options": release.options, "state": release.state, "verdict": release.verdict,
        "exit_code": release.exit_code, "reason": release.reason, "rolled_back": release.rolled_back,
        "current_step": release.current_step, "started_at": release.started_at, "ended_at": release.ended_at,
        "release_dir": release.release_dir, "page": str(page_path(release)),
        # A stage's latest attempt also carries its comparison with the last GO (read from its verdict.json).
        "steps": [{**(v := step_view(s)), "comparison": comparison_of(v["verdict_json"])} for s in _ordered(latest)],
        "attempts": [step_view(s) for s in steps],
        "migrations_applied": [{"name": e.subject, "version": e.ref, "state": e.state} for e in effects
                               if e.kind == "migration_applied"],
        "env_diff": env_diff, "env_written": bool(env_step and env_step.evidence.get("written")),
        "effects": [{"step": e.step, "kind": e.kind, "scope": e.scope, "subject": e.subject, "ref": e.ref,
                     "state": e.state, "at": e.applied_at or e.intended_at} for e in effects],
        "events": journal.events(release.id), "timing": timing(journal, release, steps),
    }


def _ordered(latest: dict[str, Step]) -> list[Step]:
    return sorted(latest.values(), key=lambda s: s.seq)


def rolled_back_word(release: Release) -> str:
    rolled = release.rolled_back or {}
    if not rolled.get("triggered"):
        return "no"
    statuses = {a.get("status") for a in rolled.get("actions", [])}
    if rolled.get("mode") == "plan":
        return "planned"
    return "failed" if "failed" in statuses else "yes"
