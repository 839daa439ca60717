"""Per-session wiring: bind tests to criteria, record final outcomes, fold, roll back, report."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from gonogo import announce
from gonogo import rollback as rb
from gonogo._compat import compile_markexpr, report_option, stop_xdist_controller
from gonogo.evidence import evidence_key, holders_key, records_of
from gonogo.inconclusive import Inconclusive, InconclusiveStatus, exception_types, message_of
from gonogo.redact import asked_secrets, might_hold_secret, redact, redact_text, secrets_of
from gonogo.runbook import STAGES, Runbook
from gonogo.scrub import redact_extras, redact_report, redact_tree
from gonogo.settings import Settings
from gonogo.summary import render_summary
from gonogo.verdict import (
    EXIT_ROLLBACK_FAILED,
    SEVERITY,
    Outcome,
    Reason,
    ReasonKind,
    Status,
    TestRecord,
    Verdict,
    VerdictWarning,
    WaiverState,
    WarningKind,
    fold,
)
from gonogo.view import VerdictView

if TYPE_CHECKING:
    from collections.abc import Sequence

    from gonogo.notify import Delivery

criterion_key = pytest.StashKey[str]()

_BY_CATEGORY = {"passed": Status.PASSED, "": Status.PASSED, "failed": Status.FAILED, "error": Status.ERROR,
                "inconclusive": Status.INCONCLUSIVE, "skipped": Status.SKIPPED, "xfailed": Status.SKIPPED,
                "xpassed": Status.SKIPPED}
# A test's phases disagree (an inconclusive setup, a failing teardown): the worst wins, as between the tests
# of a criterion; lower is worse.
_RANK = {status: n for n, status in enumerate(SEVERITY)}
_NOT_PROVEN = (Status.FAILED, Status.ERROR, Status.INCONCLUSIVE)
_PASSED = Status.PASSED  # a global, not the class attribute lookup an enum member costs (per report)
_PHASES = ("setup", "call", "teardown")
_MESSAGE_LIMIT = 300


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def selected_stages(markexpr: str) -> tuple[str, ...]:
    """The stages an -m expression selects: all of them when there is none."""
    if not markexpr:
        return STAGES
    try:
        # pytest's own parser, so that the scope is exactly what -m selects.
        selects = compile_markexpr(markexpr)
    except Exception:  # noqa: BLE001 - pytest reports a bad -m itself; stay fail-closed: every stage
        return STAGES
    return tuple(s for s in STAGES if selects(s))


def marked_criterion(item: pytest.Item) -> object:
    """The criterion ID an item's marker names, in either form: `criterion("ID")` or `criterion(id="ID")`.

    None without a marker; whatever the marker holds otherwise (the caller checks it is a declared ID).
    """
    mark = item.get_closest_marker("criterion")
    if mark is None:
        return None
    return mark.args[0] if mark.args else mark.kwargs.get("id")


def _scan_marks(node: pytest.Item | pytest.Collector, stages: list[str], mark: Any) -> Any:
    """Add a node's own stage markers to `stages` (each once, in order); its criterion marker if `mark` is None
    (walked from the item up, so the closest of each wins), else `mark`."""
    for m in node.own_markers:
        name = m.name
        if name in STAGES:
            if name not in stages:
                stages.append(name)
        elif name == "criterion" and mark is None:
            mark = m
    return mark


def _message(report: pytest.TestReport) -> str:
    """One line saying why a test did not pass: the assertion message, the skip or xfail reason."""
    info = getattr(report, "gonogo", None)
    if info and "message" in info:
        return str(info["message"])
    xfail = hasattr(report, "wasxfail")
    if xfail and report.skipped:
        text = f"xfailed: {getattr(report, 'wasxfail', '')}".rstrip(": ")
    elif xfail and report.passed:
        text = f"xpassed (expected to fail): {getattr(report, 'wasxfail', '')}".rstrip(": ")
    elif report.skipped and isinstance(report.longrepr, tuple):
        text = str(report.longrepr[2])
    else:
        crash = getattr(report.longrepr, "reprcrash", None)
        text = crash.message if crash is not None else str(report.longrepr or "")
    text = text.strip()
    if text.startswith("AssertionError: "):
        text = text[len("AssertionError: "):]
    line = text.splitlines()[0] if text else ""
    return line[:_MESSAGE_LIMIT]


class _TestState:
    """One test's outcome so far, folded over its phases (one per test: kept small and cheap)."""

    __slots__ = ("criterion", "outcome", "called", "duration_s", "message", "evidence")

    def __init__(self, criterion: str) -> None:
        self.criterion = criterion
        self.outcome = Status.PASSED
        self.called = False  # its call phase reported
        self.duration_s = 0.0
        self.message = ""
        self.evidence: Sequence[dict[str, Any]] = ()  # replaced, never appended to: no list per test

    def add(self, when: str, status: Status, message: str, duration: float, info: dict[str, Any] | None) -> None:
        """Fold one report: its phase, time, status and message, and the evidence it carries (`info`, its
        report.gonogo: the teardown report carries every record of the test)."""
        if when == "call":
            self.called = True
        self.duration_s += duration
        if info and "evidence" in info:
            self.evidence = info["evidence"]
        if status is _PASSED:
            return
        if self.outcome is Status.PASSED or _RANK[status] < _RANK[self.outcome]:
            self.outcome, self.message = status, message

    def record(self, nodeid: str) -> TestRecord:
        outcome, message = self.outcome, self.message
        if outcome is Status.PASSED and not self.called:
            # Set up but never run to the end (Ctrl-C, pytest.exit): not proof of anything, nor evidence against
            # the app. A crashed xdist worker's test is an error through the crash report instead.
            outcome, message = Status.INCONCLUSIVE, "the test did not run to the end (the session was interrupted)"
        return TestRecord(nodeid, self.criterion, outcome, self.duration_s, message, tuple(self.evidence))


