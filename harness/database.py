"""Direct, read-only looks at the Supabase Postgres: RLS state, training writes, stored feedback."""
from __future__ import annotations

from collections.abc import Iterable

import psycopg

CONNECT_TIMEOUT_S = 10
STATEMENT_TIMEOUT_MS = 15_000


class Database:
    """A short connection per question, with connect and statement timeouts; the DSN is never shown."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn

    def __repr__(self) -> str:
        return "Database(***)"

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        try:
            with psycopg.connect(self._dsn, connect_timeout=CONNECT_TIMEOUT_S, autocommit=True,
                                 options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}") as conn:
                conn.read_only = True
                return conn.execute(sql, params).fetchall()
        except psycopg.Error as exc:
            # psycopg's message can name host and user but not the password; keep only its first line.
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise RuntimeError(f"database query failed: {first}") from None

    def rls_state(self, tables: Iterable[str]) -> dict[str, tuple[bool, int]]:
        """table -> (row-level security enabled, number of policies), for the tables that exist."""
        rows = self._query(
            """select c.relname, c.relrowsecurity,
                      (select count(*) from pg_policies p where p.schemaname = n.nspname and p.tablename = c.relname)
               from pg_class c join pg_namespace n on n.oid = c.relnamespace
               where n.nspname = 'public' and c.relkind = 'r' and c.relname = any(%s)""",
            (list(tables),),
        )
        return {name: (bool(enabled), int(policies)) for name, enabled, policies in rows}

    def training_rows(self, share_token: str) -> set[str]:
        """Ids of the training rows of the twin behind a share token."""
        rows = self._query(
            "select t.id::text from training_events t join twins w on w.id = t.twin_id where w.share_token = %s",
            (share_token,),
        )
        return {r[0] for r in rows}

    def feedback_event_exists(self, event_id: str | None) -> bool:
        if not event_id:
            return False
        return bool(self._query("select 1 from feedback_events where id::text = %s", (str(event_id),)))
