"""Entry point: `python -m sandbox ...` (see sandbox/cli.py)."""

from __future__ import annotations

import os
import sys

from sandbox.cli import main

try:
    sys.exit(main())
except BrokenPipeError:
    # `python -m sandbox status | head -1`: the reader left; that is not an error of ours.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(0)
