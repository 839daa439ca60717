"""A stage step: `python -m pytest -m STAGE` in a subprocess of its own, judged by the verdict.json it writes.

Each attempt has its own directory under the release's (`<stage>/`, then `<stage>-2/`...): verdict.json,
report.html, junit.xml and the run's output. The subprocess dies with the conductor (a `kill -9` of `run`
leaves no stage running), and its lines that matter (the verdict, the rollback, the soak's polls) are relayed.
"""
from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from gonogo import EXIT_GO, EXIT_INCONCLUSIVE, EXIT_NO_GO, EXIT_ROLLBACK_FAILED, EXIT_USAGE
from harness.progress import PREFIX
from release.context import DEFAULT_HISTORY, REPO_ROOT, Context
from release.journal import Step, iso
from release.progress import seconds
from release.steps.base import Result

HEARTBEAT_S = 5.0
SOAK_POLL = f"{PREFIX}soak:"


def die_with_parent() -> None:  # runs in the child before exec
    """The child gets SIGTERM when the thread that started it ends (Linux): start it from a thread that lives
    as long as the process driving it."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: a killed conductor leaves its stage to finish on its own


def attempt_dir(ctx: Context, stage: str, attempt: int) -> Path:
    return ctx.release_dir / (stage if attempt == 1 else f"{stage}-{attempt}")


def soak_since(ctx: Context, step: Step) -> str:
    """When the soak window opened: the first attempt's, so a resumed soak ends when it would have."""
    for earlier in ctx.journal.steps(ctx.release.id):
        if earlier.name == "soak" and earlier.evidence.get("soak_since"):
            return earlier.evidence["soak_since"]
    since = iso()
    ctx.journal.update_step(step, evidence={**step.evidence, "soak_since": since})
    return since


def pytest_argv(stage: str, target_spec: str, where: Path, rollback: str, *, root: Path = REPO_ROOT) -> list[str]:
    """`python -m pytest -m STAGE` on the runbook's suites, every report of the run under `where`."""
    # The root pytest.ini named (-c), and every path given as --opt=PATH: pytest picks its rootdir from path-like
    # arguments before the binding declares its options.
    return [sys.executable, "-m", "pytest", "-c", str(root / "pytest.ini"), f"--rootdir={root}",
            "-m", stage, f"--target={target_spec}", "-p", "no:cacheprovider",
            f"--verdict-json={where / 'verdict.json'}", f"--html={where / 'report.html'}", "--self-contained-html",
            f"--junitxml={where / 'junit.xml'}", f"--rollback={rollback}"]


def command(ctx: Context, stage: str, where: Path, *, app_repo: Path | None = None,
            since: str | None = None) -> list[str]:
    # The release sends one message per end state of its own (release/announce.py), none per stage.
    argv = pytest_argv(stage, ctx.release.target_spec, where, ctx.release.rollback) + [f"--release-sha={ctx.sha}",
                                                                                       "--no-notify"]
    # Kept verdicts: the stage compares its measures with the last GO on the target (a release journaled before
    # this option keeps the default, the one plain pytest runs use).
    argv.append(f"--gonogo-history={ctx.release.options.get('history') or DEFAULT_HISTORY}")
    if app_repo is not None:
        argv.append(f"--app-repo={app_repo}")
    if stage == "soak":
        argv += [f"--soak-duration={float(ctx.release.options['soak_duration']):g}", f"--soak-since={since}"]
    return argv + list(ctx.release.options.get("pytest_args", []))


def stage_bound_s(stage: str, thresholds: dict, soak_duration_s: float) -> float:
    """How long a stage's pytest run may take before it is stopped (its gates' and its soak's own bounds, plus
    room)."""
    if stage == "predeploy":
        return 6 * float(thresholds.get("gate_timeout_s", 900))
    if stage == "soak":
        return float(soak_duration_s) + 900
    return 1800.0


def bound_s(ctx: Context, stage: str) -> float:
    return stage_bound_s(stage, ctx.tables.get("thresholds", {}), float(ctx.release.options["soak_duration"]))


def _relay(ctx: Context, stage: str, line: str) -> None:
    text = line.rstrip()
    if text.startswith(SOAK_POLL):
        # The soak's own poll line (elapsed, left, last poll, what it saw: harness/progress.py), as it wrote it.
        ctx.progress.poll_text(text.removeprefix(PREFIX))
    elif text.startswith(("GO:", "NO-GO:", "INCONCLUSIVE:", "rollback", "ERROR:")):
        ctx.progress.line(f"    {stage}: {text}")


