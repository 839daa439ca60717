"""The shared transport, once per client: retries, Retry-After, timeouts, malformed JSON, 401, no token leaks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from provider_fakes import (
    PINECONE_KEY,
    RENDER_KEY,
    SUPABASE_TOKEN,
    VERCEL_TOKEN,
    FakeProvider,
    assert_no_secret,
    json_response,
)

from gonogo_providers._http import Exchange, parse_rate_limit_reset, parse_retry_after, redact_url
from gonogo_providers.errors import (
    AuthError,
    MalformedResponse,
    NotFoundError,
    ProviderError,
    ProviderTimeout,
    ProviderUnreachable,
    RateLimitedError,
    ServerError,
)
from gonogo_providers.pinecone import PineconeClient
from gonogo_providers.render import RenderClient
from gonogo_providers.supabase import SupabaseClient
from gonogo_providers.vercel import VercelClient

# One representative GET per client: (factory, call, path served, a good body, the URL an error names).
CASES = {
    "render": (lambda **kw: RenderClient(api_key=RENDER_KEY, **kw), lambda c: c.get_service("srv-1"),
               "/v1/services/srv-1",
               {"id": "srv-1", "name": "api", "type": "web_service", "ownerId": "tea-1"},
               "https://api.render.com/v1/services/srv-1"),
    "vercel": (lambda **kw: VercelClient(token=VERCEL_TOKEN, team_id="team_1", **kw), lambda c: c.get_project("prj_1"),
               "/v9/projects/prj_1", {"id": "prj_1", "name": "web", "nodeVersion": "20.x"},
               "https://api.vercel.com/v9/projects/prj_1?teamId=team_1"),
    "supabase": (lambda **kw: SupabaseClient(access_token=SUPABASE_TOKEN, **kw), lambda c: c.list_migrations("ref1"),
                 "/v1/projects/ref1/database/migrations", [{"version": "20260101000000", "name": "init"}],
                 "https://api.supabase.com/v1/projects/ref1/database/migrations"),
    "pinecone": (lambda **kw: PineconeClient(api_key=PINECONE_KEY, **kw), lambda c: c.describe_index("idx"),
                 "/indexes/idx", {"name": "idx", "host": "h", "status": {"ready": True, "state": "Ready"}},
                 "https://api.pinecone.io/indexes/idx"),
}


@pytest.fixture(params=sorted(CASES))
def case(request, fake: FakeProvider, sleeps: list[float]):
    """(client, call, path, good body, URL in messages, provider name) for each provider in turn."""
    factory, call, path, body, url = CASES[request.param]
    client = factory(transport=fake.transport, sleep=sleeps.append)
    yield client, call, path, body, url, request.param
    client.close()


def _token_in_headers(fake: FakeProvider) -> None:
    """Every request carried the credential, so a leak-free message is a real property, not luck."""
    assert fake.requests
    for request in fake.requests:
        headers = " ".join(request.headers.values())
        assert any(secret in headers for secret in (RENDER_KEY, VERCEL_TOKEN, SUPABASE_TOKEN, PINECONE_KEY))


def test_429_with_retry_after_then_success(case, fake, sleeps):
    client, call, path, body, _, _ = case
    fake.on("GET", path, json_response({"message": "rate limited"}, 429, **{"Retry-After": "7"}), json_response(body))
    call(client)
    assert sleeps == [7.0]
    assert len(fake.requests) == 2


def test_500_then_success_backs_off(case, fake, sleeps):
    client, call, path, body, _, _ = case
    fake.on("GET", path, json_response({"message": "oops"}, 500), json_response({"message": "oops"}, 502),
            json_response(body))
    call(client)
    assert len(sleeps) == 2
    assert 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0  # exponential with jitter in [0.5, 1]


def test_500_until_exhaustion_names_method_url_status(case, fake, sleeps):
    client, call, path, _, url, provider = case
    fake.on("GET", path, json_response({"message": "internal"}, 503))
    with pytest.raises(ServerError) as caught:
        call(client)
    err = caught.value
    assert str(err) == f"{provider}: GET {url} answered 503 after 4 attempts: internal"
    assert (err.provider, err.method, err.url, err.status, err.attempts) == (provider, "GET", url, 503, 4)
    assert len(fake.requests) == 4 and len(sleeps) == 3
    _token_in_headers(fake)
    assert_no_secret(err)


def test_read_timeout_until_exhaustion(case, fake, sleeps):
    client, call, path, _, url, provider = case
    fake.on("GET", path, httpx.ReadTimeout("read timed out"))
    with pytest.raises(ProviderTimeout) as caught:
        call(client)
    assert str(caught.value).startswith(f"{provider}: GET {url} timed out (ReadTimeout, timeout 10 s)")
    assert caught.value.status is None and len(fake.requests) == 4
    _token_in_headers(fake)
    assert_no_secret(caught.value)


def test_timeout_then_success(case, fake, sleeps):
    client, call, path, body, _, _ = case
    fake.on("GET", path, httpx.ConnectTimeout("connect timed out"), json_response(body))
    call(client)
    assert len(sleeps) == 1


def test_malformed_json(case, fake, sleeps):
    client, call, path, _, url, provider = case
    fake.on("GET", path, httpx.Response(200, content=b"<html>Bad Gateway</html>",
                                        headers={"Content-Type": "text/html"}))
    with pytest.raises(MalformedResponse) as caught:
        call(client)
    assert str(caught.value) == f"{provider}: GET {url} answered 200 with a body that is not JSON"
    assert sleeps == [] and len(fake.requests) == 1
    assert_no_secret(caught.value)


def test_401_is_an_auth_error_without_retry(case, fake, sleeps):
    client, call, path, _, url, provider = case
    # A provider echoing the credential in its error must not leak it into the message either.
    secret = {"render": RENDER_KEY, "vercel": VERCEL_TOKEN, "supabase": SUPABASE_TOKEN, "pinecone": PINECONE_KEY}
    echoed = f"invalid credential {secret[provider]} (Authorization: Bearer {secret[provider]})"
    fake.on("GET", path, json_response({"message": echoed, "error": {"message": echoed}}, 401))
    with pytest.raises(AuthError) as caught:
        call(client)
    generic = {"render": "the Render API key", "vercel": "the Vercel token",
               "supabase": "the Supabase access token", "pinecone": "the Pinecone API key"}[provider]
    assert str(caught.value).startswith(
        f"{provider}: GET {url} answered 401: {provider} refused {generic}: invalid credential ***")
    assert caught.value.credential == generic
    assert len(fake.requests) == 1 and sleeps == []
    _token_in_headers(fake)
    assert_no_secret(caught.value)


# The label the binding gives each client (the env var the credential came from; never its value).
LABELS = {"render": "RENDER_API_KEY", "vercel": "VERCEL_TOKEN", "supabase": "SUPABASE_ACCESS_TOKEN",
          "pinecone": "PINECONE_API_KEY"}


@pytest.mark.parametrize("status", [401, 403])
@pytest.mark.parametrize("provider", sorted(CASES))
def test_auth_error_names_the_provider_and_the_credential_it_refused(fake, sleeps, provider, status):
    factory, call, path, _, url = CASES[provider]
    fake.on("GET", path, json_response({"message": "forbidden"}, status))
    with factory(transport=fake.transport, sleep=sleeps.append, credential=LABELS[provider]) as client, \
            pytest.raises(AuthError) as caught:
        call(client)
    assert str(caught.value) == (
        f"{provider}: GET {url} answered {status}: {provider} refused {LABELS[provider]}: forbidden")
    err = caught.value
    assert (err.credential, err.status, err.call) == (LABELS[provider], status, f"GET {path}")


def test_a_credential_label_that_is_the_secret_itself_is_masked(fake, sleeps):
    fake.on("GET", "/v1/services/srv-1", json_response({"message": "nope"}, 401))
    with RenderClient(api_key=RENDER_KEY, credential=RENDER_KEY, transport=fake.transport,
                      sleep=sleeps.append) as render, pytest.raises(AuthError) as caught:
        render.get_service("srv-1")
    assert "render refused ***: nope" in str(caught.value)
    assert_no_secret(caught.value)


@pytest.mark.parametrize(("answer", "kind", "status"), [
    (json_response({"message": "internal"}, 500), ServerError, 500),
    (json_response({"message": "slow down"}, 429), RateLimitedError, 429),
    (json_response({"message": "missing"}, 404), NotFoundError, 404),
    (json_response({"message": "bad"}, 401), AuthError, 401),
    (json_response({"message": "conflict"}, 409), ProviderError, 409),
    (httpx.ReadTimeout("read timed out"), ProviderTimeout, None),
    (httpx.ConnectError("refused"), ProviderUnreachable, None),
])
def test_every_error_after_the_retries_carries_provider_call_and_status(case, fake, sleeps, answer, kind, status):
    client, call, path, _, url, provider = case
    fake.on("GET", path, answer)
    with pytest.raises(kind) as caught:
        call(client)
    err = caught.value
    assert type(err) is kind
    assert (err.provider, err.call, err.status) == (provider, f"GET {path}", status)
    assert str(err).startswith(f"{provider}: GET {url} ")
    if status is not None:
        assert f"answered {status}" in str(err)
    assert_no_secret(err)


def test_connection_refused_is_unreachable(case, fake, sleeps):
    client, call, path, _, url, provider = case
    fake.on("GET", path, httpx.ConnectError("[Errno 111] Connection refused"))
    with pytest.raises(ProviderUnreachable, match=r"could not connect \(ConnectError\) after 4 attempts"):
        call(client)


def test_429_exhaustion_is_rate_limited(case, fake, sleeps):
    client, call, path, _, url, provider = case
    fake.on("GET", path, json_response({"message": "slow down"}, 429, **{"Retry-After": "1"}))
    with pytest.raises(RateLimitedError, match=f"^{provider}: GET .* answered 429 after 4 attempts"):
        call(client)
    assert sleeps == [1.0, 1.0, 1.0]


def make_render(fake: FakeProvider, sleeps: list[float], **kw) -> RenderClient:
    return RenderClient(api_key=RENDER_KEY, transport=fake.transport, sleep=sleeps.append, **kw)


def test_retry_after_beyond_the_budget_fails_at_once(fake, sleeps):
    fake.on("GET", "/v1/services/srv-1", json_response({"message": "later"}, 429, **{"Retry-After": "120"}))
    with make_render(fake, sleeps, max_wait=30) as render, pytest.raises(RateLimitedError) as caught:
        render.get_service("srv-1")
    assert "Retry-After 120 s exceeds the remaining retry budget of 30 s" in str(caught.value)
    assert sleeps == [] and len(fake.requests) == 1


def test_total_sleep_is_capped_by_max_wait(fake, sleeps):
    fake.on("GET", "/v1/services/srv-1", json_response({}, 500))
    with make_render(fake, sleeps, max_attempts=10, max_wait=3) as render, pytest.raises(ServerError):
        render.get_service("srv-1")
    assert sum(sleeps) <= 3.0 + 1e-9 and len(fake.requests) <= 10


def test_retry_after_http_date_is_honoured():
    now = datetime(2026, 11, 24, 10, 0, 0, tzinfo=UTC)
    assert parse_retry_after(format_datetime(now + timedelta(seconds=5), usegmt=True), now=now) == 5.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=5), usegmt=True), now=now) == 0.0
    assert parse_retry_after("2.5") == 2.5 and parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_rate_limit_reset_reads_a_delay_or_an_epoch():
    # Both readings of the reset header (docs/providers.md#rate-limits): a delay, epoch seconds, epoch ms.
    now = datetime(2026, 11, 24, 10, 0, 0, tzinfo=UTC)
    assert parse_rate_limit_reset("45", now=now) == 45.0
    assert parse_rate_limit_reset(str(int(now.timestamp()) + 20), now=now) == 20.0
    assert parse_rate_limit_reset(str(int(now.timestamp() * 1000) + 7500), now=now) == 7.5
    assert parse_rate_limit_reset(str(int(now.timestamp()) - 20), now=now) == 0.0  # already past
    assert parse_rate_limit_reset("soon") is None and parse_rate_limit_reset("-3") is None
    assert parse_rate_limit_reset(None) is None


@pytest.mark.parametrize("header", ["Ratelimit-Reset", "X-RateLimit-Reset"])
def test_429_without_retry_after_waits_for_the_reset_header(fake, sleeps, header):
    fake.on("GET", "/v1/services/srv-1", json_response({"message": "slow down"}, 429, **{header: "6"}),
            json_response({"id": "srv-1"}))
    with make_render(fake, sleeps) as render:
        render.get_service("srv-1")
    assert sleeps == [6.0]


# Each provider's own reset header (docs/providers.md#rate-limits); Pinecone documents none.
RESET_HEADER = {"render": "Ratelimit-Reset", "supabase": "X-RateLimit-Reset", "vercel": "X-RateLimit-Reset"}


@pytest.mark.parametrize("reading", ["delay", "epoch-s", "epoch-ms"])
@pytest.mark.parametrize("provider", sorted(RESET_HEADER))
def test_each_provider_waits_for_its_own_reset_header_under_both_readings(fake, sleeps, provider, reading):
    factory, call, path, body, _ = CASES[provider]
    now = datetime.now(UTC).timestamp()
    value = {"delay": "5", "epoch-s": str(int(now) + 6), "epoch-ms": str(int(now * 1000) + 6000)}[reading]
    fake.on("GET", path, json_response({"message": "slow down"}, 429, **{RESET_HEADER[provider]: value}),
            json_response(body))
    with factory(transport=fake.transport, sleep=sleeps.append) as client:
        call(client)
    assert len(sleeps) == 1 and 3.0 <= sleeps[0] <= 6.0
    assert len(fake.requests) == 2


@pytest.mark.parametrize("provider", sorted(RESET_HEADER))
def test_a_reset_beyond_the_wait_budget_fails_at_once_for_each_provider(fake, sleeps, provider):
    factory, call, path, _, url = CASES[provider]
    fake.on("GET", path, json_response({"message": "slow down"}, 429, **{RESET_HEADER[provider]: "45"}))
    with factory(transport=fake.transport, sleep=sleeps.append, max_wait=30) as client, \
            pytest.raises(RateLimitedError) as caught:
        call(client)
    assert str(caught.value).startswith(f"{provider}: GET {url} answered 429")
    assert f"{RESET_HEADER[provider]} 45 s exceeds the remaining retry budget of 30 s" in str(caught.value)
    assert sleeps == [] and len(fake.requests) == 1


def test_retry_after_wins_over_the_reset_header(fake, sleeps):
    fake.on("GET", "/v1/services/srv-1",
            json_response({}, 429, **{"Retry-After": "2", "X-RateLimit-Reset": "9"}), json_response({"id": "srv-1"}))
    with make_render(fake, sleeps) as render:
        render.get_service("srv-1")
    assert sleeps == [2.0]


def test_reset_header_beyond_the_budget_fails_at_once_naming_it(fake, sleeps):
    fake.on("GET", "/v1/projects/ref1/database/migrations",
            json_response({"message": "too many requests"}, 429, **{"X-RateLimit-Reset": "55"}))
    with SupabaseClient(access_token=SUPABASE_TOKEN, transport=fake.transport, sleep=sleeps.append) as supabase, \
            pytest.raises(RateLimitedError) as caught:
        supabase.list_migrations("ref1")
    assert "X-RateLimit-Reset 55 s exceeds the remaining retry budget of 30 s" in str(caught.value)
    assert sleeps == [] and len(fake.requests) == 1


def test_retry_after_http_date_on_a_live_429(fake, sleeps):
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=4), usegmt=True)
    fake.on("GET", "/v1/services/srv-1", json_response({}, 429, **{"Retry-After": when}),
            json_response({"id": "srv-1"}))
    with make_render(fake, sleeps) as render:
        render.get_service("srv-1")
    assert len(sleeps) == 1 and 2.0 <= sleeps[0] <= 4.0


def test_caller_client_gets_auth_and_timeout_and_is_not_closed(fake, sleeps):
    fake.on("GET", "/v1/services/srv-1", json_response({"id": "srv-1"}))
    own = httpx.Client(transport=fake.transport)
    with RenderClient(api_key=RENDER_KEY, client=own, timeout=2.5, sleep=sleeps.append) as render:
        render.get_service("srv-1")
    assert fake.requests[0].headers["Authorization"] == f"Bearer {RENDER_KEY}"
    assert fake.requests[0].extensions["timeout"] == {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}
    assert not own.is_closed
    own.close()


def test_on_exchange_records_each_attempt_without_secrets(fake, sleeps):
    seen: list[Exchange] = []
    fake.on("GET", "/v1/services/srv-1", json_response({}, 503), json_response({"id": "srv-1"}))
    with make_render(fake, sleeps, on_exchange=seen.append) as render:
        render.get_service("srv-1")
    assert [(e.method, e.url, e.status, e.attempt) for e in seen] == [
        ("GET", "https://api.render.com/v1/services/srv-1", 503, 1),
        ("GET", "https://api.render.com/v1/services/srv-1", 200, 2)]
    assert RENDER_KEY not in repr(seen)


def test_redact_url_hides_sensitive_query_values():
    url = redact_url("https://h/x?teamId=team_1&api_key=abc&token=t0k&status=live")
    assert url == "https://h/x?teamId=team_1&api_key=***&token=***&status=live"


def test_repr_of_client_and_auth_hide_the_key(fake, sleeps):
    with make_render(fake, sleeps) as render:
        assert RENDER_KEY not in repr(render) and RENDER_KEY not in repr(render._auth)
    with PineconeClient(api_key=PINECONE_KEY, transport=fake.transport) as pinecone:
        assert PINECONE_KEY not in repr(pinecone._auth)


@pytest.mark.parametrize("factory", [
    lambda: RenderClient(api_key=""), lambda: VercelClient(token=""),
    lambda: SupabaseClient(access_token=""), lambda: PineconeClient(api_key=""),
])
def test_empty_credentials_are_refused(factory: Callable[[], object]):
    with pytest.raises(ValueError, match="is empty; pass the secret from its environment variable"):
        factory()


def test_other_4xx_is_a_plain_provider_error_without_retry(fake, sleeps):
    fake.on("POST", "/v1/services/srv-1/rollback", json_response(
        {"id": "bad_request", "message": "deploy dep-x cannot be rolled back to"}, 400))
    with make_render(fake, sleeps) as render, pytest.raises(ProviderError) as caught:
        render.rollback("srv-1", "dep-x")
    assert type(caught.value) is ProviderError and caught.value.status == 400
    assert str(caught.value) == ("render: POST https://api.render.com/v1/services/srv-1/rollback answered 400: "
                                 "deploy dep-x cannot be rolled back to")
    assert sleeps == []


def test_retry_after_on_a_503_is_honoured(fake, sleeps):
    fake.on("GET", "/v1/services/srv-1", json_response({"message": "maintenance"}, 503, **{"Retry-After": "2"}),
            json_response({"id": "srv-1"}))
    with make_render(fake, sleeps) as render:
        assert render.get_service("srv-1").id == "srv-1"
    assert sleeps == [2.0]


def test_errors_survive_pickling_with_their_attributes(fake, sleeps):
    import pickle

    fake.on("GET", "/v1/services/srv-1", json_response({"message": "nope"}, 401))
    with make_render(fake, sleeps) as render, pytest.raises(AuthError) as caught:
        render.get_service("srv-1")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is AuthError and str(copy) == str(caught.value)
    assert (copy.method, copy.url, copy.status, copy.provider) == ("GET", caught.value.url, 401, "render")
