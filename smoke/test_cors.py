"""Section 5 step E.3: the frontend can call the API without CORS failure; a foreign origin cannot."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.smoke, pytest.mark.criterion("cors-frontend")]


def _preflight(api, origin: str):
    return api.options("/health", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    })


def test_frontend_origin_is_allowed(api, frontend_origin):
    origin = frontend_origin
    response = _preflight(api, origin)
    allowed = response.headers.get("access-control-allow-origin")
    assert allowed in (origin, "*") and response.status_code < 400, (
        f"preflight from the frontend origin {origin} answered {response.status_code} "
        f"with Access-Control-Allow-Origin {allowed!r}")
    simple = api.get("/health", headers={"Origin": origin})
    assert simple.headers.get("access-control-allow-origin") in (origin, "*"), (
        f"GET /health from {origin} carries no Access-Control-Allow-Origin for it")


def test_foreign_origin_is_refused(api, target):
    response = _preflight(api, target.foreign_origin)
    allowed = response.headers.get("access-control-allow-origin")
    assert allowed is None, (
        f"a foreign origin {target.foreign_origin} was allowed (Access-Control-Allow-Origin {allowed!r})")
