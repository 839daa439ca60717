"""One release per target: a lock row per target in the journal, plus a PostgreSQL advisory lock there.

On SQLite the row is the lock: inserting it is atomic, and a row whose holder died (same host, its pid gone or
reused: the start time differs) is taken over by a compare-and-swap on the old holder. On PostgreSQL the
holder also keeps `pg_try_advisory_lock` on a session of its own, which the server frees when that session
goes, so a holder on any host that died is seen as gone. Whoever takes a lock over says so, and the caller
records it in the journal.
"""
from __future__ import annotations

import hashlib
import os
import socket
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from release.journal import Journal, iso
from release.schema import locks


@dataclass(frozen=True)
class Holder:
    """Who holds a target's lock (a row of `locks`)."""

    target: str
    release_id: str
    host: str
    pid: int
    pid_start: str
    since: str

    def describe(self) -> str:
        return f"pid {self.pid} on host {self.host}, since {self.since}"


class LockHeld(Exception):
    """Another live process drives a release on this target."""

    def __init__(self, holder: Holder | None) -> None:
        self.holder = holder
        super().__init__(holder.describe() if holder else "another process (its lock row is gone)")


def process_start(pid: int) -> str:
    """The start time of `pid` in clock ticks since boot (field 22 of /proc/PID/stat), "" when unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # The command name (field 2) may hold spaces and parentheses: split after its closing parenthesis.
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else ""


def holder_alive(holder: Holder) -> bool | None:
    """True or False on this host; None for a holder on another host (its process cannot be seen from here)."""
    if holder.host != socket.gethostname():
        return None
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by someone else
    started = process_start(holder.pid)
    return not (started and holder.pid_start and started != holder.pid_start)


def advisory_key(target: str) -> int:
    """A signed 64-bit key for `pg_try_advisory_lock`, stable per target."""
    return int.from_bytes(hashlib.sha256(f"gonogo-release:{target}".encode()).digest()[:8], "big", signed=True)


class TargetLock:
    """The lock of one target, held by this process from `acquire` to `release`."""

    def __init__(self, journal: Journal, target: str) -> None:
        self.journal = journal
        self.target = target
        self._pg: sa.Connection | None = None
        self.held = False

    def _me(self, release_id: str) -> dict:
        return {"target": self.target, "release_id": release_id, "host": socket.gethostname(), "pid": os.getpid(),
                "pid_start": process_start(os.getpid()), "since": iso()}

    def holder(self) -> Holder | None:
        with self.journal.engine.connect() as conn:
            row = conn.execute(locks.select().where(locks.c.target == self.target)).first()
        return Holder(**dict(row._mapping)) if row else None

    def holder_alive(self) -> bool | None:
        """Whether the holder lives: True, False, or None when this process cannot tell (another host)."""
        holder = self.holder()
        if holder is None:
            return False
        if self.journal.is_postgres:
            with self.journal.engine.connect() as conn:
                free = conn.execute(sa.select(sa.func.pg_try_advisory_lock(advisory_key(self.target)))).scalar_one()
                if free:
                    conn.execute(sa.select(sa.func.pg_advisory_unlock(advisory_key(self.target))))
                conn.commit()
            return not free
        return holder_alive(holder)

    def acquire(self, release_id: str) -> Holder | None:
        """Take the lock for `release_id`; return the dead holder taken over (None if it was free).

        Raises LockHeld when a live process (or one on another host, with SQLite) holds it.
        """
        if self.journal.is_postgres:
            return self._acquire_postgres(release_id)
        me = self._me(release_id)
        try:
            with self.journal.engine.begin() as conn:
                conn.execute(locks.insert().values(**me))
            self.held = True
            return None
        except sa.exc.IntegrityError:
            pass
        holder = self.holder()
        if holder is None:  # released meanwhile: try once more
            return self.acquire(release_id)
        if holder.host == me["host"] and holder.pid == me["pid"]:
            self._replace(holder, me)
            return None
        if holder_alive(holder) is not False:
            raise LockHeld(holder)
        if not self._replace(holder, me):
            raise LockHeld(self.holder())  # someone else took it over first
        return holder

    def _replace(self, old: Holder, me: dict) -> bool:
        """Compare-and-swap: the row becomes ours only if it still names `old`."""
        with self.journal.engine.begin() as conn:
            result = conn.execute(locks.update().where(
                locks.c.target == old.target, locks.c.host == old.host, locks.c.pid == old.pid,
                locks.c.pid_start == old.pid_start, locks.c.since == old.since).values(**me))
        self.held = result.rowcount == 1
        return self.held

    def _acquire_postgres(self, release_id: str) -> Holder | None:
        conn = self.journal.engine.connect()
        got = conn.execute(sa.select(sa.func.pg_try_advisory_lock(advisory_key(self.target)))).scalar_one()
        conn.commit()  # the advisory lock is the session's; no transaction stays open
        if not got:
            conn.close()
            raise LockHeld(self.holder())
        self._pg = conn
        previous = self.holder()
        me = self._me(release_id)
        with self.journal.engine.begin() as tx:
            tx.execute(locks.delete().where(locks.c.target == self.target))
            tx.execute(locks.insert().values(**me))
        self.held = True
        return previous  # a row left while the advisory lock was free: its holder's session is gone

    def set_release(self, release_id: str) -> None:
        with self.journal.engine.begin() as conn:
            conn.execute(locks.update().where(locks.c.target == self.target, locks.c.pid == os.getpid())
                         .values(release_id=release_id))

    def release(self) -> None:
        if not self.held:
            return
        with self.journal.engine.begin() as conn:
            conn.execute(locks.delete().where(locks.c.target == self.target, locks.c.pid == os.getpid(),
                                              locks.c.host == socket.gethostname()))
        if self._pg is not None:
            self._pg.execute(sa.select(sa.func.pg_advisory_unlock(advisory_key(self.target))))
            self._pg.commit()
            self._pg.close()
            self._pg = None
        self.held = False
