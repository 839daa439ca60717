"""Section 3, config hardening: explicit CORS origins, REDIS_URL, feedback knobs, Node version."""
from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.predeploy

# An explicit origin: scheme://host[:port], nothing more, no wildcard.
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d+)?$")


@pytest.mark.criterion("cors-origins")
def test_allowed_origins_is_an_explicit_list(render_env, frontend_origin, evidence):
    value = render_env["api"].get("ALLOWED_ORIGINS", "")
    evidence.note("ALLOWED_ORIGINS on the API", value or "(unset)")
    origins = [o.strip() for o in value.split(",") if o.strip()]
    assert origins, "ALLOWED_ORIGINS is not set on the API service"
    assert "*" not in value, f"ALLOWED_ORIGINS allows every origin: {value!r}"
    bad = [o for o in origins if not _ORIGIN.match(o)]
    assert not bad, f"ALLOWED_ORIGINS has entries that are not explicit origins: {bad}"
    assert frontend_origin in origins, f"ALLOWED_ORIGINS does not include the frontend origin {frontend_origin}"


@pytest.mark.criterion("redis-url")
@pytest.mark.parametrize("service", ["api", "worker"])
def test_redis_url_is_set(render_env, service, evidence):
    value = render_env[service].get("REDIS_URL", "")
    evidence.note(f"REDIS_URL on the {service} service", "set (value withheld)" if value else "unset")
    assert value, f"REDIS_URL is not set on the {service} service"
    assert value.startswith(("redis://", "rediss://")), f"REDIS_URL on the {service} service is not a redis:// URL"


@pytest.mark.criterion("feedback-knobs")
@pytest.mark.parametrize("service", ["api", "worker"])
def test_feedback_learning_knobs_are_set(render_env, env_baseline, service, evidence):
    env = render_env[service]
    knobs = {k: env.get(k) for k in env_baseline["feedback_knobs"]}
    evidence.note(f"feedback-learning knobs on the {service} service", "\n".join(f"{k}={v}" for k, v in knobs.items()))
    missing = [k for k, v in knobs.items() if not v]
    assert not missing, f"{service} service lacks {', '.join(missing)}"


@pytest.mark.criterion("node-version")
def test_vercel_node_version_matches_frontend_engines(vercel_project, frontend_engines, evidence):
    node = vercel_project.get("nodeVersion")
    evidence.note("Node versions", f"Vercel project nodeVersion={node}; frontend engines.node={frontend_engines}")
    assert node == frontend_engines, f"Vercel runs Node {node}, the frontend declares {frontend_engines}"
