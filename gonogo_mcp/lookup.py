"""`get_verdict`, `plan_rollback` and `explain`: from an id (a run of these tools, a release of the journal,
`latest`, a verdict.json path) or a criterion to the verdicts that answer it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from gonogo_mcp import releases, runs, verdicts
from gonogo_mcp.jobs import Jobs
from gonogo_mcp.workspace import Problem, Workspace
from release.journal import shown_url

LATEST = "latest"


def _target_spec_of(ws: Workspace, one: verdicts.Found, journal: str | None) -> str | None:
    """The target the run that wrote this verdict judged, as a spec that loads it again."""
    if one.kind == "run":
        return runs.record_of(one.path.parent).get("target_spec")
    if one.kind == "release":
        about = releases.verdicts_of(ws, one.ref, journal)
        return about["release"]["target_spec"] if about else None
    name = one.data.get("target")
    return name if name in ws.tables.get("targets", {}) else None


def _unknown(ws: Workspace, ident: str, journal: str | None) -> Problem:
    newest = ", ".join(runs.run_ids(ws)[:5]) or "none yet"
    return Problem(f"id {ident!r} is not a run under {ws.runs_dir} (newest: {newest}), a release of the journal "
                   f"{shown_url(releases.journal_spec(ws, journal))}, {LATEST!r} or a verdict.json path; "
                   "release_history lists the releases")


def _locate(ws: Workspace, ident: str, journal: str | None) -> tuple[str, Any]:
    """("run", run id) | ("release", its verdicts) | ("file", Found)."""
    ident = ident.strip() or LATEST
    if ident == LATEST:
        one = verdicts.newest(ws)
        if one is None:
            raise Problem(f"id {LATEST!r}: no verdict under {ws.reports} yet; run_stage runs a stage")
        return "file", one
    if runs.is_run_id(ident) and (ws.runs_dir / ident).is_dir():
        return "run", ident
    about = releases.verdicts_of(ws, ident, journal)
    if about is not None:
        return "release", about
    path = Path(ident).expanduser()
    path = path if path.is_absolute() else ws.root / path
    if path.suffix == ".json" and path.is_file():
        data = verdicts.read(path)
        if data is None:
            raise Problem(f"id {ident}: not a gonogo verdict.json (no gonogo.verdict schema); give a verdict file")
        return "file", verdicts.found(ws, path.resolve(), data)
    raise _unknown(ws, ident, journal)


def get_verdict(ws: Workspace, jobs: Jobs, ident: str, journal: str | None) -> dict[str, Any]:
    kind, what = _locate(ws, ident, journal)
    if kind == "run":
        return runs.answer(ws, jobs, what)
    if kind == "release":
        return {"release": what["release"],
                "stages": [{"stage": s["stage"], "attempt": s["attempt"], "step_outcome": s["outcome"],
                            **verdicts.summary(s["data"], s["path"])} for s in what["stages"]]}
    ws.learn_spec(_target_spec_of(ws, what, journal))
    return {"source": what.source, **verdicts.summary(what.data, what.path)}


def plan_rollback(ws: Workspace, jobs: Jobs, ident: str, journal: str | None) -> dict[str, Any]:
    kind, what = _locate(ws, ident, journal)
    if kind == "release":
        return {"release": what["release"], "rolled_back": what["rolled_back"],
                "stages": [{"stage": s["stage"], "attempt": s["attempt"], "verdict": s["data"].get("verdict"),
                            "rollback": verdicts.rollback_view(s["data"])} for s in what["stages"]]}
    if kind == "run":
        run = runs.answer(ws, jobs, what)
        path = ws.runs_dir / what / verdicts.VERDICT
        data = verdicts.read(path) if run["state"] != "running" else None
        if data is None:
            raise Problem(f"run {what}: no verdict ({run['state']}); its rollback is known once it has one")
        return {"source": f"run {what}", "verdict": data.get("verdict"), "verdict_json": str(path),
                "rollback": verdicts.rollback_view(data)}
    ws.learn_spec(_target_spec_of(ws, what, journal))
    return {"source": what.source, "verdict": what.data.get("verdict"), "verdict_json": str(what.path),
            "rollback": verdicts.rollback_view(what.data)}


def explain(ws: Workspace, criterion_id: str, target: str | None, journal: str | None) -> dict[str, Any]:
    criterion = verdicts.criterion_of(ws, criterion_id)
    one = verdicts.newest(ws, criterion.id)
    spec = target or (_target_spec_of(ws, one, journal) if one is not None else None)
    if one is not None:
        ws.learn_spec(spec)
    about = {"id": criterion.id, "title": criterion.title, "stage": criterion.stage, "go_no_go": criterion.go_no_go,
             "blocking": criterion.blocking, "abort": criterion.abort, "rollback": list(criterion.rollback)}
    last: dict[str, Any] | None = verdicts.last_outcome(one, criterion.id) if one is not None else None
    return {"criterion": about,
            "last": last or {"status": "never judged", "note": f"no verdict under {ws.reports} holds it; "
                             f"run_stage({criterion.stage!r}, target) judges it"},
            "rollback": verdicts.would_roll_back(ws, criterion, spec, given=bool(target))}
