"""Send the end state of a run or a release through apprise: destinations, the message, bounded delivery.

Used by the pytest plugin (`gonogo.announce`) and by any other caller that has an end state to tell (the
release conductor): `parse_table` reads runbook.toml's `[notify]`, `resolve` checks every destination once
(a bad one is a `NotifyError`, one line), `compose` words the message, `send` delivers it within the stated
bound and never raises. apprise is imported only when there is a destination (docs/notify.md).
"""

from __future__ import annotations

import logging
import re
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from gonogo.redact import MIN_SECRET_LEN, redact_text

DEFAULT_TIMEOUT_S = 4.0  # apprise's own connect and read timeout
DEFAULT_ATTEMPTS = 2
MAX_TIMEOUT_S = 60.0
MAX_ATTEMPTS = 5
# apprise's own pause between attempts (its `wait`), set on every destination so the bound holds.
RETRY_WAIT_S = 0.5
ENV_PREFIX = "env:"
TABLE_KEYS = ("urls", "report_url_base", "timeout_s", "attempts")
INSTALL_HINT = "install it: pip install 'pytest-gonogo[notify]'"
FORMS_HINT = "use an apprise URL such as json://host:port/path, slack://... or workflows://... (docs/notify.md)"
# A path segment this long in a URL is a token (Slack's webhook key, a Teams workflow signature): masked.
_TOKEN_SEGMENT = 16
_TOKEN = re.compile(rf"(?<![^/])[^/]{{{_TOKEN_SEGMENT},}}")
_CREDENTIAL = re.compile(r"(?i)token|key|secret|pass|auth|sig")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REASONS_SHOWN = 10

SENT, FAILED, SKIPPED = "sent", "failed", "skipped"


class NotifyError(ValueError):
    """A destination or `[notify]` value that cannot be used; one line naming where it came from and the fix."""


@dataclass(frozen=True)
class NotifyTable:
    """runbook.toml's `[notify]`, checked: destinations (an entry `env:NAME` reads one from the environment),
    the base URL of published reports, and the bounds of each delivery."""

    urls: tuple[str, ...] = ()
    report_url_base: str | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    attempts: int = DEFAULT_ATTEMPTS


def parse_table(body: Any, where: str) -> NotifyTable:
    """The `[notify]` table of a runbook (`where` names it in errors); NotifyError on a bad key or value."""
    if not isinstance(body, Mapping):
        raise NotifyError(f"{where} must be a table: [notify] with urls = [\"json://host:port/path\"]")
    for key in body:
        if key not in TABLE_KEYS:
            raise NotifyError(f"{where} key '{key}' is unknown; use one of {', '.join(TABLE_KEYS)}")
    urls = body.get("urls", [])
    if not isinstance(urls, list) or not all(isinstance(u, str) and u.strip() for u in urls):
        raise NotifyError(f"{where} urls must be a list of URLs (or \"env:NAME\"), "
                          'e.g. urls = ["env:GONOGO_NOTIFY_URL"]')
    for url in urls:
        if url.startswith(ENV_PREFIX) and not _ENV_NAME.match(url[len(ENV_PREFIX):]):
            raise NotifyError(f"{where} urls: {url!r} is not env:NAME with a variable name; fix the name")
    base = body.get("report_url_base")
    if base is not None and (not isinstance(base, str) or not base.strip()):
        raise NotifyError(f"{where} report_url_base = {base!r} must be a URL, e.g. \"https://ci.example/reports\"")
    timeout = body.get("timeout_s", DEFAULT_TIMEOUT_S)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= MAX_TIMEOUT_S:
        raise NotifyError(f"{where} timeout_s = {timeout!r} must be a number of seconds, more than 0 and at most "
                          f"{MAX_TIMEOUT_S:g}")
    attempts = body.get("attempts", DEFAULT_ATTEMPTS)
    if isinstance(attempts, bool) or not isinstance(attempts, int) or not 1 <= attempts <= MAX_ATTEMPTS:
        raise NotifyError(f"{where} attempts = {attempts!r} must be a whole number from 1 to {MAX_ATTEMPTS}")
    return NotifyTable(tuple(u.strip() for u in urls), base.strip() if base else None, float(timeout), attempts)


@dataclass(frozen=True)
class Delivery:
    """What became of one destination: `sent`, `failed` (the error's line) or `skipped` (no URL to send to)."""

    destination: str  # the URL redacted: password and tokens masked, no query (it may carry header values)
    status: str
    attempts: int = 0
    elapsed_s: float = 0.0
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == SENT

    def to_json(self) -> dict[str, Any]:
        return {"destination": self.destination, "status": self.status, "attempts": self.attempts,
                "elapsed_s": self.elapsed_s, "error": self.error}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Delivery:
        return cls(str(data["destination"]), str(data["status"]), int(data.get("attempts", 0)),
                   float(data.get("elapsed_s", 0.0)), str(data.get("error", "")))

    @property
    def text(self) -> str:
        """`sent json://host/hook (1 attempt, 0.02 s)`, or the same with the error after a colon."""
        if self.status == SKIPPED:
            return f"{self.status} {self.destination}: {self.error}"
        tries = f"{self.attempts} attempt{'s' if self.attempts != 1 else ''}"
        error = f": {self.error}" if self.error else ""
        return f"{self.status} {self.destination} ({tries}, {self.elapsed_s:.2f} s){error}"


