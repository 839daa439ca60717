"""tests/release: the release conductor's unit tests and its end-to-end runs against a real sandbox."""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    # `release` and `harness` are not installed packages: they run from the checkout (`python -m release`).
    sys.path.insert(0, str(REPO_ROOT))
