"""`python -m gonogo_mcp [--root DIR] [--reports DIR] [--journal PATH|URL]`: the MCP server on stdio.

stdout is the protocol: nothing else is ever printed there. A bad argument is one line on stderr, exit 4.
"""
from __future__ import annotations

import argparse
import sys

from gonogo import EXIT_USAGE
from gonogo_mcp.server import build_server
from gonogo_mcp.workspace import Problem


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's exit 2 would not be the project's usage code
        print(f"{self.prog}: {message}; see --help", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m gonogo_mcp", description="The runbook's MCP server (stdio).")
    parser.add_argument("--root", default=None,
                        help="the pytest-gonogo checkout: runbook.toml, the suites (default: the one holding this "
                             "package)")
    parser.add_argument("--reports", default=None, help="where run reports are read and written (default ROOT/reports)")
    parser.add_argument("--journal", default=None,
                        help="the release journal the release tools read by default (default "
                             "ROOT/.gonogo/releases.sqlite)")
    args = parser.parse_args(argv)
    try:
        server = build_server(args.root, reports=args.reports, journal=args.journal)
    except Problem as exc:
        print(f"gonogo_mcp: {exc}", file=sys.stderr)
        return EXIT_USAGE
    server.run()  # stdio; every run it started stops with its session
    return 0


if __name__ == "__main__":
    sys.exit(main())
