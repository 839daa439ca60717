"""Canary secrets put everywhere a test can put them never reach the terminal or any file of the run."""

from __future__ import annotations

import base64
import re
from urllib.parse import quote, quote_plus

import pytest

from gonogo import EXIT_GO, EXIT_NO_GO
from gonogo.markdown import STEP_SUMMARY_ENV

TOKEN = "canary-render-key-7f3a9c"
PASSWORD = "canary-Pa55word-q8z"
DB_PASSWORD = "canary-dbpass-4k2"
DB_URL = f"postgresql://app:{DB_PASSWORD}@127.0.0.1:5432/app"
# Percent-encoded in a query string or a path: it must be masked in that spelling too.
ODD = "canary+odd pass/w@rd=1"
# Not declared anywhere: the built-in JWT and bearer patterns must catch them.
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.Y2FuYXJ5LXNpZw"
BEARER = "canarybearer0123456789"
# Long enough that --showlocals elides its middle: the signature tail must not survive the elision.
SIGNATURE = "canarySigCanarySigCanarySigCanarySigCanary1"
LONG_JWT = ("eyJhbGciOiJIUzI1NiJ9." + base64.urlsafe_b64encode(b'{"sub": "owner", "pad": "' + b"x" * 300 + b'"}')
            .decode().rstrip("=") + "." + SIGNATURE)
CANARIES = (TOKEN, PASSWORD, DB_PASSWORD, DB_URL, JWT, BEARER, ODD, quote(ODD, safe=""), quote_plus(ODD),
            SIGNATURE)

CONFTEST = f"""
def pytest_gonogo_secrets(config):
    # As the runbook's conftest does: the values, and the password inside the DSN.
    return ["{TOKEN}", "{PASSWORD}", "{DB_URL}", "{DB_PASSWORD}", "{ODD}"]
"""

# Plain text (not an f-string): the inner module has f-strings of its own; constants are put in below.
TESTS = """
import logging, sys, types, warnings
from urllib.parse import quote, urlencode
import pytest
from pytest_html import extras as html_extras

FAIL = @FAIL@
TOKEN, PASSWORD, DB_URL, JWT, BEARER, ODD, LONG_JWT = @CONSTS@

def fake_response(status):
    query = urlencode({"token": TOKEN, "password": ODD})
    request = types.SimpleNamespace(method="POST", url=f"http://127.0.0.1:9/auth/{quote(ODD, safe='')}?{query}")
    body = f'{{"access_token": "{JWT}", "echo": "Authorization: Bearer {BEARER}", "pw": "{PASSWORD}"}}'
    return types.SimpleNamespace(request=request, status_code=status, text=body,
                                 headers={"x-echo": TOKEN, "authorization": f"Bearer {BEARER}"},
                                 elapsed=types.SimpleNamespace(total_seconds=lambda: 0.1))

@pytest.fixture
def session_token():
    if FAIL:
        raise RuntimeError(f"login with {PASSWORD} returned {JWT}")
    return JWT

@pytest.mark.smoke
@pytest.mark.criterion("health")
@pytest.mark.parametrize("key", [TOKEN])
def test_health(evidence, key, record_property, extras):
    print("connecting to", DB_URL, "with token", key, "via", f"http://127.0.0.1:9/?{urlencode({'p': ODD})}")
    print("owner password", PASSWORD, "Authorization: Bearer " + BEARER, file=sys.stderr)
    logging.getLogger("app").warning("login %s got %s", PASSWORD, JWT)
    warnings.warn(f"deprecated key {TOKEN}")
    record_property("dsn", DB_URL)
    extras.append(html_extras.text(f"token {TOKEN} and {JWT}", name="another plugin's text"))
    evidence.http(fake_response(401 if FAIL else 200))
    evidence.command(["psql", DB_URL], 2 if FAIL else 0, f"password authentication failed for {PASSWORD}")
    evidence.note(f"owner {PASSWORD}", f"Authorization: Bearer {BEARER} token={TOKEN}")
    secret_local = PASSWORD  # shown by --showlocals
    session = {"access_token": LONG_JWT}  # elided by --showlocals: head "..." signature
    assert not FAIL, f"login failed with {secret_local} and {JWT} at {DB_URL}"

@pytest.mark.smoke
@pytest.mark.criterion("frontend")
def test_frontend(session_token):
    print("got", session_token)
""".replace("@CONSTS@", repr((TOKEN, PASSWORD, DB_URL, JWT, BEARER, ODD, LONG_JWT)))

