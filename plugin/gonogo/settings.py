"""Resolve gonogo's flags and ini values once into a frozen Settings value."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

import pytest

from gonogo._compat import report_option


class RollbackMode(str, enum.Enum):
    """What a NO-GO after a deploy does with the rollback playbook (also importable from gonogo.rollback)."""

    OFF = "off"
    PLAN = "plan"
    AUTO = "auto"


DEFAULT_RUNBOOK = "runbook.toml"
DEFAULT_VERDICT_JSON = "reports/verdict.json"
DEFAULT_ROLLBACK_TIMEOUT = 600.0
# The reports `gonogo_reports` may name, each written beside the verdict JSON unless asked for elsewhere.
REPORT_FILES = {"html": "report.html", "junit": "junit.xml"}

EXIT_CODES_HELP = ("exit codes: 0 GO, 1 NO-GO, 4 usage or runbook error, "
                   "6 NO-GO and a rollback action failed, 7 INCONCLUSIVE (not proven either way: never GO, "
                   "no rollback run)")

HELP = {
    "runbook": f"runbook with the criteria and waivers (default: {DEFAULT_RUNBOOK} in the rootdir; "
               "gonogo is inactive when there is none)",
    "rollback": "on NO-GO after a deploy: off, plan (record the actions, default) or auto (run them)",
    "rollback_timeout": f"seconds each rollback action may take in auto mode (default: {DEFAULT_ROLLBACK_TIMEOUT:g})",
    "verdict_json": f"where the controller writes the verdict (default: {DEFAULT_VERDICT_JSON} in the rootdir)",
    "summary_md": "where the controller writes the Markdown summary (default: summary.md next to the verdict "
                  "JSON); it is also appended to $GITHUB_STEP_SUMMARY when that is set",
    "history": "where the controller keeps a copy of the verdict of each run that measured something, and finds "
               "the last GO on the same target to compare with (default: history/ next to the verdict JSON)",
}
NOTIFY_HELP = ("send the run's end state (verdict, reasons, rollback, report) to this apprise URL, e.g. "
               "json://host:port/path or slack://...; repeatable, added to runbook.toml [notify] urls")
NO_NOTIFY_HELP = "send no notification for this run, whatever --notify or runbook.toml [notify] say"
BASELINE_HELP = ("compare the measures with this verdict.json instead of the last GO on the same target "
                 "(default: the newest kept GO holding each measure)")
REPORTS_HELP = ("reports to write beside the verdict JSON when not asked for: html (report.html, self-contained; "
                "needs pytest-html), junit (junit.xml); --html and --junitxml still win (default: none)")


@dataclass(frozen=True)
class Settings:
    """gonogo's resolved flags and ini values, and every output path (see `gonogo.get_settings`)."""

    runbook_path: Path | None
    rollback: RollbackMode
    rollback_timeout: float
    verdict_json: Path
    # summary.md: --summary-md, ini gonogo_summary_md, or beside the verdict JSON.
    summary_md: Path
    # Where files a run produces for its report go (screenshots): `artifacts/` beside the verdict JSON,
    # so parallel runs and CI shards with their own --verdict-json keep their own files.
    artifacts_dir: Path
    # The reports of this run: --html / --junitxml, else beside the verdict JSON when ini gonogo_reports names
    # them (html only with pytest-html installed); None: no such report.
    html_report: Path | None = None
    junit_xml: Path | None = None
    # The report paths gonogo sets because the user gave none (see gonogo.plugin, pytest_configure).
    defaulted: tuple[str, ...] = ()
    # --notify URLs (runbook.toml [notify] adds its own); False with --no-notify: no notification at all.
    notify_urls: tuple[str, ...] = ()
    notify: bool = True
    # Kept verdicts (--gonogo-history, ini gonogo_history, or history/ beside the verdict JSON) and the verdict
    # to compare with instead of the last GO found there (--gonogo-baseline).
    history_dir: Path | None = None
    baseline: Path | None = None


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("gonogo", f"gonogo release verdict ({EXIT_CODES_HELP})")
    group.addoption("--runbook", dest="gonogo_runbook", metavar="PATH", default=None, help=HELP["runbook"])
    group.addoption("--rollback", dest="gonogo_rollback", default=None,
                    choices=[m.value for m in RollbackMode], help=HELP["rollback"])
    group.addoption("--rollback-timeout", dest="gonogo_rollback_timeout", metavar="SECONDS", default=None,
                    help=HELP["rollback_timeout"])
    group.addoption("--verdict-json", dest="gonogo_verdict_json", metavar="PATH", default=None,
                    help=HELP["verdict_json"])
    group.addoption("--summary-md", dest="gonogo_summary_md", metavar="PATH", default=None,
                    help=HELP["summary_md"])
    group.addoption("--notify", dest="gonogo_notify", metavar="URL", action="append", default=[], help=NOTIFY_HELP)
    group.addoption("--no-notify", dest="gonogo_no_notify", action="store_true", default=False, help=NO_NOTIFY_HELP)
    group.addoption("--gonogo-history", dest="gonogo_history", metavar="DIR", default=None, help=HELP["history"])
    group.addoption("--gonogo-baseline", dest="gonogo_baseline", metavar="PATH", default=None, help=BASELINE_HELP)
    for name, text in HELP.items():
        parser.addini(f"gonogo_{name}", text, default=None)
    parser.addini("gonogo_reports", REPORTS_HELP, type="args", default=[])


