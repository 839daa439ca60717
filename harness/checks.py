"""Small reads the fixtures compose: clients for a target, Vercel env, Redis PING, gate env and figures."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from gonogo_providers.errors import ProviderError
from gonogo_providers.pinecone import PineconeClient
from gonogo_providers.render import RenderClient
from gonogo_providers.supabase import SupabaseClient
from gonogo_providers.vercel import VercelClient
from harness.target import Target

REDIS_TIMEOUT_S = 5.0


# Each client is told where its credential came from, so a 401/403 names it, and how long a dead provider may
# hold one call: the target's timeout and attempts (docs/providers.md#shared-transport).
def _transport(target: Target, on_exchange: Callable | None) -> dict:
    return {"timeout": target.provider_timeout_s, "max_attempts": target.provider_attempts, "on_exchange": on_exchange}


def render_client(target: Target, on_exchange: Callable | None = None) -> RenderClient:
    return RenderClient(api_key=target.secret("render_api_key"), base_url=target.render_api_url,
                        credential=target.credential_label("render_api_key"), **_transport(target, on_exchange))


def vercel_client(target: Target, on_exchange: Callable | None = None) -> VercelClient:
    return VercelClient(token=target.secret("vercel_token"), team_id=target.vercel_team_id,
                        base_url=target.vercel_api_url, credential=target.credential_label("vercel_token"),
                        **_transport(target, on_exchange))


def supabase_client(target: Target, on_exchange: Callable | None = None) -> SupabaseClient:
    return SupabaseClient(access_token=target.secret("supabase_access_token"), base_url=target.supabase_api_url,
                          credential=target.credential_label("supabase_access_token"),
                          **_transport(target, on_exchange))


def pinecone_client(target: Target, on_exchange: Callable | None = None) -> PineconeClient:
    return PineconeClient(api_key=target.secret("pinecone_api_key"), base_url=target.pinecone_api_url,
                          credential=target.credential_label("pinecone_api_key"), **_transport(target, on_exchange))


def vercel_project(vercel: VercelClient, target: Target) -> dict:
    project = vercel.get_project(target.vercel_project_id)
    return {"nodeVersion": project.node_version, "production_deployment_id": project.production_deployment_id}


def vercel_production_env(vercel: VercelClient, target: Target) -> dict[str, str | None]:
    """key -> value for the production env; None where the value cannot be read (encrypted, sensitive)."""
    env: dict[str, str | None] = {}
    for var in vercel.list_env(target.vercel_project_id, target="production"):
        readable = var.type in ("plain", "system") or (var.value not in (None, "") and var.type != "sensitive")
        env[var.key] = var.value if readable else None
    return env


def redis_ping(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S)
    try:
        return bool(client.ping())
    except redis.RedisError as exc:
        raise AssertionError(f"Redis did not answer PING: {type(exc).__name__}") from None
    finally:
        client.close()


def gate_env(target: Target) -> dict[str, str]:
    """What the app checkout's commands read: the API to talk to and the owner test account."""
    env = {"PERSONA_API_URL": target.api_url, "E2E_API_URL": target.api_url, "E2E_FRONTEND_URL": target.frontend_url}
    for role, names in (("owner_email", ("PERSONA_OWNER_EMAIL", "E2E_OWNER_EMAIL")),
                        ("owner_password", ("PERSONA_OWNER_PASSWORD", "E2E_OWNER_PASSWORD"))):
        if target.secrets.get(role):
            env.update({name: target.secrets[role] for name in names})
    return env


def persona_failures(result, output: Path, thresholds: dict, evidence, measure: bool = False) -> list[str]:
    """Threshold failures of a persona regression run, from the runner's own figures (not its exit code).

    `measure`: also record each rate as a measure (`persona_pass_rate`...), compared with the last GO.
    """
    if not output.exists():
        return [f"the regression runner wrote no {output.name} (exit {result.returncode})"]
    try:
        figures = json.loads(output.read_text())
    except ValueError:
        return [f"the regression runner's {output.name} is not JSON"]
    keys = {"pass_rate": "persona_min_pass_rate", "adversarial_pass_rate": "persona_min_adversarial_pass_rate",
            "channel_isolation_pass_rate": "persona_min_channel_isolation_pass_rate"}
    evidence.note("persona regression figures", json.dumps({k: figures.get(k) for k in keys}))
    failures = []
    for key, threshold in keys.items():
        value, minimum = figures.get(key), thresholds[threshold]
        if measure and isinstance(value, (int, float)) and not isinstance(value, bool):
            evidence.measure(f"persona_{key}", value, better="higher")
        if not isinstance(value, (int, float)):
            failures.append(f"the runner's output has no numeric {key} (got {value!r})")
        elif value < minimum:
            failures.append(f"persona regression {key} is {value:.3f}, below the gate's {minimum}")
    if not failures and result.returncode != 0:
        failures.append(f"the regression runner exited {result.returncode} although its figures pass")
    return failures


def measure_log_levels(evidence, levels: list[str], entries) -> None:
    """Soak error counts by level as measures (`soak_log_lines_error`...), zero for a level with no line.

    `entries`: log lines, or Render's log listing being read; only a measure, so a provider failure while
    reading it is noted, never the criterion's outcome.
    """
    counts = dict.fromkeys(levels, 0)
    try:
        for entry in entries:
            if entry.level in counts:
                counts[entry.level] += 1
    except ProviderError as exc:
        evidence.note("log counts by level unavailable", str(exc))
        return
    for level, count in counts.items():
        evidence.measure(f"soak_log_lines_{level}", count, unit="lines", better="lower")


def measure_p95_latency(render, service_id: str, start, end, evidence) -> None:
    """The API's peak p95 latency over the window (Render's http-latency, quantile 0.95) as a measure.

    Only a measure: a provider failure here is noted, never the criterion's outcome.
    """
    try:
        series = render.metrics("http-latency", service_id, start=start, end=end, quantile=0.95)
    except ProviderError as exc:
        evidence.note("p95 latency unavailable", str(exc))
        return
    values = [p.value for s in series for p in s.points]
    if values:
        evidence.measure("api_p95_latency", max(values), unit=series[0].unit or "ms", better="lower")
