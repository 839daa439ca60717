"""Keep secrets out of the outputs gonogo does not write itself: reports, the terminal, extras, files."""

from __future__ import annotations

import html as _html
import json
import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from gonogo._compat import is_report_repr, report_option, set_writer_stream, terminal_writer, writer_stream
from gonogo.redact import MASK, MIN_SECRET_LEN, redact, redact_text, redact_tree, secrets_of

# A base64 data URI (an inline screenshot): its text is not prose, and masking inside it would corrupt it.
_DATA_URI = r"data:[\w.+/-]+(?:;[\w=.-]+)*;base64,[A-Za-z0-9+/=]+"  # compiled at first use (re's cache)
# pytest-html's extras whose content is text a person reads (images and videos are bytes).
_TEXT_EXTRAS = ("html", "json", "text", "url")


class RedactingStream:
    """A text stream that masks secrets in everything written through it (the terminal)."""

    def __init__(self, stream: Any, config: pytest.Config) -> None:
        self._stream = stream
        self._config = config

    def write(self, text: str) -> int:
        if len(text) < MIN_SECRET_LEN:
            return self._stream.write(text)  # a progress dot or letter cannot hold a secret
        return self._stream.write(redact(text, self._config))

    def flush(self) -> None:  # after every progress letter: spared the __getattr__ round trip
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        # flush, isatty, encoding, fileno...: the terminal writer asks the real stream.
        return getattr(self._stream, name)


def redact_longrepr(longrepr: Any, secrets: tuple[str, ...]) -> Any:
    """The long report with secrets masked, its structure kept (the terminal's crash line, JUnit's message)."""
    if longrepr is None:
        return None
    if isinstance(longrepr, str):
        return redact_text(longrepr, secrets)
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        path, lineno, text = longrepr
        return (path, lineno, redact_text(str(text), secrets))
    try:
        _redact_in_place(longrepr, secrets, set())
    except Exception:  # noqa: BLE001 - an unknown repr type: fall back to its text, masked
        return redact_text(str(longrepr), secrets)
    text = str(longrepr)
    clean = redact_text(text, secrets)
    # The walk covered pytest's repr classes; anything it could not reach is masked in the flat text.
    return longrepr if clean == text else clean


def _redact_in_place(obj: Any, secrets: tuple[str, ...], seen: set[int]) -> None:
    """Mask every string held by pytest's TerminalRepr objects (crash message, source lines, locals)."""
    if id(obj) in seen or not hasattr(obj, "__dict__"):
        return
    seen.add(id(obj))
    for name, value in list(vars(obj).items()):
        setattr(obj, name, _redact_value(value, secrets, seen))


def _redact_value(value: Any, secrets: tuple[str, ...], seen: set[int]) -> Any:
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, list):
        value[:] = [_redact_value(v, secrets, seen) for v in value]
        return value
    if isinstance(value, tuple):
        return tuple(_redact_value(v, secrets, seen) for v in value)
    if isinstance(value, dict):
        return {k: _redact_value(v, secrets, seen) for k, v in value.items()}
    if is_report_repr(value):
        _redact_in_place(value, secrets, seen)
    return value


# The recorder's own user properties: runbook IDs, never a secret.
_OWN_PROPERTIES = frozenset({"criterion", "stage"})


def redact_report(report: pytest.TestReport | pytest.CollectReport, secrets: tuple[str, ...]) -> None:
    """Mask secrets in what every reporter reads: long report, captured output and logs, properties."""
    report.longrepr = redact_longrepr(report.longrepr, secrets)
    # Captured stdout/stderr/log sections feed the terminal (-rP, failures), JUnit system-out and pytest-html.
    report.sections = [(title, redact_text(body, secrets)) for title, body in report.sections]
    props = getattr(report, "user_properties", None)
    if props:
        report.user_properties = [(name, redact_text(value, secrets)
                                   if isinstance(value, str) and name not in _OWN_PROPERTIES else value)
                                  for name, value in props]


def redact_extras(extras: Iterable[dict[str, Any]], secrets: tuple[str, ...]) -> list[dict[str, Any]]:
    """pytest-html extras (any plugin's) with their text content masked; images are left as they are."""
    clean = []
    for extra in extras:
        content = extra.get("content")
        if extra.get("format_type") in _TEXT_EXTRAS:
            if isinstance(content, bytes):
                content = content.decode("utf-8", "replace")
            # A json extra holds an object that pytest-html dumps later: mask its strings.
            extra = {**extra, "content": redact_tree(content, secrets)}
        clean.append(extra)
    return clean


