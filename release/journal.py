"""The release journal: releases, their steps, the side effects each step made, sessions and events.

SQLAlchemy Core over SQLite (a file, the default) or PostgreSQL (a URL): one schema, one code path. Times are
stored as UTC ISO 8601 text (`2026-11-24T10:00:00.123Z`) so both backends hold and sort them the same way.
Nothing here ever holds an env value: the env step records key names only.
"""
from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from release.schema import effects, events, locks, metadata, releases, sessions, steps

__all__ = ["Effect", "Journal", "JournalError", "Release", "Step", "engine_for", "iso", "locks", "now",
           "parse_iso", "shown_url"]
IN_PROGRESS = ("running", "held")


class JournalError(Exception):
    """The journal cannot be opened; the message is one line naming --journal, the value and the fix."""


def now() -> datetime:
    return datetime.now(UTC)


def iso(when: datetime | None = None) -> str:
    when = (when or now()).astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def parse_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def shown_url(url: str) -> str:
    """A journal URL fit to print: its password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown as given, minus anything after '@'
        return url.split("@")[-1]


@dataclass(frozen=True)
class Release:
    id: str
    target: str
    target_spec: str
    sha: str
    tag: str | None
    strategy: str
    rollback: str
    options: dict
    state: str
    verdict: str | None
    exit_code: int | None
    reason: str | None
    rolled_back: dict | None
    current_step: str | None
    release_dir: str
    started_at: str
    ended_at: str | None
    updated_at: str

    @classmethod
    def from_row(cls, row: Any) -> Release:
        data = dict(row._mapping)
        data["options"] = json.loads(data["options"] or "{}")
        data["rolled_back"] = json.loads(data["rolled_back"]) if data["rolled_back"] else None
        return cls(**data)


@dataclass(frozen=True)
class Step:
    id: int
    release_id: str
    seq: int
    name: str
    attempt: int
    state: str
    outcome: str | None
    detail: str | None
    evidence: dict = field(default_factory=dict)
    waited_s: float = 0.0
    started_at: str = ""
    ended_at: str | None = None

    @classmethod
    def from_row(cls, row: Any) -> Step:
        data = dict(row._mapping)
        data["evidence"] = json.loads(data["evidence"] or "{}")
        return cls(**data)

    @property
    def duration_s(self) -> float | None:
        if not self.ended_at:
            return None
        return (parse_iso(self.ended_at) - parse_iso(self.started_at)).total_seconds()


@dataclass(frozen=True)
class Effect:
    id: int
    release_id: str
    step: str
    kind: str
    scope: str
    subject: str
    ref: str | None
    state: str
    intended_at: str
    applied_at: str | None

    @classmethod
    def from_row(cls, row: Any) -> Effect:
        return cls(**dict(row._mapping))


def engine_for(spec: str) -> Engine:
    """An engine for `--journal PATH|postgresql://...`; JournalError (one line) when it cannot be used."""
    if spec.startswith(("postgresql:", "postgres:", "postgresql+")):
        url = make_url(spec.replace("postgres://", "postgresql://", 1))
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        engine = sa.create_engine(url, connect_args={"connect_timeout": 5}, pool_pre_ping=True)
        try:
            with engine.connect():
                pass
        except sa.exc.SQLAlchemyError as exc:
            first = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if url.password:
                first = first.replace(url.password, "***")
            raise JournalError(f"--journal {shown_url(spec)}: PostgreSQL does not answer ({first}); "
                               "start it or fix the URL") from None
        return engine
    path = Path(spec).expanduser()
    if not path.parent.is_dir():
        raise JournalError(f"--journal {spec}: the directory {path.parent} does not exist; "
                           "create it or give another path")
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise JournalError(f"--journal {spec}: not readable and writable; fix its permissions")
    engine = sa.create_engine(f"sqlite:///{path.resolve()}", connect_args={"timeout": 30})

    @sa.event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:  # concurrent readers while one process writes
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


class Journal:
    """Reads and writes of the release journal; every write is its own short transaction."""

    def __init__(self, engine: Engine, spec: str) -> None:
        self.engine = engine
        self.spec = spec
        try:
            metadata.create_all(engine)
        except sa.exc.SQLAlchemyError as exc:
            raise JournalError(f"--journal {shown_url(spec)}: cannot create the journal's tables "
                               f"({type(exc).__name__}); check the permissions") from None
        self.session_id: int | None = None

    @classmethod
    def open(cls, spec: str) -> Journal:
        return cls(engine_for(spec), spec)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def close(self) -> None:
        self.engine.dispose()

    # -- releases --------------------------------------------------------------------------------
    def create_release(self, **values: Any) -> Release:
        stamp = iso()
        values = {**values, "options": json.dumps(values.get("options", {}), sort_keys=True),
                  "state": "running", "started_at": values.get("started_at", stamp), "updated_at": stamp}
        with self.engine.begin() as conn:
            conn.execute(releases.insert().values(**values))
        return self.release(values["id"])

    def release(self, release_id: str) -> Release | None:
        with self.engine.connect() as conn:
            row = conn.execute(releases.select().where(releases.c.id == release_id)).first()
        return Release.from_row(row) if row else None

    def update_release(self, release_id: str, **values: Any) -> None:
        if "rolled_back" in values and values["rolled_back"] is not None:
            values["rolled_back"] = json.dumps(values["rolled_back"], sort_keys=True)
        if "options" in values:
            values["options"] = json.dumps(values["options"], sort_keys=True)
        with self.engine.begin() as conn:
            conn.execute(releases.update().where(releases.c.id == release_id).values(**values, updated_at=iso()))
            self._touch(conn)

    def in_progress(self, target: str) -> Release | None:
        """The target's release still running (maybe interrupted) or held, if any."""
        with self.engine.connect() as conn:
            row = conn.execute(releases.select().where(releases.c.target == target,
                                                       releases.c.state.in_(IN_PROGRESS))
                               .order_by(releases.c.started_at.desc())).first()
        return Release.from_row(row) if row else None

    def history(self, target: str | None = None, limit: int | None = None) -> list[Release]:
        query = releases.select().order_by(releases.c.started_at.desc(), releases.c.id.desc())
        if target is not None:
            query = query.where(releases.c.target == target)
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [Release.from_row(r) for r in conn.execute(query)]

    # -- steps -----------------------------------------------------------------------------------
    def start_step(self, release_id: str, seq: int, name: str) -> Step:
        """A new attempt of `name`; an earlier attempt left `running` (its process died) becomes `interrupted`."""
        stamp = iso()
        with self.engine.begin() as conn:
            conn.execute(steps.update().where(steps.c.release_id == release_id, steps.c.name == name,
                                              steps.c.state == "running")
                         .values(state="interrupted", ended_at=stamp,
                                 detail=sa.func.coalesce(steps.c.detail, "interrupted")))
            attempt = conn.execute(sa.select(sa.func.coalesce(sa.func.max(steps.c.attempt), 0))
                                   .where(steps.c.release_id == release_id, steps.c.name == name)).scalar_one() + 1
            conn.execute(steps.insert().values(release_id=release_id, seq=seq, name=name, attempt=attempt,
                                               state="running", started_at=stamp, evidence="{}", waited_s=0.0))
            conn.execute(releases.update().where(releases.c.id == release_id)
                         .values(current_step=name, updated_at=stamp))
            self._touch(conn)
        return self.step(release_id, name)

    def update_step(self, step: Step, **values: Any) -> Step:
        if "evidence" in values:
            values["evidence"] = json.dumps(values["evidence"], sort_keys=True, default=str)
        with self.engine.begin() as conn:
            conn.execute(steps.update().where(steps.c.id == step.id).values(**values))
            self._touch(conn)
        return self.step(step.release_id, step.name, step.attempt)

    def end_step(self, step: Step, state: str, outcome: str, detail: str, **values: Any) -> Step:
        return self.update_step(step, state=state, outcome=outcome, detail=detail, ended_at=iso(), **values)

    def step(self, release_id: str, name: str, attempt: int | None = None) -> Step | None:
        query = steps.select().where(steps.c.release_id == release_id, steps.c.name == name)
        query = query.where(steps.c.attempt == attempt) if attempt else query.order_by(steps.c.attempt.desc())
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return Step.from_row(row) if row else None

    def steps(self, release_id: str) -> list[Step]:
        """Every attempt of every step, in order."""
        with self.engine.connect() as conn:
            rows = conn.execute(steps.select().where(steps.c.release_id == release_id)
                                .order_by(steps.c.seq, steps.c.attempt))
            return [Step.from_row(r) for r in rows]

    # -- effects ---------------------------------------------------------------------------------
    def intend(self, release_id: str, step: str, kind: str, subject: str, scope: str = "") -> int:
        with self.engine.begin() as conn:
            result = conn.execute(effects.insert().values(release_id=release_id, step=step, kind=kind, scope=scope,
                                                          subject=subject, state="intended", intended_at=iso()))
            self._touch(conn)
            return result.inserted_primary_key[0]

    def applied(self, effect_id: int, ref: str | None = None, state: str = "applied") -> None:
        with self.engine.begin() as conn:
            conn.execute(effects.update().where(effects.c.id == effect_id)
                         .values(state=state, ref=ref, applied_at=iso()))
            self._touch(conn)

    def supersede(self, release_id: str, step: str) -> None:
        """Effects an earlier attempt of `step` intended but never saw applied: the new attempt reads the world
        again and does what is still missing, so these become `unconfirmed` (what the world holds says the rest)."""
        with self.engine.begin() as conn:
            conn.execute(effects.update().where(effects.c.release_id == release_id, effects.c.step == step,
                                                effects.c.state == "intended").values(state="unconfirmed"))

    def effects(self, release_id: str, step: str | None = None, kinds: Iterable[str] | None = None) -> list[Effect]:
        query = effects.select().where(effects.c.release_id == release_id).order_by(effects.c.id)
        if step is not None:
            query = query.where(effects.c.step == step)
        if kinds is not None:
            query = query.where(effects.c.kind.in_(list(kinds)))
        with self.engine.connect() as conn:
            return [Effect.from_row(r) for r in conn.execute(query)]

    # -- sessions and events ---------------------------------------------------------------------
    def start_session(self, release_id: str, command: str) -> None:
        stamp = iso()
        with self.engine.begin() as conn:
            result = conn.execute(sessions.insert().values(release_id=release_id, command=command,
                                                           host=socket.gethostname(), pid=os.getpid(),
                                                           started_at=stamp, last_seen=stamp))
            self.session_id = result.inserted_primary_key[0]

    def end_session(self) -> None:
        if self.session_id is None:
            return
        stamp = iso()
        with self.engine.begin() as conn:
            conn.execute(sessions.update().where(sessions.c.id == self.session_id)
                         .values(ended_at=stamp, last_seen=stamp))
        self.session_id = None

    def end_dead_session(self, session_id: int, last_seen: str) -> None:
        """A session whose process died ends at its last heartbeat."""
        with self.engine.begin() as conn:
            conn.execute(sessions.update().where(sessions.c.id == session_id).values(ended_at=last_seen))

    def interrupt_running_steps(self, release_id: str, at: str) -> None:
        """Steps a dead process left `running` become `interrupted`, ending when it was last seen."""
        with self.engine.begin() as conn:
            conn.execute(steps.update().where(steps.c.release_id == release_id, steps.c.state == "running")
                         .values(state="interrupted", ended_at=at, detail="interrupted: its process died"))

    def touch(self) -> None:
        """A heartbeat of the session driving the release (long waits call it), for its active time."""
        with self.engine.begin() as conn:
            self._touch(conn)

    def _touch(self, conn: sa.Connection) -> None:
        if self.session_id is not None:
            conn.execute(sessions.update().where(sessions.c.id == self.session_id).values(last_seen=iso()))

    def sessions(self, release_id: str) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(sessions.select().where(sessions.c.release_id == release_id)
                                .order_by(sessions.c.id))
            return [dict(r._mapping) for r in rows]

    def event(self, release_id: str, kind: str, detail: str = "") -> None:
        with self.engine.begin() as conn:
            conn.execute(events.insert().values(release_id=release_id, at=iso(), kind=kind, detail=detail))
            self._touch(conn)

    def events(self, release_id: str) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(events.select().where(events.c.release_id == release_id).order_by(events.c.id))
            return [dict(r._mapping) for r in rows]