def resolve(config: pytest.Config) -> Settings:
    """Read every flag and ini value once; raise pytest.UsageError (one line) on a bad one."""
    rootdir = Path(config.rootpath)
    inidir = Path(config.inipath).parent if config.inipath else rootdir
    invocation = Path(config.invocation_params.dir)

    runbook_path: Path | None
    flag = config.getoption("gonogo_runbook")
    ini = config.getini("gonogo_runbook")
    if flag:
        runbook_path = _must_exist(invocation / flag, f"--runbook {flag}")
    elif ini:
        runbook_path = _must_exist(inidir / ini, f"ini gonogo_runbook = {ini}")
    else:
        default = rootdir / DEFAULT_RUNBOOK
        runbook_path = default if default.is_file() else None

    mode_text, mode_from = _pick(config, "rollback", RollbackMode.PLAN.value)
    try:
        mode = RollbackMode(mode_text)
    except ValueError:
        raise pytest.UsageError(f"gonogo: {mode_from} = {mode_text!r} is not a rollback mode; "
                                "use off, plan or auto") from None

    timeout_text, timeout_from = _pick(config, "rollback_timeout", str(DEFAULT_ROLLBACK_TIMEOUT))
    try:
        timeout = float(timeout_text)
    except ValueError:
        timeout = -1.0
    if not timeout > 0:
        raise pytest.UsageError(f"gonogo: {timeout_from} = {timeout_text!r} is not a number of seconds; "
                                "use a positive number such as 600")

    verdict_json = _path(config, "verdict_json", invocation, inidir) or rootdir / DEFAULT_VERDICT_JSON
    summary_md = _path(config, "summary_md", invocation, inidir) or verdict_json.with_name("summary.md")
    reports = _reports(config, verdict_json, invocation)
    history = _path(config, "history", invocation, inidir) or verdict_json.parent / "history"
    baseline = None
    given = config.getoption("gonogo_baseline")
    if given:
        baseline = _must_exist(invocation / given, f"--gonogo-baseline {given}")
        from gonogo.history import check_baseline_file

        problem = check_baseline_file(baseline)
        if problem:
            raise pytest.UsageError(f"gonogo: --gonogo-baseline {given}: {baseline} {problem}; "
                                    "pass a verdict.json of an earlier run")
    return Settings(runbook_path, mode, timeout, verdict_json, summary_md, verdict_json.parent / "artifacts",
                    reports.get("html"), reports.get("junit"),
                    tuple(kind for kind in REPORT_FILES if kind in reports and report_option(config, kind) is None),
                    tuple(config.getoption("gonogo_notify") or ()), not config.getoption("gonogo_no_notify"),
                    history, baseline)


def _reports(config: pytest.Config, verdict_json: Path, invocation: Path) -> dict[str, Path]:
    """Each report of this run by kind: the path its own flag gave, else the default the ini asks for."""
    kinds = [str(kind) for kind in config.getini("gonogo_reports")]
    unknown = [kind for kind in kinds if kind not in REPORT_FILES]
    if unknown:
        raise pytest.UsageError(f"gonogo: ini gonogo_reports = {' '.join(kinds)!r}: {unknown[0]!r} is not a report; "
                                f"use {' and/or '.join(REPORT_FILES)}")
    found: dict[str, Path] = {}
    for kind, name in REPORT_FILES.items():
        if kind == "html" and not config.pluginmanager.hasplugin("html"):
            continue  # without pytest-html there is no HTML report, asked for or not
        given = report_option(config, kind)
        if given is not None:
            found[kind] = invocation / Path(given).expanduser()
        elif kind in kinds:
            found[kind] = verdict_json.with_name(name)
    return found


def _path(config: pytest.Config, name: str, invocation: Path, inidir: Path) -> Path | None:
    """An output path: the flag from the invocation directory, or the ini value from the ini's directory."""
    flag = config.getoption(f"gonogo_{name}")
    if flag:
        return invocation / flag
    ini = config.getini(f"gonogo_{name}")
    return inidir / ini if ini else None


def _pick(config: pytest.Config, name: str, default: str) -> tuple[str, str]:
    flag = config.getoption(f"gonogo_{name}")
    if flag is not None:
        return str(flag), "--" + name.replace("_", "-")
    ini = config.getini(f"gonogo_{name}")
    if ini:
        return str(ini).strip(), f"ini gonogo_{name}"
    return default, "default"


def _must_exist(path: Path, origin: str) -> Path:
    if not path.is_file():
        raise pytest.UsageError(f"gonogo: {origin}: no such file {path}; fix the path or create it")
    return path
