"""The OpenAPI document is served and the app conforms to it (schemathesis, in process over ASGI)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from api.app import create_app

APP = create_app(launch_workers=False)  # services are attached by the fixture below
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(autouse=True)
def _services(tmp_path, kit) -> Iterator[None]:
    """Fresh services (SQLite state, DBOS launched) behind the module's app for each test."""
    from api.workers import dbos_app

    services = kit.make_services(tmp_path / "state")
    dbos_app.launch(services)
    APP.state.services = services
    try:
        yield
    finally:
        APP.state.services = None
        dbos_app.shutdown()
        services.close()


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi(case, kit):
    token = next(t for t, owner in kit.TOKENS.items() if owner["role"] == "admin")
    headers = {"Authorization": f"Bearer {token}"}
    if case.path == "/v1/alerts/alertmanager":
        headers = {"Authorization": f"Bearer {kit.AM_TOKEN}"}
    case.call_and_validate(headers=headers)


def test_openapi_lists_the_contract_routes(tmp_path, kit):
    from fastapi.testclient import TestClient

    from api.app import create_app

    paths = TestClient(create_app()).get("/openapi.json").json()["paths"]
    for path in (
        "/v1/alerts/alertmanager",
        "/v1/alerts/pagerduty",
        "/v1/incidents/{incident_id}",
        "/v1/triage",
    ):
        assert path in paths
    assert {"/healthz", "/readyz", "/metrics", "/v1/approvals", "/v1/audit"} <= set(paths)
