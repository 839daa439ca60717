"""The production env baseline the backend refuses to boot without (runbook section 4)."""

from __future__ import annotations

REQUIRED = ("SUPABASE_URL", "SUPABASE_SERVICE_KEY", "OPENAI_API_KEY", "PINECONE_API_KEY", "PINECONE_INDEX_NAME",
            "JWT_SECRET", "ALLOWED_ORIGINS", "REDIS_URL", "FEEDBACK_LEARNING_MIN_EVENTS",
            "FEEDBACK_LEARNING_COOLDOWN_MINUTES", "FEEDBACK_LEARNING_AUTO_PUBLISH",
            "FEEDBACK_LEARNING_RUN_REGRESSION_GATE")


def problems(env: dict[str, str]) -> list[str]:
    out = [f"{key} is missing" for key in REQUIRED if not env.get(key, "").strip()]
    origins = [o.strip() for o in env.get("ALLOWED_ORIGINS", "").split(",") if o.strip()]
    if "*" in origins:
        out.append("ALLOWED_ORIGINS must list explicit origins, not '*'")
    if env.get("DEV_MODE", "false").lower() == "true":
        out.append("DEV_MODE must be false in production")
    return out