BROKEN = f"""
raise RuntimeError("cannot import: {DB_URL} refused {PASSWORD}")
"""


def leaks(texts: dict[str, str]) -> list[str]:
    return [f"{canary} in {where}" for where, text in texts.items() for canary in CANARIES if canary in text]


@pytest.mark.parametrize("xdist", [False, True], ids=["in-process", "xdist"])
@pytest.mark.parametrize("fail", [False, True], ids=["GO", "NO-GO"])
def test_no_canary_in_terminal_or_any_report_file(pytester: pytest.Pytester, runbook,
                                                  monkeypatch: pytest.MonkeyPatch, fail: bool, xdist: bool) -> None:
    reports = pytester.path / "reports"
    monkeypatch.setenv(STEP_SUMMARY_ENV, str(reports / "step-summary.md"))
    reports.mkdir()
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_smoke=TESTS.replace("@FAIL@", str(fail)))
    if fail:
        pytester.makepyfile(test_broken=BROKEN)
    args = ["-m", "smoke", "-v", "-rA", "--showlocals", "--continue-on-collection-errors",
            "-o", "log_cli=true", "-o", "log_cli_level=WARNING", "-o", "junit_logging=all",
            "--html", str(reports / "report.html"), "--self-contained-html",
            "--junitxml", str(reports / "junit.xml"), "--verdict-json", str(reports / "verdict.json"),
            "--summary-md", str(reports / "summary.md")]
    if xdist:
        result = pytester.runpytest_subprocess(*args, "-n", "2")
    else:
        result = pytester.runpytest(*args)
    assert result.ret == (EXIT_NO_GO if fail else EXIT_GO)

    files = sorted(p for p in reports.rglob("*") if p.is_file())
    assert {p.name for p in files} >= {"report.html", "junit.xml", "verdict.json", "summary.md", "step-summary.md"}
    texts = {str(p.relative_to(pytester.path)): p.read_text(errors="replace") for p in files}
    # pytest-html embeds text extras base64-encoded: a canary there is as leaked as in plain text.
    for n, blob in enumerate(re.findall(r"data:text/plain;charset=utf-8;base64,([A-Za-z0-9+/=]+)",
                                        texts["reports/report.html"])):
        texts[f"report.html text extra {n}"] = base64.b64decode(blob).decode()
    assert any("token *** and ***" in t for w, t in texts.items() if "text extra" in w)
    texts["terminal stdout"] = "\n".join(result.outlines)
    texts["terminal stderr"] = "\n".join(result.errlines)
    assert leaks(texts) == []
    # And the places they were put really are there, masked (not simply missing).
    terminal = texts["terminal stdout"]
    assert "test_smoke.py::test_health[***]" in terminal
    assert "via http://127.0.0.1:9/?p=***" in terminal
    assert "login *** got ***" in terminal  # the live log line
    html = texts[str((reports / "report.html").relative_to(pytester.path))]
    assert "test_health[***]" in html and "Authorization: Bearer ***" in html
    junit = texts[str((reports / "junit.xml").relative_to(pytester.path))]
    assert 'name="dsn" value="***"' in junit and "connecting to *** with token ***" in junit
    if fail:
        assert "login failed with *** and *** at ***" in terminal
        assert "secret_local = '***'" in terminal
        assert "cannot import: *** refused ***" in terminal


def test_no_canary_with_capture_off(pytester: pytest.Pytester, runbook) -> None:
    """With -s a test's print() reaches the terminal directly: it is masked there too."""
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_smoke=TESTS.replace("@FAIL@", "False"))
    result = pytester.runpytest("-m", "smoke", "-s")
    assert result.ret == EXIT_GO
    texts = {"terminal stdout": result.stdout.str(), "terminal stderr": result.stderr.str()}
    assert leaks(texts) == []
    assert "connecting to *** with token *** via http://127.0.0.1:9/?p=***" in texts["terminal stdout"]
    assert "owner password *** Authorization: Bearer ***" in texts["terminal stderr"]
