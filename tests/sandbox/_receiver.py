"""A local webhook for the notification tests (tests/plugin, tests/release): records each JSON body it is sent."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Receiver:
    """What a local webhook was sent: each JSON body and its headers."""

    port: int
    messages: list[dict] = field(default_factory=list)
    headers: list[dict] = field(default_factory=list)

    def url(self, path: str = "/hook") -> str:
        """Its apprise URL (a plain JSON webhook)."""
        return f"json://127.0.0.1:{self.port}{path}"


@contextmanager
def json_receiver() -> Iterator[Receiver]:
    """A webhook on 127.0.0.1 (a free port) that answers 200 to every POST, until the block ends."""
    box: list[Receiver] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            box[0].messages.append(json.loads(body))
            box[0].headers.append(dict(self.headers))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.append(Receiver(server.server_address[1]))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
