"""Evidence reaches verdict.json per test; secrets never reach the terminal or the files."""

from __future__ import annotations

import json

import pytest

from gonogo import EXIT_GO, EXIT_NO_GO, redact_text, redact_tree

TOKEN = "s3cr3t-render-key-123"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvd25lciJ9.c2lnbmF0dXJl"

CONFTEST = f"""
import gonogo

def pytest_gonogo_secrets(config):
    return ["{TOKEN}", "abc"]

def pytest_gonogo_target_name(config):
    return "sandbox"
"""

TESTS = f"""
import types, pytest

def fake_response(status, body):
    request = types.SimpleNamespace(method="GET", url="http://127.0.0.1:9/health?key={TOKEN}",
                                    headers={{"Authorization": "Bearer {TOKEN}"}})
    return types.SimpleNamespace(request=request, status_code=status, text=body,
                                 headers={{"content-type": "application/json", "set-cookie": "sid=1",
                                          "x-trace": "Bearer {JWT}"}},
                                 elapsed=types.SimpleNamespace(total_seconds=lambda: 0.25))

@pytest.mark.smoke
@pytest.mark.criterion("health")
def test_health(evidence, tmp_path):
    evidence.http(fake_response(503, '{{"status": "degraded", "token": "{JWT}"}}' + "x" * 5000))
    evidence.command(["psql", "--password={TOKEN}"], 2, "line\\n" * 2000 + "FATAL: role missing")
    evidence.note("owner", "logged in with api_key={TOKEN}")
    shot = tmp_path / "shot.png"
    shot.write_bytes(b"png")
    evidence.attach(shot, "screenshot")
    assert False, "GET /health answered 503 with Authorization: Bearer {TOKEN}"

@pytest.mark.smoke
@pytest.mark.criterion("frontend")
def test_frontend(evidence):
    evidence.note("alias", "digitalbrains.vercel.app")
"""


def test_evidence_is_kept_redacted_even_when_the_test_fails(pytester: pytest.Pytester, runbook, verdict) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_smoke=TESTS)
    result = pytester.runpytest("-m", "smoke")
    assert result.ret == EXIT_NO_GO
    output = result.stdout.str() + result.stderr.str()
    assert TOKEN not in output and JWT not in output
    result.stdout.fnmatch_lines(["*GET /health answered 503 with Authorization: Bearer ****",
                                 "health*failed*1*4*", "frontend*passed*1*1*"])
    text = (pytester.path / "reports" / "verdict.json").read_text()
    assert TOKEN not in text and JWT not in text
    data = json.loads(text)
    assert data["target"] == "sandbox"
    assert data["reasons"] == ["health failed: test_smoke.py::test_health: GET /health answered 503 with "
                               "Authorization: Bearer ***"]
    http, command, note, attached = data["criteria"][0]["tests"][0]["evidence"]
    assert http["kind"] == "http" and http["method"] == "GET" and http["status"] == 503
    assert http["url"] == "http://127.0.0.1:9/health?key=***"
    assert http["elapsed_s"] == 0.25
    assert http["headers"] == {"content-type": "application/json", "x-trace": "Bearer ***"}
    assert http["body"].startswith('{"status": "degraded", "token": "***"}') and len(http["body"]) < 2100
    assert command["argv"] == "psql --password=***" and command["returncode"] == 2
    assert command["output_tail"].endswith("FATAL: role missing") and len(command["output_tail"]) <= 4000
    assert note == {"kind": "note", "title": "owner", "text": "logged in with api_key=***"}
    assert attached["kind"] == "file" and attached["mime"] == "image/png" and attached["title"] == "screenshot"
    assert attached["path"].endswith("shot.png") and attached["size"] == 3
    assert data["criteria"][1]["tests"][0]["evidence"] == [
        {"kind": "note", "title": "alias", "text": "digitalbrains.vercel.app"}]


def test_evidence_crosses_xdist(pytester: pytest.Pytester, runbook) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_smoke=TESTS)
    result = pytester.runpytest_subprocess("-m", "smoke", "-n", "2")
    assert result.ret == EXIT_NO_GO
    assert TOKEN not in result.stdout.str()
    data = json.loads((pytester.path / "reports" / "verdict.json").read_text())
    assert [e["kind"] for e in data["criteria"][0]["tests"][0]["evidence"]] == ["http", "command", "note", "file"]
    assert data["target"] == "sandbox"


def test_short_secrets_are_ignored_and_go_keeps_target(pytester: pytest.Pytester, runbook, verdict) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_smoke="""
import pytest

@pytest.mark.smoke
@pytest.mark.criterion("health")
def test_health(evidence):
    evidence.note("abc", "abcdef")

@pytest.mark.smoke
@pytest.mark.criterion("frontend")
def test_frontend():
    pass
""")
    assert pytester.runpytest("-m", "smoke").ret == EXIT_GO
    data = verdict()
    assert data["target"] == "sandbox"
    assert data["criteria"][0]["tests"][0]["evidence"] == [{"kind": "note", "title": "abc", "text": "abcdef"}]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abcdefgh12345678", "Authorization: Bearer ***"),
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "Authorization: Basic ***"),
        (f"token {JWT} end", "token *** end"),
        ("Api-Key: pk-1234567890", "Api-Key: ***"),
        ('{"x-api-key": "pk-123"}', '{"x-api-key": "***"}'),
        ("Basic auth is off", "Basic auth is off"),
        (f"value {TOKEN}!", "value ***!"),
    ],
)
def test_redact_text(text: str, expected: str) -> None:
    assert redact_text(text, [TOKEN, "ab"]) == expected


def test_redact_tree_masks_every_string_of_plain_data_keys_and_tuples_too() -> None:
    secret = "tok-TREE-1234"
    data = {"a": [f"x {secret}", (secret, 3)], f"key {secret}": {"n": None, "s": secret}}
    assert redact_tree(data, [secret]) == {"a": ["x ***", ["***", 3]], "key ***": {"n": None, "s": "***"}}
