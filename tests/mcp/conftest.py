"""tests/mcp: the MCP server (gonogo_mcp) through the SDK's own in-memory client, no subprocess in between."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    # `gonogo_mcp`, `release` and `harness` run from the checkout (`python -m gonogo_mcp`), not installed.
    sys.path.insert(0, str(REPO_ROOT))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
