"""An in-memory MCP client session (the SDK's own `Client`) that keeps the text of every answer it got."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mcp import Client
from mcp.types import CallToolResult

REPO_ROOT = Path(__file__).resolve().parents[2]


class Session:
    """Calls tools and keeps every answer's text, so a test can look for a secret in all of them."""

    def __init__(self, client: Client, seen: list[str]) -> None:
        self.client = client
        self.seen = seen

    async def call(self, name: str, args: dict[str, Any] | None = None) -> CallToolResult:
        result = await self.client.call_tool(name, args or {})
        self.seen.extend(c.text for c in result.content if hasattr(c, "text"))
        if result.structured_content is not None:
            self.seen.append(json.dumps(result.structured_content))
        return result

    async def ok(self, name: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        """The tool's structured answer; fails the test on a tool error."""
        result = await self.call(name, args)
        assert not result.is_error, result.content[0].text
        return result.structured_content

    async def refused(self, name: str, args: dict[str, Any] | None = None) -> str:
        """The one line of a tool error (without the SDK's `Error executing tool NAME: ` prefix)."""
        result = await self.call(name, args)
        assert result.is_error, result.structured_content
        text = result.content[0].text
        assert text.startswith(f"Error executing tool {name}: ") and "\n" not in text, text
        return text.removeprefix(f"Error executing tool {name}: ")
