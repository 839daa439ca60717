"""Supabase Management API client: migrations, project status and service health (docs/providers.md#supabase)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from gonogo_providers._http import BearerAuth, ProviderClient, require_credential

DEFAULT_BASE_URL = "https://api.supabase.com"
DEFAULT_HEALTH_SERVICES = ("auth", "db", "rest", "realtime", "storage")


@dataclass(frozen=True)
class Migration:
    """One applied migration; `version` is the 14-digit `yyyyMMddHHmmss` timestamp."""

    version: str
    name: str | None


@dataclass(frozen=True)
class ServiceHealth:
    """One entry of `/health` (docs/providers.md#supabase-health); the code judges `healthy`, not `status`."""

    name: str
    healthy: bool
    status: str
    raw: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class SupabaseProject:
    ref: str
    name: str
    status: str  # ACTIVE_HEALTHY, COMING_UP, INACTIVE, UNKNOWN, ... (docs/providers.md#supabase-project)
    region: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def healthy(self) -> bool:
        return self.status == "ACTIVE_HEALTHY"


class SupabaseClient(ProviderClient):
    """Supabase Management API (`Authorization: Bearer $SUPABASE_ACCESS_TOKEN`, a `sbp_…` PAT)."""

    provider = "supabase"
    default_credential = "the Supabase access token"

    def __init__(self, *, access_token: str, base_url: str = DEFAULT_BASE_URL, **options: Any) -> None:
        """Options: credential (a label such as the env var name, for AuthError messages), timeout, client,
        transport, max_attempts, max_wait, max_pages, sleep, on_exchange."""
        require_credential(self.provider, "access_token", access_token)
        super().__init__(auth=BearerAuth(access_token), secrets=(access_token,), base_url=base_url, **options)

    def list_migrations(self, ref: str) -> list[Migration]:
        """`GET /v1/projects/{ref}/database/migrations`, in the order given.

        The Management API answers a bare array `[{version, name?}]` (CONFIRMED); the MCP tool since
        v0.7.0 wraps it as `{"migrations": [...]}`. Both are read, so a stand-in in either shape works
        (docs/providers.md#supabase-migrations).
        """
        response = self._request("GET", f"/v1/projects/{ref}/database/migrations")
        body = self._json(response)
        if isinstance(body, dict) and "migrations" in body:
            body = body["migrations"]
        rows = self._expect_list(response, body, "[{version, name}]")
        result = []
        for row in rows:
            if not isinstance(row, dict) or not isinstance(row.get("version"), (str, int)):
                raise self._malformed(response, "a migration without `version`")
            name = row.get("name")
            result.append(Migration(version=str(row["version"]), name=None if name is None else str(name)))
        return result

    def apply_migration(self, ref: str, name: str, query: str) -> None:
        """`POST /v1/projects/{ref}/database/migrations {"query", "name"}` (200 or 201): what Supabase's MCP tool
        `apply_migration` calls; the migration then shows in `list_migrations`, its version assigned by Supabase
        or taken from the name (UNCONFIRMED; docs/providers.md#supabase-apply-migration).

        Never repeated after a 5xx or a read timeout: the server may have applied it, and a migration run twice
        is not the same as once. The caller re-lists and decides.
        """
        self._request("POST", f"/v1/projects/{ref}/database/migrations", json={"query": query, "name": name},
                      ok=(200, 201), idempotent=False)

    def project_health(self, ref: str, services: Sequence[str] = DEFAULT_HEALTH_SERVICES) -> list[ServiceHealth]:
        """`GET /v1/projects/{ref}/health?services=db&services=auth...` -> `[{name, healthy, status}]`.

        `services` is sent as a repeated key, as the Management API's spec gives it (CONFIRMED;
        docs/providers.md#supabase-health).
        """
        response = self._request("GET", f"/v1/projects/{ref}/health", params={"services": list(services)})
        rows = self._expect_list(response, self._json(response), "[{name, healthy, status}]")
        result = []
        for row in rows:
            if not isinstance(row, dict) or not isinstance(row.get("name"), str) \
                    or not isinstance(row.get("healthy"), bool):
                raise self._malformed(response, "a health entry without `name` and boolean `healthy`")
            result.append(ServiceHealth(row["name"], row["healthy"], str(row.get("status", "")), row))
        return result

    def get_project(self, ref: str) -> SupabaseProject:
        """`GET /v1/projects/{ref}` -> `{id, ref?, name, region, status, ...}` (`id` is the ref)."""
        response = self._request("GET", f"/v1/projects/{ref}")
        body = self._project_body(response)
        return SupabaseProject(
            ref=str(body.get("ref") or body["id"]), name=str(body.get("name", "")), status=body["status"],
            region=body.get("region"), raw=body,
        )

    def _project_body(self, response: httpx.Response) -> dict[str, Any]:
        body = self._expect_dict(response, self._json(response), "a project")
        if not isinstance(body.get("ref") or body.get("id"), str) or not isinstance(body.get("status"), str):
            raise self._malformed(response, "a project without `id`/`ref` or `status`")
        return body
