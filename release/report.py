"""`status` and `history`: the journal's view of a target's releases, as text or JSON (release/view.py)."""
from __future__ import annotations

import json
from pathlib import Path

from release.context import UsageProblem, runbook_tables
from release.journal import Journal, Release
from release.progress import seconds
from release.view import build, rolled_back_word

WIDTHS = (17, 12, 13, 25, 25, 10)


def target_name(spec: str) -> str:
    """The target's name as `load_target` gives it, without loading it (status works with the sandbox down)."""
    if spec.endswith(".toml") or "/" in spec:
        return Path(spec).stem
    targets = runbook_tables().get("targets", {})
    if spec not in targets:
        raise UsageProblem(f"--target {spec!r} is not a target of runbook.toml; use one of {', '.join(targets)} or "
                           "a PATH.toml")
    return spec


def _short(text: str | None, width: int = 100) -> str:
    line = (text or "").splitlines()[0] if text else ""
    return line if len(line) <= width else line[: width - 3] + "..."


def status_text(view: dict) -> list[str]:
    t = view["timing"]
    lines = [f"release {view['id']} on {view['target']}: {view['verdict'] or view['state'].upper()} "
             f"(state {view['state']}{', exit ' + str(view['exit_code']) if view['exit_code'] is not None else ''})",
             f"  commit {view['sha']}, tag {view['tag']}, strategy {view['strategy']}, "
             f"rollback {view['rollback_mode']}",
             f"  started {view['started_at']}, ended {view['ended_at'] or '-'}"]
    if view["reason"]:
        lines.append(f"  {_short(view['reason'], 160)}")
    lines.append(f"  {'step':<{WIDTHS[0]}}{'state':<{WIDTHS[1]}}{'outcome':<{WIDTHS[2]}}{'start':<{WIDTHS[3]}}"
                 f"{'end':<{WIDTHS[4]}}{'duration':<{WIDTHS[5]}}detail")
    for step in view["attempts"]:
        name = f"{step['letter']} {step['name']}" + (f" #{step['attempt']}" if step["attempt"] > 1 else "")
        lines.append(f"  {name:<{WIDTHS[0]}}{step['state']:<{WIDTHS[1]}}{(step['outcome'] or '-'):<{WIDTHS[2]}}"
                     f"{step['started_at']:<{WIDTHS[3]}}{(step['ended_at'] or '-'):<{WIDTHS[4]}}"
                     f"{seconds(step['duration_s']):<{WIDTHS[5]}}{_short(step['detail'])}")
        if step["verdict_json"] or step["report_html"]:
            lines.append(f"  {'':<{WIDTHS[0]}}verdict {step['verdict_json'] or '-'}")
            lines.append(f"  {'':<{WIDTHS[0]}}report  {step['report_html'] or '-'}")
    if view["migrations_applied"]:
        lines.append("  migrations applied: " + ", ".join(m["name"] for m in view["migrations_applied"]))
    env = [f"{service} {action} {', '.join(keys)}" for service, actions in view["env_diff"].items()
           for action, keys in actions.items() if keys]
    if env:
        lines.append("  env diff (keys only): " + "; ".join(env))
    rolled = view["rolled_back"]
    if rolled and rolled.get("triggered"):
        lines.append(f"  rollback ({rolled.get('mode')}): " + "; ".join(
            f"{a.get('status')} {a.get('name')}" for a in rolled.get("actions", [])))
    lines.append(f"  time: wall {seconds(t['wall_s'])}, active {seconds(t['active_s'])}: stages "
                 f"{seconds(t['stages_s'])}, provider waits {seconds(t['provider_waits_s'])}, "
                 f"soak {seconds(t['soak_s'])}, outside them {seconds(t['outside_s'])} "
                 f"({t['outside_share'] * 100:.1f} % of the active time)")
    lines.append(f"  release page: {view['page']}")
    return lines


def status(journal: Journal, spec: str, as_json: bool) -> tuple[int, str]:
    name = target_name(spec)
    release = journal.in_progress(name) or next(iter(journal.history(name, limit=1)), None)
    if release is None:
        return 0, json.dumps({"target": name, "release": None}) if as_json else f"no release on target {name} yet"
    view = build(journal, release)
    return 0, json.dumps(view, indent=2, default=str) if as_json else "\n".join(status_text(view))


def history_row(release: Release) -> dict:
    return {"id": release.id, "sha": release.sha, "started": release.started_at, "ended": release.ended_at,
            "verdict": release.verdict or release.state, "rolled_back": rolled_back_word(release),
            "state": release.state}


def history(journal: Journal, spec: str, as_json: bool) -> tuple[int, str]:
    name = target_name(spec)
    rows = [history_row(r) for r in journal.history(name)]
    if as_json:
        return 0, json.dumps({"target": name, "releases": rows}, indent=2)
    if not rows:
        return 0, f"no release on target {name} yet"
    return 0, "\n".join(f"{r['id']}  {r['sha'][:12]}  started {r['started']}  ended {r['ended'] or '-':<24}  "
                        f"{r['verdict']:<12}  rolled back: {r['rolled_back']}" for r in rows)
