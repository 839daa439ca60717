"""Small httpx clients for the providers the runbook reads: Render, Vercel, Supabase, Pinecone."""

from __future__ import annotations

from gonogo_providers._http import DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_WAIT_S, DEFAULT_TIMEOUT_S, Exchange
from gonogo_providers.errors import (
    AuthError,
    MalformedResponse,
    NotFoundError,
    PaginationLimitExceeded,
    ProviderError,
    ProviderTimeout,
    ProviderUnreachable,
    RateLimitedError,
    ServerError,
)
from gonogo_providers.pinecone import IndexDescription, PineconeClient
from gonogo_providers.render import (
    Deploy,
    KeyValue,
    LogEntry,
    MetricPoint,
    MetricSeries,
    RenderClient,
    Service,
    auto_deploy_patch,
)
from gonogo_providers.supabase import Migration, ServiceHealth, SupabaseClient, SupabaseProject
from gonogo_providers.vercel import AliasRequest, Deployment, EnvVar, Project, VercelClient

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_MAX_WAIT_S",
    "DEFAULT_TIMEOUT_S",
    "AliasRequest",
    "AuthError",
    "Deploy",
    "Deployment",
    "EnvVar",
    "Exchange",
    "IndexDescription",
    "KeyValue",
    "LogEntry",
    "MalformedResponse",
    "MetricPoint",
    "MetricSeries",
    "Migration",
    "NotFoundError",
    "PaginationLimitExceeded",
    "PineconeClient",
    "Project",
    "ProviderError",
    "ProviderTimeout",
    "ProviderUnreachable",
    "RateLimitedError",
    "RenderClient",
    "ServerError",
    "Service",
    "ServiceHealth",
    "SupabaseClient",
    "SupabaseProject",
    "VercelClient",
    "auto_deploy_patch",
]
