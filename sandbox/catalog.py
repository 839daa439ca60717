"""The fault switches: names, how each arrives (as production would get it) and what it then does."""

from __future__ import annotations

from dataclasses import dataclass

BYPASS = "NEXT_PUBLIC_E2E_BYPASS_AUTH"


@dataclass(frozen=True)
class Fault:
    name: str
    arrives: str
    effect: str


FAULTS = {f.name: f for f in (
    Fault("cors-wildcard", "Render API: PUT env ALLOWED_ORIGINS=* + deploy", "any origin gets CORS headers"),
    Fault("worker-redis-missing", "Render worker: DELETE env REDIS_URL + deploy",
          "worker logs errors, processes nothing"),
    Fault("node-version-mismatch", 'Vercel: PATCH project {"nodeVersion": "18.x"}', "project runtime != engines 20.x"),
    Fault("migration-missing", "SQL: add_feedback_learning_job_type row removed", "Supabase migrations lack it"),
    Fault("rls-disabled", "SQL: ALTER TABLE feedback_events DISABLE ROW LEVEL SECURITY", "relrowsecurity false"),
    Fault("dev-mode-on", "Render API: PUT env DEV_MODE=true + deploy", "API accepts unauthenticated calls"),
    Fault("e2e-bypass-enabled", f"Vercel: POST env {BYPASS}=1 + production deployment", "dashboard skips login"),
    Fault("pinecone-not-ready", "Pinecone: index status ScalingUp", "describe shows not ready"),
    Fault("deploy-build-failed", "Render API: deploy of a commit whose build fails", "newest deploy build_failed"),
    Fault("bad-deploy-health", "Render API: deploy of a bad-health build", "deploy live, /health 503"),
    Fault("vercel-unaliased", "Vercel: production deployment READY without the alias", "alias stays on the old one"),
    Fault("share-writes-training", "Render API: deploy of a share-writes-training build", "share chat writes training"),
    Fault("worker-stalled", "Render worker: deploy of a worker-stalled build", "jobs stuck in processing"),
    Fault("persona-regression-drop", "Render API: deploy of a persona-regression-drop build", "pass rates drop"),
    Fault("owner-flow-broken", "Vercel: production deployment of an owner-flow-broken build",
          "simulator never renders"),
    Fault("p0-in-logs", "Render API: deploy of a p0-in-logs build", "critical lines in app logs"),
)}
