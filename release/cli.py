"""`python -m release`: argument parsing and the exit codes, gonogo's (0 GO, 1 NO-GO, 4 usage, 6 a rollback
action failed, 7 INCONCLUSIVE: the release is held). Bad input is one line on stderr naming the flag or
file, the value and the fix, never a traceback.
"""
from __future__ import annotations

import argparse
import sys

from gonogo import EXIT_USAGE
from release import commands, report
from release.context import DEFAULT_JOURNAL, ROLLBACK_MODES, STRATEGIES, UsageProblem
from release.journal import Journal, JournalError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own exit 2 would not be the contract's 4
        raise UsageProblem(f"{self.prog}: {message}; see --help")


def _journal(spec: str | None) -> str:
    if spec:
        return spec
    DEFAULT_JOURNAL.parent.mkdir(parents=True, exist_ok=True)
    return str(DEFAULT_JOURNAL)


def _positive(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be more than 0 seconds")
    return number


def parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("--target", default="sandbox",
                        help="a target of runbook.toml [targets] or a PATH.toml, as for the suites (default sandbox)")
    common.add_argument("--journal", default=None,
                        help=f"the journal: an SQLite file or a postgresql:// URL (default {DEFAULT_JOURNAL})")
    releasing = _Parser(add_help=False)
    releasing.add_argument("--sha", default=None, help="the commit to release (default: the sandbox's next release, "
                                                       "else HEAD of the app checkout)")
    releasing.add_argument("--strategy", choices=STRATEGIES, default=None,
                           help="git: wait for the auto-deploy of the merged commit; api: deploy by commit "
                                "(default: api on the sandbox, git elsewhere)")
    releasing.add_argument("--rollback", choices=ROLLBACK_MODES, default="plan",
                           help="on a NO-GO stage after the migrations: plan the rollback, or run it (default plan)")
    releasing.add_argument("--soak-duration", type=_positive, default=None, metavar="S",
                           help="the soak window in seconds (default: the target's soak_duration_s)")
    releasing.add_argument("--app-repo", default=None, help="the app checkout (default: the target's app_repo)")
    releasing.add_argument("--pytest-arg", action="append", default=[], metavar="ARG",
                           help="one more argument for every stage's pytest run (repeatable)")
    releasing.add_argument("--reports", default=commands.default_reports(),
                           help="where release directories go (default reports/releases)")
    releasing.add_argument("--history", default=commands.default_history(), metavar="DIR",
                           help="where the stages keep their verdicts and find the last GO on the target to compare "
                                "with (default reports/history, as a plain pytest run)")

    notifying = _Parser(add_help=False)
    notifying.add_argument("--notify", action="append", default=[], metavar="URL",
                           help="send the release's end state (GO, NO-GO and its rollback, held, abandoned) to this "
                                "apprise URL, e.g. json://host:port/path or slack://...; repeatable, added to "
                                "runbook.toml [notify] urls; not kept in the journal: give it again to resume and "
                                "abandon (docs/notify.md)")
    notifying.add_argument("--no-notify", action="store_true",
                           help="send no notification, whatever --notify or runbook.toml [notify] say")

    top = _Parser(prog="python -m release", description="The runbook's section 5 as a journaled release.")
    subs = top.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub = subs.add_parser("plan", parents=[common, releasing], help="what the release would do; no side effect")
    sub.set_defaults(func=commands.plan)
    sub = subs.add_parser("run", parents=[common, releasing, notifying], help="the release")
    sub.add_argument("--yes", action="store_true", help="do not ask for confirmation (production asks)")
    sub.set_defaults(func=commands.run)
    sub = subs.add_parser("resume", parents=[common, notifying],
                          help="continue the target's held or interrupted release")
    sub.set_defaults(func=commands.resume)
    sub = subs.add_parser("abandon", parents=[common, notifying], help="end the target's held release, recorded")
    sub.set_defaults(func=commands.abandon)
    sub = subs.add_parser("status", parents=[common], help="the current or last release, step by step")
    sub.add_argument("--json", action="store_true")
    sub.set_defaults(func=_status)
    sub = subs.add_parser("history", parents=[common], help="one line per release of the target")
    sub.add_argument("--json", action="store_true")
    sub.set_defaults(func=_history)
    return top


def _status(args) -> int:
    return _report(args, report.status)


def _history(args) -> int:
    return _report(args, report.history)


def _report(args, make) -> int:
    journal = Journal.open(args.journal)
    try:
        code, text = make(journal, args.target, args.json)
    finally:
        journal.close()
    print(text)
    return code


def main(argv: list[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
        args.journal = _journal(args.journal)
        return args.func(args)
    except (UsageProblem, JournalError) as exc:
        print(f"release: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("release: interrupted; `python -m release resume` continues the release", file=sys.stderr)
        return 130
