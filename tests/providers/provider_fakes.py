"""Helpers for the provider client tests: a scripted httpx.MockTransport, fake credentials, leak checks."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import httpx

# Credentials that must never show up in any message (checked by the error tests).
RENDER_KEY = "rnd_Sup3rSecretRenderKey0001"
VERCEL_TOKEN = "vcp_Sup3rSecretVercelToken02"
SUPABASE_TOKEN = "sbp_Sup3rSecretSupabasePat003"
PINECONE_KEY = "pcsk_Sup3rSecretPineconeKey04"
ALL_SECRETS = (RENDER_KEY, VERCEL_TOKEN, SUPABASE_TOKEN, PINECONE_KEY)

Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class FakeProvider:
    """Routes (method, path) to a queue of answers (the last one repeats) and records every request."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], deque[Answer]] = {}
        self.requests: list[httpx.Request] = []

    def on(self, method: str, path: str, *answers: Answer) -> FakeProvider:
        self.routes[(method, path)] = deque(answers)
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queue = self.routes.get((request.method, request.url.path))
        if not queue:
            return httpx.Response(404, json={"id": "not_found", "message": f"no route {request.url.path}"})
        answer = queue.popleft() if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer) and not isinstance(answer, httpx.Response):
            return answer(request)
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]

    def params(self, index: int = -1) -> dict[str, list[str]]:
        """The query of one recorded request, each key to its list of values (repeated keys kept)."""
        result: dict[str, list[str]] = {}
        for key, value in self.requests[index].url.params.multi_items():
            result.setdefault(key, []).append(value)
        return result


def json_response(body: Any, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def assert_no_secret(exc: BaseException) -> None:
    for secret in ALL_SECRETS:
        assert secret not in str(exc), f"secret leaked into str(): {exc}"
        assert secret not in repr(exc), f"secret leaked into repr(): {exc!r}"
