"""`python -m gonogo merge A.json B.json -o OUT.json`."""

from __future__ import annotations

import sys

from gonogo.merge import main

if __name__ == "__main__":
    sys.exit(main())
