"""Go/no-go 3: `/health` is healthy from the public network."""
from __future__ import annotations

import pytest


@pytest.mark.smoke
@pytest.mark.criterion("health-public")
def test_health_endpoint_reports_healthy(api):
    response = api.get("/health")
    assert response.status_code == 200, f"GET /health answered {response.status_code}: {response.text[:200]}"
    body = response.json()
    assert body.get("status") == "healthy", f"/health says {body.get('status')!r}: {body.get('checks')}"