@dataclass(frozen=True)
class Plan:
    """The destinations of one end state, checked, with the bounds every delivery gets."""

    urls: tuple[tuple[str, str], ...] = ()  # (the URL, how it is shown): the URL itself is never recorded
    skipped: tuple[Delivery, ...] = ()  # env:NAME entries whose variable is not set
    secrets: tuple[str, ...] = ()  # what the URLs hold that no output may show
    timeout_s: float = DEFAULT_TIMEOUT_S
    attempts: int = DEFAULT_ATTEMPTS
    report_url_base: str | None = None

    @property
    def bound_s(self) -> float:
        """The most a delivery can add to the run: every attempt waits out its connect and read timeouts."""
        return self.attempts * 2 * self.timeout_s + (self.attempts - 1) * RETRY_WAIT_S

    def __bool__(self) -> bool:
        return bool(self.urls or self.skipped)


def mask_url(url: str) -> str:
    """A URL fit to show: no query or fragment; its password, and a token-long path segment or dotless host
    (a webhook's key, a workflow's signature), masked."""
    head = re.split(r"[?#]", url, maxsplit=1)[0]
    scheme, sep, rest = head.partition("://")
    if not sep:
        return _TOKEN.sub("***", head)
    netloc, slash, path = rest.partition("/")
    user, at, host = netloc.rpartition("@")
    if ":" in user:
        user = user.split(":", 1)[0] + ":***"
    if len(host.split(":")[0]) >= _TOKEN_SEGMENT and "." not in host:
        host = "***"
    return f"{scheme}://{user}{at}{host}{slash}{_TOKEN.sub('***', path)}"


def url_secrets(url: str) -> list[str]:
    """What a destination URL holds that no output may show: its password, token-long path segments, query
    and header values, and the whole URL when it holds any of these."""
    found: list[str] = []
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return [url]
    if password:
        found.append(password)
    found += [s for s in parts.path.split("/") + [parts.hostname or ""]
              if len(s) >= _TOKEN_SEGMENT and "." not in s]
    # Header values (`+Authorization=...`) and anything named like a credential; not `method=POST`.
    found += [v for k, v in parse_qsl(parts.query) if k.startswith("+") or _CREDENTIAL.search(k)]
    if found or mask_url(url) != re.split(r"[?#]", url, maxsplit=1)[0]:
        found.append(url)
    return [s for s in found if len(s) >= MIN_SECRET_LEN]


def resolve(flags: Sequence[str], table: NotifyTable | None, environ: Mapping[str, str], *,
            flag_name: str = "--notify", table_name: str = "runbook.toml [notify]") -> Plan:
    """Check every destination (flags first, then the table's); NotifyError names the first bad one.

    An `env:NAME` entry whose variable is unset or empty is skipped (recorded, never an error): a developer's
    run without the CI secret still runs.
    """
    table = table or NotifyTable()
    entries = [(u, flag_name) for u in flags] + [(u, table_name) for u in table.urls]
    urls: list[tuple[str, str]] = []
    skipped: list[Delivery] = []
    secrets: list[str] = []
    for entry, origin in entries:
        if entry.startswith(ENV_PREFIX):
            name = entry[len(ENV_PREFIX):]
            value = environ.get(name, "").strip()
            if not value:
                skipped.append(Delivery(f"env {name}", SKIPPED, error=f"{name} is not set"))
                continue
            secrets += url_secrets(value)
            urls.append((value, f"{origin} {entry} (its value)"))
        else:
            secrets += url_secrets(entry)
            urls.append((entry, f"{origin} {mask_url(entry)!r}"))
    base = table.report_url_base
    if base and base.startswith(ENV_PREFIX):
        base = environ.get(base[len(ENV_PREFIX):], "").strip() or None
    plan = Plan((), tuple(skipped), tuple(dict.fromkeys(secrets)), table.timeout_s, table.attempts, base)
    if not urls:
        return plan
    apprise = _apprise(urls[0][1])
    shown: list[tuple[str, str]] = []
    for url, where in urls:
        service = _instantiate(apprise, url)
        if service is None:
            raise NotifyError(f"{where}: not a URL apprise can send to; {FORMS_HINT}")
        shown.append((url, redact_text(mask_url(service.url(privacy=True)), plan.secrets)))
    return Plan(tuple(shown), plan.skipped, plan.secrets, plan.timeout_s, plan.attempts, plan.report_url_base)


def _apprise(where: str) -> Any:
    try:
        import apprise
    except ImportError:
        raise NotifyError(f"{where}: notifications need apprise, which is not installed; {INSTALL_HINT}") from None

    # Its log lines go to the delivery records (each result keeps its own), never to the terminal or a report.
    logging.getLogger("apprise").propagate = False
    return apprise


