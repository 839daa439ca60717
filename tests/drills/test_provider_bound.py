"""The stated bound on a dead provider: a target's provider_timeout_s and provider_attempts reach every client.

No sandbox: the target is loaded from a file and the clients are built as the binding builds them; a provider
that never answers in time is one local socket that accepts and says nothing.
"""

from __future__ import annotations

import socket
import time
import tomllib

import pytest
from _drill import REPO_ROOT

from gonogo_providers import DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_WAIT_S, DEFAULT_TIMEOUT_S, ProviderTimeout
from harness import checks
from harness.target import TargetError, load_target

RUNBOOK = tomllib.loads((REPO_ROOT / "runbook.toml").read_text())
SECRETS = {"RENDER_API_KEY": "rnd_bound0000000001", "VERCEL_TOKEN": "vcl_bound0000000001",
           "SUPABASE_ACCESS_TOKEN": "sbp_bound0000000001", "PINECONE_API_KEY": "pcsk_bound000000001"}
CLIENTS = (checks.render_client, checks.vercel_client, checks.supabase_client, checks.pinecone_client)


def _canary(tmp_path, body: str = "", api: str = "https://api.render.com/v1"):
    path = tmp_path / "canary.toml"
    path.write_text(f'extends = "production"\nrender_api_url = "{api}"\n{body}')
    return load_target(str(path), RUNBOOK, REPO_ROOT, env=SECRETS)


def test_by_default_every_client_keeps_the_transport_defaults(tmp_path):
    target = _canary(tmp_path)
    assert (target.provider_timeout_s, target.provider_attempts) == (DEFAULT_TIMEOUT_S, DEFAULT_MAX_ATTEMPTS)
    for make in CLIENTS:
        with make(target) as client:
            assert (client.timeout, client.max_attempts) == (10.0, 4), make.__name__


def test_a_target_file_bounds_every_provider_client(tmp_path):
    target = _canary(tmp_path, "provider_timeout_s = 1.5\nprovider_attempts = 2\n")
    for make in CLIENTS:
        with make(target) as client:
            assert (client.timeout, client.max_attempts, client.max_wait) == (1.5, 2, DEFAULT_MAX_WAIT_S)


@pytest.mark.parametrize(("line", "words"), [
    ("provider_timeout_s = 0", "provider_timeout_s = 0 must be a positive number of seconds"),
    ('provider_timeout_s = "10"', "provider_timeout_s = '10' must be a positive number"),
    ("provider_attempts = 0", "provider_attempts = 0 must be a whole number, 1 or more"),
    ("provider_attempts = 2.5", "provider_attempts = 2.5 must be a whole number"),
    ("provider_attempts = true", "provider_attempts = True must be a whole number"),
])
def test_a_bad_bound_is_one_line_naming_the_file_and_the_field(tmp_path, line, words):
    with pytest.raises(TargetError) as info:
        _canary(tmp_path, line + "\n")
    message = str(info.value)
    assert message.startswith(f"{tmp_path / 'canary.toml'}: ") and words in message and "\n" not in message, message


def test_a_provider_that_never_answers_holds_a_call_attempts_times_timeout(tmp_path):
    # A listening socket that never answers: connects succeed, reads time out.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        port = server.getsockname()[1]
        target = _canary(tmp_path, "provider_timeout_s = 0.3\nprovider_attempts = 2\n",
                         api=f"http://127.0.0.1:{port}/v1")
        started = time.monotonic()
        with checks.render_client(target) as render, pytest.raises(ProviderTimeout) as info:
            render.latest_deploy(target.render_api_service_id)
        took = time.monotonic() - started
    message = str(info.value)
    assert "timed out" in message and "timeout 0.3 s" in message and "after 2 attempts" in message, message
    # 2 x 0.3 s plus one backoff (at most 0.5 s); never the 4 x 10 s of the defaults. Margin for a busy machine.
    assert 0.6 <= took < 0.6 + 0.5 + 3.0, took
