"""Render REST API v1 client: services, key value, deploys, env vars, rollback, logs, metrics.

docs/providers.md#render.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from gonogo_providers._http import BearerAuth, ProviderClient, format_time, parse_time, require_credential
from gonogo_providers.render_models import (
    AUTO_DEPLOY_VALUES,
    DEPLOY_STATUSES,
    FAILED_STATUSES,
    IN_PROGRESS_STATUSES,
    KEY_VALUE_AVAILABLE,
    SUCCEEDED_STATUSES,
    Deploy,
    KeyValue,
    LogEntry,
    MetricPoint,
    MetricSeries,
    Service,
    auto_deploy_patch,
)

# The values live in render_models; re-exported here so a caller imports everything Render from one place.
__all__ = [
    "AUTO_DEPLOY_VALUES", "DEFAULT_BASE_URL", "DEPLOY_STATUSES", "FAILED_STATUSES", "IN_PROGRESS_STATUSES",
    "KEY_VALUE_AVAILABLE", "LOG_LEVELS", "MAX_PAGE_SIZE", "METRIC_KINDS", "SUCCEEDED_STATUSES", "Deploy", "KeyValue",
    "LogEntry", "MetricPoint", "MetricSeries", "RenderClient", "Service", "auto_deploy_patch",
]

DEFAULT_BASE_URL = "https://api.render.com/v1"
# The CLI's log level enum; what the server emits is UNCONFIRMED (docs/providers.md#render-logs).
LOG_LEVELS = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
# The REST paths behind the MCP names cpu_usage, memory_usage, http_request_count, http_latency
# (docs/providers.md#render-metrics).
METRIC_KINDS = ("cpu", "memory", "http-requests", "http-latency")
# Render's page maximum for `limit` (default 20, CONFIRMED; docs/providers.md#render-pagination), and the
# logs API's (docs/providers.md#render-logs).
MAX_PAGE_SIZE = 100
# How many deploys latest_deploy reads to check the (INFERRED) newest-first order before trusting [0].
_ORDER_PROBE = 10
_EPOCH = datetime.min.replace(tzinfo=UTC)

def _text(value: Any) -> str | None:
    """A string field as given, None when absent or not a string."""
    return value if isinstance(value, str) else None


def _as_list(value: str | Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


class RenderClient(ProviderClient):
    """Render API v1 (`Authorization: Bearer $RENDER_API_KEY`); see docs/providers.md#render."""

    provider = "render"
    default_credential = "the Render API key"

    def __init__(self, *, api_key: str, base_url: str = DEFAULT_BASE_URL, **options: Any) -> None:
        """Options: credential (a label such as the env var name, for AuthError messages), timeout, client,
        transport, max_attempts, max_wait, max_pages, sleep, on_exchange."""
        require_credential(self.provider, "api_key", api_key)
        super().__init__(auth=BearerAuth(api_key), secrets=(api_key,), base_url=base_url, **options)

    # -- parsing ---------------------------------------------------------------------------------
    def _service(self, response: httpx.Response, body: Any) -> Service:
        body = self._expect_dict(response, body, "a Service")
        if not isinstance(body.get("id"), str):
            raise self._malformed(response, "a Service without an `id`")
        details = body.get("serviceDetails") if isinstance(body.get("serviceDetails"), dict) else {}
        # `serviceDetails.runtime` (CONFIRMED); older answers name the same value `env`.
        runtime = details.get("runtime") or details.get("env")
        return Service(
            id=body["id"], name=str(body.get("name", "")), type=str(body.get("type", "")),
            owner_id=str(body.get("ownerId", "")), auto_deploy=str(body.get("autoDeploy", "")),
            suspended=str(body.get("suspended", "")), url=details.get("url"), raw=body,
            auto_deploy_trigger=_text(body.get("autoDeployTrigger")), root_dir=_text(body.get("rootDir")),
            branch=_text(body.get("branch")), runtime=_text(runtime),
        )

    def _deploy(self, response: httpx.Response, body: Any) -> Deploy:
        body = self._expect_dict(response, body, "a Deploy")
        if not isinstance(body.get("id"), str) or not isinstance(body.get("status"), str):
            raise self._malformed(response, "a Deploy without `id` or `status`")
        commit = body.get("commit") if isinstance(body.get("commit"), dict) else {}
        return Deploy(
            id=body["id"], status=body["status"], trigger=body.get("trigger"),
            commit_id=commit.get("id"), commit_message=commit.get("message"),
            created_at=parse_time(body.get("createdAt")), finished_at=parse_time(body.get("finishedAt")),
            raw=body,
        )

    def _cursor_items(
        self, path: str, params: dict[str, Any], key: str, *, limit: int | None, page_size: int | None = None
    ) -> Iterator[tuple[httpx.Response, Any]]:
        """Items of a `[{<key>: item, cursor}]` listing, following the last cursor, bounded by max_pages."""
        size = max(1, min(page_size or MAX_PAGE_SIZE, MAX_PAGE_SIZE, limit or MAX_PAGE_SIZE))
        cursor: str | None = None
        seen = 0
        for _page in range(self.max_pages):
            response = self._request("GET", path, params={**params, "limit": size, "cursor": cursor})
            page = self._expect_list(response, self._json(response), f"[{{{key}, cursor}}]")
            for entry in page:
                if not isinstance(entry, dict) or key not in entry:
                    raise self._malformed(response, f"an array entry without `{key}`")
                yield response, entry[key]
                seen += 1
                if limit is not None and seen >= limit:
                    return
            # A short page is the last one (UNCONFIRMED: Render documents no `hasMore` here;
            # docs/providers.md#render-pagination).
            if len(page) < size:
                return
            last = page[-1].get("cursor")
            if not isinstance(last, str) or not last or last == cursor:
                return
            cursor = last
        raise self._too_many_pages("GET", path)

    # -- services --------------------------------------------------------------------------------
    def list_services(
        self, name: str | Sequence[str] | None = None, type: str | Sequence[str] | None = None
    ) -> list[Service]:
        """`GET /services?name=&type=` (both repeatable), every page."""
        params = {"name": _as_list(name), "type": _as_list(type)}
        return [self._service(r, s) for r, s in self._cursor_items("/services", params, "service", limit=None)]

    def get_service(self, service_id: str) -> Service:
        """`GET /services/{id}`: type, rootDir, runtime, url, suspended, autoDeploy.

        docs/providers.md#render-services.
        """
        response = self._request("GET", f"/services/{service_id}")
        return self._service(response, self._json(response))

    def update_service(self, service_id: str, *, current: Service | None = None, **fields: Any) -> Service:
        """`PATCH /services/{id}` with `fields` as Render spells them, e.g. `update_service(id, autoDeploy="no")`.

        `autoDeploy="yes"|"no"` is written in the field the service shows (`autoDeployTrigger`
        `commit`/`off` on a service that has it; docs/providers.md#render-service-update), which costs
        one read first unless the caller passes the service it just read as `current`. Retried like a
        GET: writing the same value twice changes nothing. Answers the updated Service (read back when
        the answer has no body).
        """
        if "autoDeploy" in fields:
            value = fields.pop("autoDeploy")
            if value not in AUTO_DEPLOY_VALUES["autoDeploy"]:
                raise ValueError(f"render: autoDeploy must be 'yes' or 'no', got {value!r}")
            shown = current if current is not None and current.id == service_id else self.get_service(service_id)
            fields.update(auto_deploy_patch(shown, value == "yes"))
        if not fields:
            raise ValueError("render: update_service needs at least one field")
        response = self._request("PATCH", f"/services/{service_id}", json=fields, ok=(200, 204), idempotent=True)
        if not response.content.strip():
            return self.get_service(service_id)
        return self._service(response, self._json(response))

    # -- key value -------------------------------------------------------------------------------
    def get_key_value(self, key_value_id: str) -> KeyValue:
        """`GET /key-value/{id}` -> `{id, name, status, plan, region, ownerId}`.

        docs/providers.md#render-key-value.
        """
        response = self._request("GET", f"/key-value/{key_value_id}")
        body = self._expect_dict(response, self._json(response), "a Key Value instance")
        if not isinstance(body.get("id"), str) or not isinstance(body.get("status"), str):
            raise self._malformed(response, "a Key Value instance without `id` or `status`")
        return KeyValue(
            id=body["id"], name=str(body.get("name", "")), status=body["status"], plan=_text(body.get("plan")),
            region=_text(body.get("region")), owner_id=_text(body.get("ownerId")), raw=body,
        )

    def suspend_service(self, service_id: str) -> None:
        """`POST /services/{id}/suspend` (202): how the rollback pauses the scheduler cron job.

        Retried like a GET: suspending a suspended service changes nothing.
        """
        self._request("POST", f"/services/{service_id}/suspend", ok=(200, 202, 204), idempotent=True)

    # -- deploys ---------------------------------------------------------------------------------
    def list_deploys(
        self,
        service_id: str,
        *,
        limit: int | None = 20,
        status: str | Sequence[str] | None = None,
        page_size: int | None = None,
    ) -> list[Deploy]:
        """Up to `limit` deploys (None: all, bounded by max_pages), in the server's order.

        `status` is sent repeated (`?status=live&status=deactivated`). The order is newest first by
        inference only (INFERRED, docs/providers.md#render-deploys); use `latest_deploy` or
        `previous_live_deploy`, which check it.
        """
        params = {"status": _as_list(status)}
        items = self._cursor_items(
            f"/services/{service_id}/deploys", params, "deploy", limit=limit, page_size=page_size
        )
        return [self._deploy(r, d) for r, d in items]

    def _newest_first(self, service_id: str, status: str | Sequence[str] | None) -> list[Deploy]:
        """Deploys sorted newest first, reading every page only if the server's page is not newest first."""
        page = self.list_deploys(service_id, limit=_ORDER_PROBE, status=status)
        if len(page) >= _ORDER_PROBE and not _is_newest_first(page):
            # The newest-first order is INFERRED; a page that contradicts it means the newest may be on
            # a later page, so read them all (bounded) rather than trust [0].
            page = self.list_deploys(service_id, limit=None, status=status)
        return sorted(page, key=lambda d: d.created_at or _EPOCH, reverse=True)

    def latest_deploy(self, service_id: str) -> Deploy | None:
        """The newest deploy of the service (any status), or None when it has none."""
        deploys = self._newest_first(service_id, None)
        return deploys[0] if deploys else None

    def get_deploy(self, service_id: str, deploy_id: str) -> Deploy:
        response = self._request("GET", f"/services/{service_id}/deploys/{deploy_id}")
        return self._deploy(response, self._json(response))

    def previous_live_deploy(self, service_id: str) -> Deploy | None:
        """The rollback target: the newest `deactivated` deploy older than the current `live` one.

        docs/providers.md#render-rollback. "Older than live" matters: after a deploy is rolled back, the bad deploy is
        `deactivated` too and may be newer than the one now live. With no live deploy, the newest
        `deactivated` one. None when there is no candidate.
        """
        live = self._newest_first(service_id, "live")
        floor = live[0].created_at if live else None
        for deploy in self._newest_first(service_id, "deactivated"):
            if floor is None or (deploy.created_at is not None and deploy.created_at < floor):
                return deploy
        return None

    def trigger_deploy(self, service_id: str, commit_id: str | None = None) -> Deploy | None:
        """`POST /services/{id}/deploys`; the new Deploy (201), or None when answered 202 without one.

        Never retried after a 5xx or a read timeout: that could start a second deploy.
        """
        body: dict[str, Any] = {"clearCache": "do_not_clear"}
        if commit_id:
            body["commitId"] = commit_id
        response = self._request("POST", f"/services/{service_id}/deploys", json=body, ok=(200, 201, 202))
        if not response.content.strip():
            return None
        return self._deploy(response, self._json(response))

    def rollback(self, service_id: str, deploy_id: str) -> Deploy:
        """`POST /services/{id}/rollback {"deployId"}` -> 201 Deploy (`trigger: rollback`).

        Retried like a GET: rolling back to one named deploy twice has the effect of doing it once.
        """
        response = self._request(
            "POST", f"/services/{service_id}/rollback", json={"deployId": deploy_id},
            ok=(200, 201), idempotent=True,
        )
        return self._deploy(response, self._json(response))

    # -- env vars --------------------------------------------------------------------------------
    def list_env_vars(self, service_id: str) -> dict[str, str]:
        """Every env var of the service, key -> value (plaintext). Env-group vars are not included."""
        result: dict[str, str] = {}
        for response, var in self._cursor_items(f"/services/{service_id}/env-vars", {}, "envVar", limit=None):
            if not isinstance(var, dict) or not isinstance(var.get("key"), str):
                raise self._malformed(response, "an envVar without `key`")
            result[var["key"]] = "" if var.get("value") is None else str(var["value"])
        return result

    def put_env_var(self, service_id: str, key: str, value: str) -> None:
        """`PUT /services/{id}/env-vars/{key} {"value"}`; takes effect at the next deploy."""
        self._request("PUT", f"/services/{service_id}/env-vars/{key}", json={"value": value}, ok=(200, 201))

    def delete_env_var(self, service_id: str, key: str) -> None:
        self._request("DELETE", f"/services/{service_id}/env-vars/{key}", ok=(200, 204))

    # -- logs and metrics ------------------------------------------------------------------------
    def iter_logs(
        self,
        owner_id: str,
        resources: str | Sequence[str],
        *,
        type: str | Sequence[str] | None = None,
        levels: str | Sequence[str] | None = None,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        limit: int = 100,
        direction: str = "backward",
    ) -> Iterator[LogEntry]:
        """`GET /logs`, following `hasMore` with `nextStartTime`/`nextEndTime`, at most max_pages pages.

        `limit` is per page and never above Render's maximum of 100 (docs/providers.md#render-logs).
        """
        params: dict[str, Any] = {
            "ownerId": owner_id, "resource": _as_list(resources), "type": _as_list(type),
            "level": _as_list(levels), "startTime": None if start is None else format_time(start),
            "endTime": None if end is None else format_time(end), "direction": direction,
            "limit": max(1, min(limit, MAX_PAGE_SIZE)),
        }
        for _page in range(self.max_pages):
            response = self._request("GET", "/logs", params=params)
            body = self._expect_dict(response, self._json(response), "{hasMore, logs, nextStartTime, nextEndTime}")
            logs = body.get("logs")
            if not isinstance(logs, list):
                raise self._malformed(response, "a logs answer without a `logs` array")
            for entry in logs:
                yield self._log_entry(response, entry)
            if not body.get("hasMore"):
                return
            window = (body.get("nextStartTime"), body.get("nextEndTime"))
            if not all(isinstance(t, str) and t for t in window):
                raise self._malformed(response, "`hasMore` without `nextStartTime`/`nextEndTime`")
            if window == (params["startTime"], params["endTime"]):
                raise self._malformed(response, "`hasMore` with the same window again")
            params = {**params, "startTime": window[0], "endTime": window[1]}
        raise self._too_many_pages("GET", "/logs")

    def _log_entry(self, response: httpx.Response, entry: Any) -> LogEntry:
        if not isinstance(entry, dict) or not isinstance(entry.get("message"), str):
            raise self._malformed(response, "a log entry without `message`")
        labels = {
            str(label.get("name")): str(label.get("value"))
            for label in entry.get("labels") or []
            if isinstance(label, dict) and "name" in label
        }
        return LogEntry(
            id=str(entry.get("id", "")), message=entry["message"],
            timestamp=parse_time(entry.get("timestamp")), labels=labels,
        )

    def metrics(
        self,
        kind: str,
        resource: str,
        start: datetime | str,
        end: datetime | str,
        resolution_seconds: int = 60,
        quantile: float | None = None,
    ) -> list[MetricSeries]:
        """`GET /metrics/{cpu|memory|http-requests|http-latency}?resource=&startTime=&endTime=&resolutionSeconds=`.

        `quantile` (http-latency only, e.g. 0.95): the latency percentile Render computes per point.
        """
        if kind not in METRIC_KINDS:
            raise ValueError(f"render: metrics kind {kind!r} is not one of {', '.join(METRIC_KINDS)}")
        if (quantile is not None) != (kind == "http-latency"):
            raise ValueError("render: http-latency needs a quantile (e.g. 0.95), and only it takes one")
        params: dict[str, Any] = {
            "resource": resource, "startTime": format_time(start), "endTime": format_time(end),
            "resolutionSeconds": resolution_seconds,
        }
        if quantile is not None:
            params["quantile"] = quantile
        response = self._request("GET", f"/metrics/{kind}", params=params)
        series = self._expect_list(response, self._json(response), "[{labels, unit, values}]")
        result = []
        for item in series:
            if not isinstance(item, dict) or not isinstance(item.get("values"), list):
                raise self._malformed(response, "a time series without `values`")
            try:
                points = tuple(
                    MetricPoint(parse_time(v.get("timestamp")), float(v["value"])) for v in item["values"]
                )
            except (AttributeError, KeyError, TypeError, ValueError):
                raise self._malformed(response, "a metric value that is not a number") from None
            labels = {
                str(lb.get("field")): str(lb.get("value"))
                for lb in item.get("labels") or []
                if isinstance(lb, dict)
            }
            result.append(MetricSeries(labels=labels, unit=str(item.get("unit", "")), points=points))
        return result


def _is_newest_first(deploys: Sequence[Deploy]) -> bool:
    stamps = [d.created_at for d in deploys if d.created_at is not None]
    return all(a >= b for a, b in zip(stamps, stamps[1:], strict=False))
