"""`--option PATH` for a project's own options, whatever the path.

pytest chooses the rootdir and reads the ini file *before* any plugin or conftest has declared its
options. An option it does not know yet, given as `--target /elsewhere/canary.toml`, therefore has its
value taken for a test path: pytest roots the session in `/elsewhere`, never finds the project's ini file
(nor the plugins it loads, nor the conftest that declares `--target`) and ends with "unrecognized
arguments" (pytest issues #1471, #8846; `--target=/elsewhere/canary.toml` has no such problem).

gonogo is loaded earlier than that ini file's plugins (it is an installed plugin), so it can see this
happen: no ini file found, and a `--name` directly followed by an existing path (see
`joined_option_values`). In a gonogo project (a `runbook.toml` in the invocation directory or one of its parents),
gonogo then runs the same command again in the same process (`os.execv`), each such pair written as
`--name=PATH`, so that pytest finds the project's configuration as it would have with `=`. Nothing else
changes: same interpreter, arguments, environment (plus a guard variable), terminal and exit status.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

# Set in the re-executed process: it never re-executes again.
REEXEC_ENV = "GONOGO_REEXEC"
RUNBOOK_NAME = "runbook.toml"


def joined_option_values(config: pytest.Config, parser: pytest.Parser) -> list[str] | None:
    """The command line with each `--option PATH` pair pytest may have misread joined as `--option=PATH`.

    None when there is none, when pytest did find an ini file, or outside a gonogo project. A pair is
    joined when PATH exists and `--option` is either still unknown (declared by a plugin the ini loads:
    pytest took PATH for a test path) or known now and took PATH as its value (an installed plugin's
    option, unknown when pytest chose the rootdir). Joining a pair of a built-in option is harmless.
    """
    if config.inipath is not None or os.environ.get(REEXEC_ENV):
        return None
    args = list(config.invocation_params.args)
    namespace, unknown = parser.parse_known_and_unknown_args(list(args))
    taken_as_paths = {str(p) for p in getattr(namespace, "file_or_dir", None) or ()}
    unknown_options = set(unknown)
    here = Path(config.invocation_params.dir)
    fixed: list[str] = []
    joined = False
    i = 0
    while i < len(args):
        arg, value = args[i], (args[i + 1] if i + 1 < len(args) else None)
        if arg.startswith("--") and "=" not in arg and value is not None and (here / value).exists():
            misread = value in taken_as_paths if arg in unknown_options else value not in taken_as_paths
            if misread:
                fixed.append(f"{arg}={value}")
                joined = True
                i += 2
                continue
        fixed.append(arg)
        i += 1
    if not joined or not _in_gonogo_project(here):
        return None
    return fixed


def _in_gonogo_project(directory: Path) -> bool:
    return any((d / RUNBOOK_NAME).is_file() for d in (directory, *directory.parents))


def command_line(args: Sequence[str], given: Sequence[str]) -> list[str] | None:
    """This process's own command line with its pytest arguments `given` replaced by `args`; None unless
    pytest was given this process's own arguments (the CLI).

    `python -m pytest ...` and the `pytest` script both qualify; `pytest.main([...])` from another
    program (or pytester's in-process runs) does not: their arguments are not this process's, and
    re-executing would run that other program again.
    """
    orig = list(getattr(sys, "orig_argv", ()))
    mine = sys.argv[1:]
    if not orig or list(given) != mine or orig[len(orig) - len(mine):] != mine:
        return None
    return [*orig[:len(orig) - len(mine)], *args]


def reexec(args: Sequence[str], given: Sequence[str]) -> None:
    """Replace this process by the same command with `args` instead of the `given` pytest arguments (returns
    only if that is not possible: pytest runs inside another program)."""
    argv = command_line(args, given)
    if argv is None:
        return
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os.environ[REEXEC_ENV] = "1"
    os.execv(sys.executable, argv)
