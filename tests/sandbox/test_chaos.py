"""Provider chaos: the switch on its own, then every mode on each real emulator, and the `chaos` CLI."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from _stack import PROVIDERS, worker_stack

from sandbox.emulators.chaos import MODES, Chaos, ChaosError

# The worker's shared sandbox: chaos is an emulator's switch, reset by every test that sets it.
stack = worker_stack()
# The rate-limit headers each provider sends with a 429 (docs/providers.md#rate-limits); Pinecone: none.
RATE_LIMIT_PREFIX = {"render": "ratelimit-", "vercel": "x-ratelimit-", "supabase": "x-ratelimit-", "pinecone": None}


# -- the switch on its own ------------------------------------------------------------------------
def test_count_limits_the_misbehaving_requests_and_zero_or_always_is_every_one():
    chaos = Chaos()
    chaos.set({"mode": "503", "count": 2})
    assert [bool(chaos.take("GET /a")) for _ in range(3)] == [True, True, False]
    for unlimited in (0, "always"):
        chaos.set({"mode": "500", "count": unlimited})
        assert all(chaos.take("GET /a") for _ in range(50))
        assert chaos.to_json()["count"] == "always"
    chaos.clear()
    assert chaos.take("GET /a") is None and chaos.to_json()["mode"] == ""


def test_flaky_502_fails_each_path_once_then_lets_its_retry_through():
    chaos = Chaos()
    chaos.set({"mode": "flaky-502", "count": "always"})
    answers = [chaos.take(key) for key in ("GET /a", "GET /b", "GET /a", "GET /b", "GET /a", "POST /a", "POST /a")]
    assert [a.mode if a else "ok" for a in answers] == ["flaky-502", "flaky-502", "ok", "ok", "flaky-502",
                                                       "flaky-502", "ok"]
    chaos.set({"mode": "flaky-502", "count": 1})
    assert [bool(chaos.take("GET /a")) for _ in range(4)] == [True, False, False, False], "count counts the 502s"


def test_delays_default_per_mode():
    chaos = Chaos()
    chaos.set({"mode": "hang"})
    assert chaos.take("GET /a").delay_s == 30.0
    chaos.set({"mode": "slow", "delay_s": 0.5})
    assert chaos.take("GET /a").delay_s == 0.5


@pytest.mark.parametrize("body, field", [
    ({"mode": "teapot"}, "mode"), ({"mode": "503", "count": -1}, "count"), ({"mode": "503", "count": "x"}, "count"),
    ({"mode": "503", "count": True}, "count"), ({"mode": "429", "retry_after": -1}, "retry_after"),
    ({"mode": "hang", "delay_s": "long"}, "delay_s"),
])
def test_bad_switches_are_refused_naming_the_field(body, field):
    with pytest.raises(ChaosError, match=f"^{field} must be"):
        Chaos().set(body)


# -- every mode on each real emulator ---------------------------------------------------------------
def _target(stack, provider: str) -> tuple[str, str, httpx.Client]:
    """The emulator's base URL, the full URL of one provider call, a client with the provider's credential."""
    base = stack.status[f"{provider}_api_url"].removesuffix("/v1")
    path = {"render": "/v1/services", "vercel": f"/v9/projects/{stack.status['vercel_project_id']}",
            "supabase": f"/v1/projects/{stack.status['supabase_project_ref']}",
            "pinecone": "/indexes/digital-twin-brain"}[provider]
    return base, base + path, getattr(stack, provider)()


def _chaos(base: str, **body) -> httpx.Response:
    return httpx.post(base + "/_sandbox/chaos", json=body, timeout=5)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_each_mode_answers_as_that_provider_would(stack, provider):
    base, url, client = _target(stack, provider)
    with client:
        assert _chaos(base, mode="503", count=1).json() == {"mode": "503", "count": 1, "retry_after": 1,
                                                            "delay_s": None}
        down = client.get(url)
        assert down.status_code == 503 and down.headers["content-type"].startswith("application/json")
        assert client.get(url).status_code == 200

        # The provider's own 401: the same body its auth check gives a wrong credential.
        _chaos(base, mode="unauthorized", count=1)
        refused = client.get(url)
        wrong = httpx.get(url, timeout=5, headers={"Authorization": "Bearer wrong", "Api-Key": "wrong",
                                                            "X-Pinecone-Api-Version": "2025-10"})
        assert refused.status_code == wrong.status_code == 401
        assert _shape(refused.json()) == _shape(wrong.json())

        _chaos(base, mode="html", count=1)
        page = client.get(url)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert page.text.lstrip().startswith("<!DOCTYPE html>")

        _chaos(base, mode="429", count=1)
        limited = client.get(url)
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
        prefix = RATE_LIMIT_PREFIX[provider]
        rate = {k for k in limited.headers if "ratelimit" in k}
        assert rate == ({prefix + s for s in ("limit", "remaining", "reset")} if prefix else set())

        _chaos(base, mode="flaky-502", count="always")
        assert [client.get(url).status_code for _ in range(4)] == [502, 200, 502, 200]
        assert httpx.delete(base + "/_sandbox/chaos", timeout=5).json()["mode"] == ""
        assert [client.get(url).status_code for _ in range(2)] == [200, 200]


def _shape(body) -> object:
    """A JSON body's keys, nested (values such as Render's random error id differ)."""
    return {k: _shape(v) for k, v in body.items()} if isinstance(body, dict) else type(body).__name__


@pytest.mark.parametrize("provider", ["render", "pinecone"])
def test_hang_holds_one_request_past_the_client_timeout_while_others_are_served(stack, provider):
    base, url, client = _target(stack, provider)
    held: dict = {}

    def call() -> None:
        t0 = time.monotonic()
        try:
            client.get(url, timeout=0.8)
        except httpx.ReadTimeout:
            held["timed_out_after"] = time.monotonic() - t0

    with client:
        _chaos(base, mode="hang", count=1, delay_s=3)
        waiting = threading.Thread(target=call)
        waiting.start()
        time.sleep(0.2)
        t0 = time.monotonic()
        assert client.get(url).status_code == 200, "another request is answered while one hangs"
        assert time.monotonic() - t0 < 0.7
        waiting.join(timeout=10)
    assert 0.7 < held.get("timed_out_after", 0) < 2.0, held


def test_hang_answers_a_patient_client_with_a_gateway_timeout(stack):
    base, url, client = _target(stack, "supabase")
    with client:
        _chaos(base, mode="hang", count=1, delay_s=0.5)
        res = client.get(url, timeout=5)
    assert res.status_code == 504 and "message" in res.json()


def test_the_sandbox_routes_never_misbehave(stack):
    base, _, _ = _target(stack, "render")
    _chaos(base, mode="503", count="always")
    try:
        assert httpx.get(base + "/_sandbox/ping", timeout=5).status_code == 200
        assert httpx.get(base + "/_sandbox/chaos", timeout=5).json()["count"] == "always"
    finally:
        assert httpx.delete(base + "/_sandbox/chaos", timeout=5).status_code == 200


# -- the CLI ------------------------------------------------------------------------------------------
def test_cli_switches_shows_and_clears_chaos(stack):
    base, url, client = _target(stack, "vercel")
    res = stack.cli("chaos", "vercel", "503", "--count", "2")
    assert res.returncode == 0 and "503 on the next 2 request(s)" in res.stdout, res.stderr
    shown = stack.cli("chaos")
    assert shown.returncode == 0 and "vercel    503 (2 more)" in shown.stdout and "render    off" in shown.stdout
    with client:
        assert [client.get(url).status_code for _ in range(3)] == [503, 503, 200]
        assert stack.cli("chaos", "pinecone", "hang", "--count", "always", "--delay", "0.3").returncode == 0
        assert httpx.get(stack.status["pinecone_api_url"] + "/_sandbox/chaos", timeout=5).json() == {
            "mode": "hang", "count": "always", "retry_after": 1, "delay_s": 0.3}
        assert stack.cli("chaos", "render", "429", "--retry-after", "3").returncode == 0
        cleared = stack.cli("chaos", "--clear")
        assert cleared.returncode == 0 and "render, vercel, supabase, pinecone" in cleared.stdout
        assert all(httpx.get(stack.status[f"{p}_api_url"].removesuffix("/v1") + "/_sandbox/chaos",
                             timeout=5).json()["mode"] == "" for p in PROVIDERS)
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("args, says", [
    (("heroku", "503"), "provider 'heroku' is unknown"),
    (("render", "teapot"), "mode 'teapot' is unknown"),
    (("render",), "give PROVIDER MODE"),
    (("render", "503", "--clear"), "give PROVIDER MODE"),
    (("render", "503", "--count", "-2"), "--count must be"),
    (("render", "503", "--count", "often"), "--count must be"),
])
def test_cli_usage_errors_exit_2(stack, args, says):
    # The CLI's own code in this process (its exit codes as a process: test_cli_switches_shows_and_clears_chaos).
    res = stack.call("chaos", *args)
    assert res.returncode == 2 and says in res.stderr


def test_cli_help_lists_every_mode(stack):
    # A process of its own: argparse wraps the help to the width of the terminal, which a pipe fixes at 80.
    helped = " ".join(stack.cli("chaos", "--help").stdout.split())
    assert all(f"{mode}:" in helped for mode in MODES)
