"""Render `/v1/logs` and `/v1/metrics/*`, built from the processes' real log lines and /proc samples."""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.emulators.common import render_error
from sandbox.render_model import RenderModel, rfc3339
from sandbox.supervisor import Supervisor, proc_sample

LOG_LEVELS = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
MAX_POINTS = 1440  # Render answers 500 when a query asks for too many points


@dataclass(frozen=True)
class LogEntry:
    ts: float
    message: str
    level: str
    type: str
    instance: str
    resource: str
    uid: str
    extra: tuple[tuple[str, str], ...] = ()
    duration_ms: float | None = None  # a request line's own time: what /metrics/http-latency is computed from

    def to_json(self) -> dict:
        labels = [{"name": "resource", "value": self.resource}, {"name": "instance", "value": self.instance},
                  {"name": "level", "value": self.level}, {"name": "type", "value": self.type},
                  *({"name": k, "value": v} for k, v in self.extra)]
        return {"id": self.uid, "message": self.message, "timestamp": rfc3339(self.ts), "labels": labels}


def parse_time(raw: str | None, default: float) -> float:
    if not raw:
        return default
    return datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()


def read_entries(path: Path, resource: str, instance_at) -> list[LogEntry]:
    """Every line of a process log as a Render log entry (non-JSON lines: `error` app lines, tracebacks)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return []
    entries, last_ts = [], path.stat().st_mtime
    for n, line in enumerate(raw.decode("utf-8", "replace").splitlines()):
        if not line.strip():
            continue
        uid = hashlib.sha1(f"{resource}:{n}:{line}".encode()).hexdigest()[:24]
        try:
            rec = json.loads(line)
            if not isinstance(rec, dict):
                raise ValueError(line)
            ts = parse_time(rec.get("ts"), last_ts)
        except ValueError:
            entries.append(LogEntry(last_ts, line, "error", "app", instance_at(last_ts), resource, uid))
            continue
        last_ts = ts
        level = str(rec.get("level", "info")).lower()
        if rec.get("type") == "request":
            extra = (("method", str(rec.get("method", ""))), ("path", str(rec.get("path", ""))),
                     ("statusCode", str(rec.get("status", ""))), ("host", "127.0.0.1"))
            message = rec.get("message") or f'{rec.get("method")} {rec.get("path")} {rec.get("status")}'
            duration = rec.get("duration_ms")
            entries.append(LogEntry(ts, str(message), level, "request", instance_at(ts), resource, uid, extra,
                                    float(duration) if isinstance(duration, (int, float)) else None))
        else:
            entries.append(LogEntry(ts, str(rec.get("message", "")), level, "app", instance_at(ts), resource, uid))
    return entries


class Observability:
    """Log queries over STATE/logs/<srv-id>.jsonl and metrics over periodic samples of the live pids."""

    def __init__(self, model: RenderModel, supervisor: Supervisor):
        self.model, self.supervisor = model, supervisor
        self.samples: dict[str, deque] = {sid: deque(maxlen=4000) for sid in model.services}

    def sample(self) -> None:
        """Record (time, pid, instance, cpu seconds, rss bytes) of each service's live process."""
        now = time.time()
        for sid, service in self.model.services.items():
            pid = self.supervisor.pid(service.role)
            got = proc_sample(pid) if pid else None
            if got is not None:
                running = self.supervisor.running.get(service.role)
                self.samples[sid].append((now, pid, running.instance if running else "", *got))

    def entries(self, service_id: str) -> list[LogEntry]:
        service = self.model.services[service_id]
        if service.role not in self.supervisor.log_names:
            return []  # the cron job record runs nothing in the sandbox
        return read_entries(self.supervisor.log_path(service.role), service_id,
                            lambda ts: self.supervisor.instance_at(service.role, ts))

    # -- /v1/logs -----------------------------------------------------------------------------
    async def logs(self, request: Request) -> Response:
        q = request.query_params
        if q.get("ownerId") != self.model.config.ids["render_owner_id"]:
            return render_error(400 if not q.get("ownerId") else 404,
                                "ownerId is required" if not q.get("ownerId") else "owner not found")
        resources = q.getlist("resource")
        if not resources:
            return render_error(400, "resource is required")
        try:
            now = time.time()
            start, end = parse_time(q.get("startTime"), now - 3600), parse_time(q.get("endTime"), now)
            limit = int(q.get("limit", "20"))
        except ValueError as exc:
            return render_error(400, f"invalid query parameter: {exc}")
        if not 1 <= limit <= 100:
            return render_error(400, "limit must be between 1 and 100")
        direction = q.get("direction", "backward")
        if direction not in ("backward", "forward"):
            return render_error(400, f"invalid direction {direction!r}")
        found = [e for sid in resources if sid in self.model.services for e in self.entries(sid)]
        found = [e for e in found if start <= e.ts < end and _matches(e, q)]
        found.sort(key=lambda e: e.ts, reverse=direction == "backward")
        page, more = found[:limit], len(found) > limit
        body = {"hasMore": more, "logs": [e.to_json() for e in page]}
        if more:
            last = page[-1].ts
            body["nextStartTime"] = rfc3339(start if direction == "backward" else last)
            body["nextEndTime"] = rfc3339(last if direction == "backward" else end)
        return JSONResponse(body)

    async def log_values(self, request: Request) -> Response:
        label = request.query_params.get("label", "")
        if label not in ("host", "instance", "level", "method", "statusCode", "type"):
            return render_error(400, f"invalid label {label!r}")
        values = set()
        for sid in request.query_params.getlist("resource") or list(self.model.services):
            if sid in self.model.services:
                for e in self.entries(sid):
                    values.update(v for k, v in _labels(e) if k == label)
        return JSONResponse(sorted(values))

    # -- /v1/metrics/* ------------------------------------------------------------------------
    async def metrics(self, request: Request) -> Response:
        kind = request.path_params["kind"]
        q = request.query_params
        resource = q.get("resource") or q.get("service")
        if not resource:
            return render_error(400, "resource is required")
        if resource not in self.model.services:
            return render_error(404, "resource not found")
        try:
            now = time.time()
            start, end = parse_time(q.get("startTime"), now - 3600), parse_time(q.get("endTime"), now)
            res = int(q.get("resolutionSeconds", "60"))
        except ValueError as exc:
            return render_error(400, f"invalid query parameter: {exc}")
        if res < 1 or end <= start:
            return render_error(400, "resolutionSeconds must be positive and startTime before endTime")
        if (end - start) / res > MAX_POINTS:
            return render_error(500, "too many data points requested; raise resolutionSeconds")
        if kind == "http-requests":
            series = self._http(resource, start, end, res, q.get("aggregateBy"))
        elif kind == "http-latency":
            try:
                quantile = float(q.get("quantile", "0.95"))
            except ValueError as exc:
                return render_error(400, f"invalid query parameter: {exc}")
            if not 0 < quantile <= 1:
                return render_error(400, "quantile must be between 0 and 1")
            series = self._latency(resource, start, end, res, quantile)
        else:
            series = self._proc(resource, kind, start, end, res, q.get("aggregationMethod", "AVG"))
        return JSONResponse(series)

    def _proc(self, sid: str, kind: str, start: float, end: float, res: int, how: str) -> list[dict]:
        buckets: dict[tuple[str, int], list[float]] = {}
        prev = None
        for ts, pid, inst, cpu, rss in self.samples[sid]:
            if kind == "cpu":
                value = None
                if prev is not None and prev[1] == pid and ts > prev[0]:
                    value = (cpu - prev[3]) / (ts - prev[0])  # CPU cores used since the previous sample
                prev = (ts, pid, inst, cpu)
            else:
                value = float(rss)
            if value is not None and start <= ts < end:
                buckets.setdefault((inst, int(ts // res) * res), []).append(value)
        agg = {"MAX": max, "MIN": min}.get(how.upper(), lambda v: sum(v) / len(v))
        unit = "cpu" if kind == "cpu" else "bytes"
        out: dict[str, dict] = {}
        for (inst, bucket), values in sorted(buckets.items(), key=lambda kv: kv[0][1]):
            s = out.setdefault(inst, {"labels": [{"field": "service", "value": sid},
                                                 {"field": "instance", "value": inst}],
                                      "unit": unit, "values": []})
            s["values"].append({"timestamp": rfc3339(bucket), "value": round(agg(values), 6)})
        return list(out.values())

    def _http(self, sid: str, start: float, end: float, res: int, aggregate_by: str | None) -> list[dict]:
        counts: dict[str, dict[int, int]] = {}
        for e in self.entries(sid):
            if e.type != "request" or not start <= e.ts < end:
                continue
            key = dict(e.extra).get("statusCode", "") if aggregate_by == "statusCode" else ""
            bucket = int(e.ts // res) * res
            counts.setdefault(key, {}).setdefault(bucket, 0)
            counts[key][bucket] += 1
        out = []
        for key, by_bucket in counts.items():
            labels = [{"field": "service", "value": sid}]
            if aggregate_by == "statusCode":
                labels.append({"field": "statusCode", "value": key})
            out.append({"labels": labels, "unit": "count",
                        "values": [{"timestamp": rfc3339(b), "value": n} for b, n in sorted(by_bucket.items())]})
        return out

    def _latency(self, sid: str, start: float, end: float, res: int, quantile: float) -> list[dict]:
        """The `quantile` of the request lines' durations in each bucket, in milliseconds (nearest rank)."""
        buckets: dict[int, list[float]] = {}
        for e in self.entries(sid):
            if e.type == "request" and e.duration_ms is not None and start <= e.ts < end:
                buckets.setdefault(int(e.ts // res) * res, []).append(e.duration_ms)
        if not buckets:
            return []
        values = []
        for bucket, durations in sorted(buckets.items()):
            durations.sort()
            rank = max(1, math.ceil(quantile * len(durations)))
            values.append({"timestamp": rfc3339(bucket), "value": durations[rank - 1]})
        return [{"labels": [{"field": "service", "value": sid}, {"field": "quantile", "value": f"{quantile:g}"}],
                 "unit": "ms", "values": values}]

    def routes(self) -> list[Route]:
        return [Route("/v1/logs", self.logs), Route("/v1/logs/values", self.log_values),
                Route("/v1/metrics/{kind:str}", self.metrics_or_404)]

    async def metrics_or_404(self, request: Request) -> Response:
        if request.path_params["kind"] not in ("cpu", "memory", "http-requests", "http-latency"):
            return render_error(404, "not found")
        return await self.metrics(request)


def _labels(e: LogEntry) -> list[tuple[str, str]]:
    return [("instance", e.instance), ("level", e.level), ("type", e.type), *e.extra]


def _matches(e: LogEntry, q) -> bool:
    labels = _labels(e)
    for name in ("instance", "level", "type", "method", "statusCode", "host"):
        wanted = q.getlist(name)
        if wanted and not any(k == name and v in wanted for k, v in labels):
            return False
    for name in ("text", "path"):
        pattern = q.get(name)
        hay = e.message if name == "text" else dict(e.extra).get("path", "")
        if pattern and not _wild(pattern, hay):
            return False
    return True


def _wild(pattern: str, text: str) -> bool:
    """Render's text/path filters take wildcards (`*`) or a regex; a plain word matches as a substring."""
    try:
        return re.search(pattern.replace("*", ".*") if "*" in pattern else pattern, text) is not None
    except re.error:
        return pattern in text