def escaped_forms(secret: str) -> set[str]:
    """A secret as it can appear in a written file: raw, JSON-escaped, HTML/XML-escaped, or both."""
    forms = set()
    for base in (secret, json.dumps(secret)[1:-1]):
        forms.add(base)
        forms.add(_html.escape(base, quote=False))
        forms.add(_html.escape(base, quote=True))
        # Jinja/markupsafe's spelling of quotes (pytest-html's template, its JSON blob attribute).
        forms.add(_html.escape(base, quote=False).replace('"', "&#34;").replace("'", "&#39;"))
    return {f for f in forms if len(f) >= MIN_SECRET_LEN}


def scrub_text(text: str, secrets: tuple[str, ...]) -> str:
    """Mask secrets (in every escaped spelling) and credential patterns, leaving data URIs whole."""
    variants = tuple(sorted({f for s in secrets for f in escaped_forms(s)}))
    parts = []
    last = 0
    for match in re.finditer(_DATA_URI, text):
        parts.append(redact_text(text[last:match.start()], variants))
        parts.append(match.group(0))
        last = match.end()
    parts.append(redact_text(text[last:], variants))
    return "".join(parts)


def scrub_file(path: Path, secrets: tuple[str, ...]) -> bool:
    """Rewrite a text output file with secrets masked; True when something was masked."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False  # not there (the run stopped early) or not text: nothing we can mask
    clean = scrub_text(text, secrets)
    if clean == text:
        return False
    path.write_text(clean, encoding="utf-8")
    return True


class OutputScrubber:
    """Registered on workers and the controller when gonogo is active: redaction at every exit."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.is_worker = hasattr(config, "workerinput")
        self._terminal: tuple[Any, Any] | None = None
        self._std: tuple[Any, Any] | None = None

    # A test's report is masked by the recorder's makereport wrapper (one wrapper per report, not two).

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Any:
        rep = yield
        if rep.longrepr is not None or rep.sections:
            redact_report(rep, secrets_of(self.config))
        return rep

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        # Before the header is printed: the -v lines (a parametrized id can hold a token), captured
        # output, warnings, short summary and live logs all go through the terminal writer's stream.
        writer = terminal_writer(self.config)
        stream = writer_stream(writer)
        if self.is_worker or stream is None or isinstance(stream, RedactingStream):
            return
        set_writer_stream(writer, RedactingStream(stream, self.config))
        self._terminal = (writer, stream)
        if self.config.getoption("capture", None) == "no":
            # With -s a test's own print() goes straight to sys.stdout/err: mask it there too
            # (output a subprocess writes to the file descriptors directly is beyond reach).
            self._std = (sys.stdout, sys.stderr)
            sys.stdout = RedactingStream(sys.stdout, self.config)  # type: ignore[assignment]
            sys.stderr = RedactingStream(sys.stderr, self.config)  # type: ignore[assignment]

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self._terminal is not None:
            writer, stream = self._terminal
            set_writer_stream(writer, stream)
            self._terminal = None
        if self._std is not None:
            out, err = self._std
            # Only undo our own wrapping: something may have replaced them since.
            if isinstance(sys.stdout, RedactingStream):
                sys.stdout = out
            if isinstance(sys.stderr, RedactingStream):
                sys.stderr = err
            self._std = None
        if self.is_worker:
            return
        # JUnit and pytest-html are written by their plugins (test ids, environment, their own markup):
        # a last pass over the finished files catches what no report field carried.
        secrets = secrets_of(config)
        for path in output_files(config):
            scrub_file(path, secrets)


def output_files(config: pytest.Config) -> list[Path]:
    """The report files other plugins wrote in this run (JUnit XML, pytest-html)."""
    found = []
    xmlpath = report_option(config, "junit")
    if xmlpath:
        # junitxml resolves the path against the working directory at configure time.
        found.append(Path(os.path.abspath(os.path.expanduser(xmlpath))))
    htmlpath = report_option(config, "html")
    if htmlpath:
        found.append(Path.cwd() / Path(os.path.expandvars(htmlpath)).expanduser())
    return found


__all__ = ["MASK", "OutputScrubber", "RedactingStream", "escaped_forms", "redact_extras", "redact_report",
           "redact_tree", "scrub_file", "scrub_text"]
