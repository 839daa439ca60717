"""gonogo_mcp: the runbook over MCP (`python -m gonogo_mcp`, stdio): its criteria, its stages, their verdicts and
the release journal, as tools (docs/mcp.md)."""

from __future__ import annotations

from gonogo_mcp.server import build_server

__all__ = ["build_server"]