def execute(ctx: Context, stage: str, argv: list[str], where: Path) -> tuple[int | None, list[str]]:
    """Run the stage; its return code (None when it overran its bound) and its output lines (masked)."""
    where.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen(argv, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             errors="replace", env=env, start_new_session=True, preexec_fn=die_with_parent)
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in child.stdout] + [lines.put(None)], daemon=True)
    reader.start()
    deadline = time.monotonic() + bound_s(ctx, stage)
    output: list[str] = []
    beat = time.monotonic()
    try:
        with (where / "output.txt").open("w") as log:
            while True:
                try:
                    line = lines.get(timeout=1.0)
                except queue.Empty:
                    line = ""
                if line is None:
                    break
                if line:
                    masked = ctx.progress.mask(line)
                    log.write(masked)
                    log.flush()
                    output.append(masked.rstrip("\n"))
                    _relay(ctx, stage, masked)
                if time.monotonic() - beat > HEARTBEAT_S:
                    ctx.journal.touch()
                    beat = time.monotonic()
                if time.monotonic() > deadline:
                    os.killpg(child.pid, signal.SIGTERM)
                    child.wait(timeout=30)
                    return None, output
        return child.wait(), output
    except BaseException:
        # Ctrl-C or an error of ours: the stage must not outlive the conductor.
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
        raise


def charts_of(verdict: dict) -> list[dict]:
    """The SVG charts the stage's tests attached as evidence (the soak window's), for the release page."""
    return [{"criterion": c.get("id"), "title": e.get("title", ""), "path": e["path"]}
            for c in verdict.get("criteria", []) for t in c.get("tests", []) for e in t.get("evidence", [])
            if e.get("kind") == "file" and e.get("mime") == "image/svg+xml" and e.get("path")]


def judge(ctx: Context, stage: str, rc: int | None, output: list[str], where: Path) -> Result:
    """The step's result from the stage's exit code and verdict.json (docs/runbook.md#release-conductor)."""
    verdict_path = where / "verdict.json"
    verdict = None
    if verdict_path.is_file():
        try:
            verdict = json.loads(verdict_path.read_text())
        except ValueError:
            verdict = None
    word = verdict.get("verdict") if verdict else None
    evidence = {"stage": stage, "exit_code": rc, "verdict": word, "dir": str(where),
                "verdict_json": str(verdict_path) if verdict else None,
                "report_html": str(where / "report.html") if (where / "report.html").is_file() else None,
                "junit_xml": str(where / "junit.xml") if (where / "junit.xml").is_file() else None,
                "output": str(where / "output.txt")}
    if verdict:
        evidence["reasons"] = [ctx.progress.mask(r) for r in verdict.get("reasons", [])][:10]
        evidence["rollback"] = verdict.get("rollback")
        evidence["charts"] = charts_of(verdict)
    headline = next((line for line in output if line.startswith(("GO:", "NO-GO:", "INCONCLUSIVE:"))), "")
    reasons = "; ".join(evidence.get("reasons", [])[:3])
    if rc == EXIT_USAGE:
        problem = next((line for line in reversed(output) if line.startswith("ERROR:")),
                       next((line for line in reversed(output) if line.strip()), "no output"))
        return Result("failed", "usage", problem.removeprefix("ERROR:").strip(), evidence,
                      exit_code=EXIT_USAGE)
    if rc is None:
        return Result("held", "INCONCLUSIVE", f"{stage} ran past its bound of {seconds(bound_s(ctx, stage))} and "
                      "was stopped; resume runs it again", evidence)
    if rc == EXIT_INCONCLUSIVE or word == "INCONCLUSIVE":
        return Result("held", "INCONCLUSIVE", f"{headline or 'INCONCLUSIVE'}; {reasons}".strip("; "), evidence)
    if rc == EXIT_GO and word == "GO":
        return Result("done", "GO", headline or "GO", evidence)
    if word == "NO-GO" and rc in (EXIT_NO_GO, EXIT_ROLLBACK_FAILED):
        return Result("failed", "NO-GO", f"{headline or 'NO-GO'}; {reasons}".strip("; "), evidence, exit_code=rc,
                      rolled_back=verdict.get("rollback"))
    return Result("held", "INCONCLUSIVE", f"pytest exited {rc} with {'verdict ' + word if word else 'no verdict'}; "
                  f"nothing judged, resume runs {stage} again", evidence)


def run(ctx: Context, step: Step, stage: str) -> Result:
    where = attempt_dir(ctx, stage, step.attempt)
    app_repo = None
    if stage == "predeploy":
        # The code gates judge the release commit: the checkout itself when it is there, else a worktree of it.
        app_repo = ctx.checkout.path if ctx.checkout.head() == ctx.sha else \
            ctx.checkout.worktree(ctx.sha, ctx.release_dir / "checkout")
    since = soak_since(ctx, step) if stage == "soak" else None
    argv = command(ctx, stage, where, app_repo=app_repo, since=since)
    rc, output = execute(ctx, stage, argv, where)
    result = judge(ctx, stage, rc, output, where)
    if since:
        result.evidence["soak_since"] = since
    return result