def _instantiate(apprise: Any, url: str) -> Any:
    """apprise's service for a URL, or None when it cannot send to it."""
    with warnings.catch_warnings():
        # Its first call loads every service, one of which imports `imghdr` (deprecated since Python 3.11): a
        # warning about apprise, not one the user can act on.
        warnings.simplefilter("ignore", DeprecationWarning)
        return apprise.Apprise.instantiate(url)


@dataclass(frozen=True)
class Message:
    title: str
    body: str  # Markdown
    kind: str  # success | failure | warning: what the service shows (colour, icon)


# The kind of message each verdict word makes.
KINDS = {"GO": "success", "NO-GO": "failure", "INCONCLUSIVE": "warning", "ABANDONED": "warning"}


def compose(*, headline: str, word: str, target: str | None, sha: str | None, facts: Iterable[str] = (),
            reasons: Sequence[str] = (), rollback: Sequence[str] = (), report: str | None = None,
            clean: Callable[[str], str] = lambda s: s) -> Message:
    """The message of an end state: the headline (`NO-GO, rolled back`), target, release, reasons, rollback,
    where the report is. Every piece of text goes through `clean` (the caller's redaction)."""
    release = f" release {sha[:12]}" if sha else ""
    title = f"{headline}: {target or 'gonogo'}{release}"
    lines = [f"**{headline}**", "", f"- target: {target or '(not named)'}"]
    if sha:
        lines.append(f"- release: {sha}")
    lines += [f"- {fact}" for fact in facts]
    if reasons:
        lines += ["", f"**{word} because**", *(f"- {r}" for r in reasons[:_REASONS_SHOWN])]
        if len(reasons) > _REASONS_SHOWN:
            lines.append(f"- ... and {len(reasons) - _REASONS_SHOWN} more (see the report)")
    if rollback:
        lines += ["", f"**{rollback[0]}**", *(f"- {line}" for line in rollback[1:])]
    if report:
        lines += ["", f"report: {report}"]
    return Message(clean(title), clean("\n".join(lines)), KINDS.get(word, "warning"))


def report_link(plan: Plan, path: str | None, relative: str | None) -> str | None:
    """Where the report is: `report_url_base` + its path relative to the reports, else the local path."""
    if plan.report_url_base and relative:
        return f"{plan.report_url_base.rstrip('/')}/{relative.lstrip('/')}"
    return path


def send(plan: Plan, message: Message, clean: Callable[[str], str] = lambda s: s) -> tuple[Delivery, ...]:
    """Deliver the message to every destination (in parallel), within `plan.bound_s`; never raises."""
    deliveries = list(plan.skipped)
    if not plan.urls:
        return tuple(deliveries)

    def tidy(text: str) -> str:
        return clean(redact_text(" ".join(text.split()), plan.secrets))

    started = time.monotonic()
    try:
        apprise = _apprise("notify")
        hub = apprise.Apprise()
        keys = []
        for url, _shown in plan.urls:
            service = _instantiate(apprise, url)
            # The bounds are ours, whatever the URL says: each request waits at most timeout_s to connect and
            # timeout_s for the answer, `attempts` times, RETRY_WAIT_S apart (Plan.bound_s).
            service.socket_connect_timeout = plan.timeout_s
            service.socket_read_timeout = plan.timeout_s
            service.retry = plan.attempts - 1
            service.wait = RETRY_WAIT_S
            keys.append(service.url(privacy=True))
            hub.add(service)
        kind = {"success": apprise.NotifyType.SUCCESS, "failure": apprise.NotifyType.FAILURE}.get(
            message.kind, apprise.NotifyType.WARNING)
        # `timeout` only stops the wait; the timeouts above end the requests themselves.
        result = hub.notify(body=message.body, title=message.title, body_format=apprise.NotifyFormat.MARKDOWN,
                            notify_type=kind, timeout=plan.bound_s + 1.0)
        # One result per service, matched by its (redacted) URL; in the order added when two are the same.
        pending = list(result)
        outcomes = []
        for key in keys:
            match = next((o for o in pending if o.url == key), pending[0] if pending else None)
            if match is not None:
                pending.remove(match)
            outcomes.append(match)
    except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - a notification never changes the run
        # Recorded, not raised; a Ctrl-C during the wait skips the notification, not the verdict written after it.
        error = "interrupted (Ctrl-C)" if isinstance(exc, KeyboardInterrupt) else tidy(f"{type(exc).__name__}: {exc}")
        took = round(time.monotonic() - started, 3)
        return tuple(deliveries + [Delivery(shown, FAILED, 0, took, error) for _url, shown in plan.urls])
    for (_url, shown), outcome in zip(plan.urls, outcomes, strict=True):
        if outcome is None:
            took = round(time.monotonic() - started, 3)
            deliveries.append(Delivery(shown, FAILED, 0, took, "no result from apprise"))
            continue
        ok = outcome.status.name == "SUCCESS"
        logs = [e.message for e in outcome.logs()]
        error = "" if ok else tidy(logs[-1] if logs else outcome.status.name.lower())
        deliveries.append(Delivery(shown, SENT if ok else FAILED, len(outcome), round(outcome.elapsed, 3), error))
    return tuple(deliveries)