class GonogoSession:
    """Registered for one session when a runbook is active; the controller folds and writes."""

    def __init__(self, config: pytest.Config, settings: Settings, runbook: Runbook) -> None:
        self.config = config
        self.settings = settings
        self.runbook = runbook
        self.is_worker = hasattr(config, "workerinput")
        self.nodemap: dict[str, str] = {}
        self._map_sent = False
        self.tests: dict[str, _TestState] = {}
        self.problems: list[Reason] = []
        self.unmapped_failures = 0
        self.interrupted: str | None = None
        self.session: pytest.Session | None = None
        self.mask_extras = False  # pytest-html writes a report: its extras are masked as they are made
        self.distributed = False  # the xdist controller: reports come from workers
        # The test running now (setup report to teardown report) and what was recorded before its setup report
        # (see current_records), for `gonogo.current_evidence`.
        self.current: pytest.Item | None = None
        self.pending: list[dict[str, Any]] = []
        self._running_item: pytest.Item | None = None  # and its state: see _state_of
        self._running_state: _TestState | None = None
        # id() of the items bound to a criterion (see _bind) and of those holding evidence (gonogo.evidence):
        # asked for every report, cheaper than their stashes.
        self._mapped: set[int] = set()
        self._holders = config.stash.setdefault(holders_key, set())
        self._secrets = asked_secrets(config)
        # What the collectors above an item are marked with (see _marks_above).
        self._above: dict[int, tuple[tuple[str, ...], Any]] = {}
        self.collected = False
        # What makes a failed test inconclusive (the hook is asked at session start) and whether the terminal
        # was told how to show one (at the first, see InconclusiveStatus).
        self.inconclusive: tuple[type[BaseException], ...] = (Inconclusive,)
        self._inconclusive_shown = False
        self.started_at = utc_now()
        self.verdict: Verdict | None = None
        self.rollback: rb.RollbackResult | None = None
        # Where the end state was sent (runbook.toml [notify], --notify): recorded, never part of the verdict.
        self.notifications: tuple[Delivery, ...] = ()
        self.history_problem: str | None = None
        # xdist: the controller drops this file on an abort; every worker stops after its current test.
        self.abort_file: str | None = None
        if any(c.abort for c in runbook.criteria.values()):
            if self.is_worker:
                self.abort_file = config.workerinput.get("gonogo_abort_file")  # type: ignore[attr-defined]
            else:
                fd, self.abort_file = tempfile.mkstemp(prefix="gonogo-abort-")
                os.close(fd)
                os.unlink(self.abort_file)

    # -- collection: every stage-marked test names a declared criterion ---------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Any:
        rep = yield
        if rep.outcome != "passed" or not rep.result:
            return rep
        problems = [p for p in (self._bind(n) for n in rep.result if isinstance(n, pytest.Item)) if p]
        if problems:
            # A collection error of this collector: fail-closed, and it names each test and the fix.
            rep.outcome = "failed"
            rep.longrepr = "\n".join(problems)
            rep.result = []
        return rep

    def _marks_above(self, parent: pytest.Collector | None) -> tuple[tuple[str, ...], Any]:
        """The stage markers (closest first) and the closest criterion marker of a collector and those above it:
        item.iter_markers()'s walk, made once per collector, not once per item (collectors live for the session)."""
        key = id(parent)
        found = self._above.get(key)
        if found is None:
            stages: list[str] = []
            mark = None
            node = parent
            while node is not None:
                mark = _scan_marks(node, stages, mark)
                node = node.parent
            found = self._above[key] = (tuple(stages), mark)
        return found

    def _bind(self, item: pytest.Item) -> str | None:
        stages: list[str] = []
        mark = _scan_marks(item, stages, None)
        above, above_mark = self._marks_above(item.parent)
        for name in above:
            if name not in stages:
                stages.append(name)
        if mark is None:
            mark = above_mark
        if mark is None:
            if stages:
                return (f"{item.nodeid}: marked {stages[0]} but names no criterion; "
                        'add @pytest.mark.criterion("ID") with an ID from runbook.toml')
            return None
        cid = mark.args[0] if mark.args else mark.kwargs.get("id")
        if not isinstance(cid, str) or cid not in self.runbook.criteria:
            return (f"{item.nodeid}: criterion {cid!r} is not declared in {self.runbook.path.name}; "
                    f"add [criteria.{cid}] or fix the id")
        stage = self.runbook.criteria[cid].stage
        if stages and stages != [stage]:
            return (f"{item.nodeid}: marked {', '.join(stages)} but criterion {cid!r} is stage {stage}; "
                    f"mark it {stage} only")
        if not stages:
            # The criterion decides the stage, so `-m smoke` selects this test too.
            item.add_marker(stage)
        item.stash[criterion_key] = cid
        self._mapped.add(id(item))
        item.user_properties.extend([("criterion", cid), ("stage", stage)])
        # Every report finds its criterion here (a passing one carries nothing; a worker sends the map once).
        self.nodemap[item.nodeid] = cid
        return None

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collected = True

    def current_records(self) -> list[dict[str, Any]] | None:
        """Where evidence of the test running now goes: its own list from its setup report to its teardown
        report; during its setup (fixtures, including session ones set up for it), a list handed to it at
        its setup report. None before the tests start. No hook runs at a test's start, so none is paid for."""
        item = self.current
        if item is not None:
            return records_of(item)
        return self.pending if self.collected else None

    # -- reports: plain data on them, redacted failures ------------------------------------------------

    # Outermost: every other plugin has made its part of the report, and the failure message is taken
    # from the report before redaction flattens it. Runs for every phase of every test, and is where a run
    # without xdist records them (no logreport hook of its own: one hook call per report, not two). A report
    # with nothing to mask, no evidence and no message (most of them) is only counted.
    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        rep = yield
        when = rep.when
        stash = item.stash
        if when == "setup":
            # The test is current from here to its teardown report; what its setup recorded is its own.
            self.current = item
            if self.pending:
                records_of(item).extend(self.pending)
                self.pending = []
        records = stash[evidence_key] if when != "setup" and id(item) in self._holders else None
        props = rep.user_properties
        if (rep.longrepr is None and not records and not rep.sections and "wasxfail" not in rep.__dict__
                and (not props or (len(props) == 2 and id(item) in self._mapped))):
            # Passed, silent, nothing kept, no property but gonogo's own two (criterion, stage; see _bind).
            status, category = _PASSED, ""
        else:
            self._annotate(rep, stash, call, records)
            status, category = self._classify(rep)
        if self.mask_extras:
            # Before pytest-html reads them (its trylast logreport, on the controller: they cross xdist masked).
            extras = rep.__dict__.get("extras")
            if extras:
                rep.extras = redact_extras(extras, secrets_of(self.config))
        if when == "teardown":
            self.current = None
            # The secrets hook is asked again at the next test's first redaction (a fixture may know new ones).
            self._secrets.forget()
        if self.is_worker:
            if not self._map_sent:
                # The controller has no items; its reports find their criterion (and a crashed worker's test its
                # own) through this map, sent once with the worker's first report.
                rep.gonogo_map = dict(self.nodemap)
                self._map_sent = True
            if status is not _PASSED:
                self._judge(rep, status, category)
            if when == "teardown" and self.abort_file and os.path.exists(self.abort_file):
                self._abort("abort requested by the controller")
        elif status is _PASSED:
            # Most reports: only the time and whether the call ran (see _TestState.add), on the state of the
            # test running now, found once per test.
            state = self._running_state if self._running_item is item else self._state_of(rep.nodeid, item)
            if state is not None:
                # Only a report that holds evidence carries it (annotated above).
                state.add(when, _PASSED, "", rep.duration, rep.__dict__.get("gonogo") if records else None)
        else:
            self._judge(rep, status, category)
        return rep

    def _state_of(self, nodeid: str, item: pytest.Item | None = None) -> _TestState | None:
        """The state of a test of the runbook (made at its first report), None for a test outside it."""
        state = self.tests.get(nodeid)
        if state is None:
            cid = self.nodemap.get(nodeid)
            if cid is None:
                return None
            state = self.tests[nodeid] = _TestState(cid)
        if item is not None:
            self._running_item, self._running_state = item, state
        return state

    def _annotate(self, rep: pytest.TestReport, stash: pytest.Stash, call: pytest.CallInfo[None],
                  records: list[dict[str, Any]] | None) -> None:
        """A report that says something: its criterion, evidence, message and inconclusiveness as plain data
        (report.gonogo, which crosses xdist), and its text masked for every reader."""
        cid = stash[criterion_key] if criterion_key in stash else None
        info: dict[str, Any] | None = None
        if cid is not None:
            info = {"criterion": cid}
            if records:
                info["evidence"] = list(records)
            rep.gonogo = info
        if rep.outcome == "failed" and isinstance(getattr(call.excinfo, "value", None), self.inconclusive):
            # Classified where the test ran (an xdist worker has the exception, the controller only its text)
            # and carried as plain data; outside any criterion too, so the terminal shows it the same.
            if info is None:
                info = rep.gonogo = {}
            info["inconclusive"] = True
            info["message"] = redact_text(message_of(call.excinfo.value), secrets_of(self.config))
        elif info is not None and (rep.longrepr is not None or "wasxfail" in rep.__dict__):
            # Taken before the long report is flattened by redaction, and redacted itself.
            info["message"] = redact_text(_message(rep), secrets_of(self.config))
        # Masked for every reader (the terminal, JUnit, pytest-html): the long report, captured output and
        # properties beyond gonogo's own two (criterion, stage). A clean report has nothing to mask.
        own = 0 if cid is None else 2  # gonogo's own: criterion, stage (see _bind)
        if rep.longrepr is not None or rep.sections or len(rep.user_properties) > own:
            # Structure kept, so the terminal's crash line and JUnit's failure message stay short.
            redact_report(rep, secrets_of(self.config))

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        if self.abort_file:
            node.workerinput["gonogo_abort_file"] = self.abort_file

    def _judge(self, report: pytest.TestReport, status: Status, category: str) -> None:
        """Fold one report into its test's outcome (on the controller); stop the run on an abort criterion."""
        nodeid = report.nodeid
        if status is Status.PASSED:
            state = None if self.is_worker else self._state_of(nodeid)
            if state is not None:
                state.add(report.when, status, "", report.duration, report.__dict__.get("gonogo"))
            return
        when = report.when
        info = report.__dict__.get("gonogo")
        cid = (info.get("criterion") if info else None) or self.nodemap.get(nodeid)
        if cid is None:
            if status in _NOT_PROVEN:  # a failed report for pytest: its exit status is kept on GO
                self.unmapped_failures += 1
                if when not in _PHASES:
                    self.problems.append(Reason(ReasonKind.WORKER_CRASHED, test=nodeid, message=_message(report)))
            return
        if status in (Status.FAILED, Status.ERROR) and self.runbook.criteria[cid].abort:
            self._abort(f"abort criterion {cid} {status.value} in {nodeid}")
        if self.is_worker:
            return
        if category == "rerun":
            self.tests.pop(nodeid, None)
            self._running_item = self._running_state = None
            return
        state = self.tests.get(nodeid)
        if state is None:
            state = self.tests[nodeid] = _TestState(cid)
        state.add(when, status, _message(report), report.duration, info)

    def _classify(self, report: pytest.TestReport) -> tuple[Status, str]:
        if report.when not in _PHASES:
            return Status.ERROR, "error"  # xdist's report for a crashed worker
        if report.outcome == "passed" and "wasxfail" not in report.__dict__:
            return Status.PASSED, ""  # passed is passed whatever the plugins: spare the hook call (most reports)
        if not self._inconclusive_shown and "inconclusive" in (report.__dict__.get("gonogo") or ()):
            # Before the terminal (and this) ask how to show the report: "I", "INCONCLUSIVE", yellow.
            self.config.pluginmanager.register(InconclusiveStatus(), "gonogo-inconclusive")
            self._inconclusive_shown = True
        answer = self.config.hook.pytest_report_teststatus(report=report, config=self.config)
        category = answer[0] if answer else report.outcome
        status = _BY_CATEGORY.get(category)
        if status is None and category != "rerun":
            status = {"passed": Status.PASSED, "skipped": Status.SKIPPED}.get(report.outcome, Status.FAILED)
            if status is Status.FAILED and report.when != "call":
                status = Status.ERROR
        return status or Status.PASSED, category

    def _abort(self, why: str) -> None:
        session = self.session
        if session is not None and not session.shouldstop:
            session.shouldstop = why
        stop_xdist_controller(self.config, why)
        if self.abort_file and not self.is_worker and not os.path.exists(self.abort_file):
            with open(self.abort_file, "w", encoding="utf-8") as f:
                f.write(why)

    # -- session ------------------------------------------------------------------------------------------

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.session = session
        # Asked once, before any test (a broken hook stops the run here, on the controller first).
        self.inconclusive = exception_types(self.config)
        # What the per-report hooks need to look at (they run for every phase of every test).
        plugins = self.config.pluginmanager
        self.mask_extras = plugins.hasplugin("html") and report_option(self.config, "html") is not None
        self.distributed = not self.is_worker and plugins.has_plugin("dsession")
        if self.distributed:
            # The xdist controller makes no report: it folds those the workers send.
            plugins.register(_WorkerReports(self), "gonogo-worker-reports")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed and not self.is_worker:
            text = redact(str(report.longrepr or ""), self.config).strip().splitlines()
            self.problems.append(Reason(ReasonKind.COLLECTION_ERROR, test=report.nodeid,
                                        message=(text[-1] if text else "")[:_MESSAGE_LIMIT]))

    def pytest_unconfigure(self) -> None:
        if self.abort_file and not self.is_worker and os.path.exists(self.abort_file):
            os.unlink(self.abort_file)

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        self.interrupted = "KeyboardInterrupt"

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.is_worker or exitstatus == pytest.ExitCode.USAGE_ERROR or self.config.option.collectonly:
            # A refused run (a usage error) or a listing (--collect-only) has no verdict: no verdict.json
            # of a run that never happened is written.
            return
        why = session.shouldfail or session.shouldstop or self.interrupted
        if not why and exitstatus == pytest.ExitCode.INTERRUPTED:
            why = "interrupted"
        problems = list(dict.fromkeys(self.problems))
        if why:
            problems.insert(0, Reason(ReasonKind.INTERRUPTED, message=str(why)))
        today = dt.datetime.now(dt.UTC).date()
        waivers = {}
        for cid in (*self.runbook.criteria, *self.runbook.limits):
            waiver = self.runbook.waiver_for(cid, today)
            if waiver is not None:
                waivers[cid] = WaiverState(waiver, waiver.is_current(today))
        target, hook_problem = self._target()
        notes = [hook_problem] if hook_problem else []
        if self.unmapped_failures:
            notes.append(VerdictWarning(WarningKind.UNMAPPED_FAILURES, count=self.unmapped_failures))
        records = [state.record(nodeid) for nodeid, state in self.tests.items()]
        stages = selected_stages(self.config.option.markexpr or "")
        criteria, extra_records, measures, comparison = [*self.runbook.criteria.values()], [], {}, None
        if self.runbook.limits or any(record.get("kind") == "measure"
                                      for state in self.tests.values() for record in state.evidence):
            # The measures, the last GO's values of them and the runbook's limits, judged as criteria (loaded only
            # here: a run that measures nothing and has no limits never imports them).
            from gonogo.compare import compare_run

            compared = compare_run(self.runbook, self.settings,
                                   ((nodeid, state.criterion, state.evidence) for nodeid, state in self.tests.items()),
                                   records, stages, target)
            criteria += compared.criteria
            extra_records += compared.records
            measures, comparison = compared.measures, compared.comparison
        self.verdict = fold(
            criteria, [*records, *extra_records],
            selected_stages=stages, waivers=waivers, session_problems=problems, extra_warnings=notes,
            target=target, started_at=self.started_at, finished_at=utc_now(),
            measures=measures, comparison=comparison,
        )
        self.rollback = rb.perform(self.config, self.verdict, self.settings.rollback,
                                   self.settings.rollback_timeout)
        # After the rollback (the message says what it did), before the reports (they say where it was sent).
        self.notifications = announce.announce(self.config, self.verdict, self.rollback)
        text = self._write_json()
        if measures and self.settings.history_dir is not None:
            from gonogo.compare import keep

            self.history_problem = keep(self.settings, text, self.verdict.word, target)
        code = self.verdict.exit_code
        if self.rollback.failed and self.verdict.outcome is Outcome.NO_GO:
            code = EXIT_ROLLBACK_FAILED  # (an INCONCLUSIVE run runs no action; a hook that raised is recorded)
        elif self.verdict.go and self.unmapped_failures:
            code = int(exitstatus)
        session.exitstatus = code

    def _target(self) -> tuple[str | None, VerdictWarning | None]:
        """The target's name, and a warning when the project's hook raised (the name is only a label)."""
        try:
            name = self.config.hook.pytest_gonogo_target_name(config=self.config)
        except Exception as exc:  # noqa: BLE001 - a broken conftest must not lose the verdict
            return None, VerdictWarning(WarningKind.HOOK_FAILED,
                                        message=f"pytest_gonogo_target_name raised {type(exc).__name__}")
        return (None if name is None else str(name)), None

    def _write_json(self) -> str:
        assert self.verdict is not None and self.rollback is not None
        path: Path = self.settings.verdict_json
        path.parent.mkdir(parents=True, exist_ok=True)
        data = self.verdict.to_json(self.rollback.to_json(), [d.to_json() for d in self.notifications])
        # Pretty for people; a large run is written compact (the C encoder), to keep gonogo's cost low.
        indent = 2 if len(self.tests) <= 500 else None
        text = json.dumps(data, indent=indent)
        secrets = secrets_of(self.config)
        # Messages and evidence were masked as they were taken; one look at the whole text spares walking
        # every string again when nothing in it can be a secret (the usual case).
        if might_hold_secret(text, secrets):
            text = json.dumps(redact_tree(data, secrets), indent=indent)
        path.write_text(text + "\n", encoding="utf-8")
        return text + "\n"

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.verdict is None or self.rollback is None:
            return
        secrets = secrets_of(self.config)
        terminalreporter.write_sep("=", "gonogo verdict")
        view = VerdictView.of(self.verdict, self.rollback, notifications=self.notifications)
        for line, markup in render_summary(view, self.settings.verdict_json):
            terminalreporter.write_line(redact_text(line, secrets), **markup)
        if self.history_problem:
            terminalreporter.write_line(self.history_problem, yellow=True)


class _WorkerReports:
    """The xdist controller's view of the reports its workers send (registered only there)."""

    def __init__(self, recorder: GonogoSession) -> None:
        self.recorder = recorder

    # Before pytest-html reads a report's extras (its trylast logreport) and the terminal shows it.
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        recorder = self.recorder
        attrs = report.__dict__
        extra = attrs.get("gonogo_map")
        if extra:
            recorder.nodemap.update(extra)
        if recorder.mask_extras:
            extras = attrs.get("extras")
            if extras:
                report.extras = redact_extras(extras, secrets_of(recorder.config))
        if report.outcome == "passed" and "wasxfail" not in attrs and report.when in _PHASES:
            recorder._judge(report, Status.PASSED, "")
        else:
            recorder._judge(report, *recorder._classify(report))
