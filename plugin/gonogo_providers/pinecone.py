"""Pinecone control-plane client: describe an index, API version pinned to 2025-10 (docs/providers.md#pinecone)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gonogo_providers._http import PineconeAuth, ProviderClient, require_credential

DEFAULT_BASE_URL = "https://api.pinecone.io"
# The body shape depends on this header (2026-07 drops dimension/metric/spec); pin it
# (docs/providers.md#pinecone-api-version).
DEFAULT_API_VERSION = "2025-10"
# The `status.state` enum of API version 2025-10 (CONFIRMED; docs/providers.md#pinecone-describe-index).
INDEX_STATES = (
    "Initializing", "InitializationFailed", "ScalingUp", "ScalingDown", "ScalingUpPodSize",
    "ScalingDownPodSize", "Terminating", "Ready", "Disabled",
)


@dataclass(frozen=True)
class IndexDescription:
    """An IndexModel: `ready`/`state` from `status`; `dimension` is None in the 2026-07 shape."""

    name: str
    ready: bool
    state: str
    host: str | None
    dimension: int | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def is_ready(self) -> bool:
        """The runbook check: `status.ready is True and status.state == "Ready"`."""
        return self.ready is True and self.state == "Ready"


class PineconeClient(ProviderClient):
    """Pinecone control plane (`Api-Key` + `X-Pinecone-Api-Version` headers)."""

    provider = "pinecone"
    default_credential = "the Pinecone API key"

    def __init__(
        self, *, api_key: str, base_url: str = DEFAULT_BASE_URL, api_version: str = DEFAULT_API_VERSION,
        **options: Any,
    ) -> None:
        """Options: credential (a label such as the env var name, for AuthError messages), timeout, client,
        transport, max_attempts, max_wait, max_pages, sleep, on_exchange."""
        require_credential(self.provider, "api_key", api_key)
        super().__init__(auth=PineconeAuth(api_key, api_version), secrets=(api_key,), base_url=base_url, **options)
        self.api_version = api_version

    def describe_index(self, name: str) -> IndexDescription:
        """`GET /indexes/{name}`."""
        response = self._request("GET", f"/indexes/{name}")
        body = self._expect_dict(response, self._json(response), "an IndexModel")
        status = body.get("status")
        if not isinstance(status, dict) or not isinstance(status.get("ready"), bool) \
                or not isinstance(status.get("state"), str):
            raise self._malformed(response, "an index without `status{ready, state}`")
        dimension = body.get("dimension")
        return IndexDescription(
            name=str(body.get("name", name)), ready=status["ready"], state=status["state"], host=body.get("host"),
            dimension=dimension if isinstance(dimension, int) and not isinstance(dimension, bool) else None,
            raw=body,
        )
