"""The binding maps provider trouble to inconclusive: we could not observe; the app's own answers stay failures."""
from __future__ import annotations

import json

import httpx
import pytest

from gonogo import EXIT_INCONCLUSIVE, EXIT_NO_GO
from gonogo_providers import errors
from gonogo_providers.render import RenderClient
from harness.plugin import PROVIDER_TROUBLE, pytest_gonogo_inconclusive_exceptions

KEY = "rnd_Sup3rSecretRenderKey0001"
SRV = "srv-d55qmb95pdvs73cagk60"


def _render_error(answer) -> errors.ProviderError:
    """What the real Render client raises for one scripted answer (no retry waits)."""
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(answer, Exception):
            raise answer
        return answer

    with RenderClient(api_key=KEY, credential="RENDER_API_KEY", transport=httpx.MockTransport(handler),
                      sleep=lambda s: None, max_attempts=2) as render, pytest.raises(errors.ProviderError) as info:
        render.latest_deploy(SRV)
    return info.value


@pytest.mark.parametrize(
    ("answer", "kind", "words"),
    [(httpx.Response(503, text="upstream unavailable"), errors.ServerError, "answered 503"),
     (httpx.Response(429, headers={"Retry-After": "0"}), errors.RateLimitedError, "answered 429"),
     (httpx.Response(401, json={"message": "unauthorized"}), errors.AuthError, "refused RENDER_API_KEY"),
     (httpx.Response(200, text="<html>maintenance</html>"), errors.MalformedResponse, "answered 200"),
     (httpx.ConnectTimeout("timed out"), errors.ProviderTimeout, "timed out"),
     (httpx.ConnectError("connection refused"), errors.ProviderUnreachable, "could not connect")],
    ids=["5xx", "429", "refused-token", "malformed", "timeout", "unreachable"],
)
def test_provider_trouble_is_inconclusive_and_says_which_call(answer, kind, words) -> None:
    error = _render_error(answer)
    assert type(error) is kind and isinstance(error, PROVIDER_TROUBLE)
    # The message an inconclusive test reports names the provider, the call and what it answered.
    assert str(error).startswith(f"render: GET https://api.render.com/v1/services/{SRV}/deploys")
    assert words in str(error) and KEY not in str(error)


def test_a_resource_that_does_not_exist_is_a_fact_not_trouble() -> None:
    error = _render_error(httpx.Response(404, json={"message": "service not found"}))
    assert isinstance(error, errors.NotFoundError) and not isinstance(error, PROVIDER_TROUBLE)
    assert set(pytest_gonogo_inconclusive_exceptions(None)) == {  # type: ignore[arg-type]
        errors.ProviderTimeout, errors.ProviderUnreachable, errors.ServerError, errors.RateLimitedError,
        errors.MalformedResponse, errors.AuthError, errors.PaginationLimitExceeded}


RUNBOOK = """
[criteria.render-live]
title = "the API's live deploy is the release"
stage = "smoke"
rollback = ["backend"]

[criteria.health-public]
title = "GET /health reports healthy"
stage = "smoke"
rollback = ["backend"]
"""

TESTS = """
import pytest
from gonogo_providers import errors

def trouble(kind, status):
    return kind(provider="render", method="GET", url="https://api.render.com/v1/services/srv-1/deploys",
                status=status, attempts=3)

@pytest.mark.smoke
@pytest.mark.criterion("render-live")
def test_render_live():
    raise trouble(errors.{kind}, {status})

@pytest.mark.smoke
@pytest.mark.criterion("health-public")
def test_health():
    status = {health}
    assert status == 200, f"GET /health answered {{status}}"
"""


@pytest.mark.parametrize(
    ("kind", "status", "health", "word", "code", "render_live"),
    [("ServerError", 503, 200, "INCONCLUSIVE", EXIT_INCONCLUSIVE, "inconclusive"),
     ("AuthError", 401, 200, "INCONCLUSIVE", EXIT_INCONCLUSIVE, "inconclusive"),
     ("NotFoundError", 404, 200, "NO-GO", EXIT_NO_GO, "failed"),
     # The app's own 503 is an assertion: NO-GO whatever a provider did.
     ("ServerError", 503, 503, "NO-GO", EXIT_NO_GO, "inconclusive")],
    ids=["render-5xx", "render-refused-token", "render-not-found", "app-503-beside-render-5xx"],
)
def test_the_binding_hook_through_gonogo(pytester: pytest.Pytester, kind, status, health, word, code,
                                         render_live) -> None:
    pytester.makefile(".toml", runbook=RUNBOOK)
    # The binding's own hook, as harness.plugin provides it (the rest of the binding needs a target).
    pytester.makeconftest("from harness.plugin import pytest_gonogo_inconclusive_exceptions  # noqa: F401\n")
    pytester.makepyfile(test_smoke=TESTS.format(kind=kind, status=status, health=health))
    result = pytester.runpytest("-m", "smoke", "-p", "no:cacheprovider", "-p", "no:playwright")
    assert result.ret == code
    data = json.loads((pytester.path / "reports" / "verdict.json").read_text())
    assert data["verdict"] == word
    criteria = {c["id"]: c for c in data["criteria"]}
    assert criteria["render-live"]["status"] == render_live
    # The error's type and its own line: the provider, the call and what it answered.
    message = criteria["render-live"]["tests"][0]["message"]
    assert f"{kind}: render: GET https://api.render.com/v1/services/srv-1/deploys answered {status}" in message
