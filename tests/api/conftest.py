"""Fixtures of the service tests: a service (settings, runtime, DBOS) on a fresh SQLite state."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

AM_TOKEN = "am-token-0123456789abcdef"
PD_SECRETS = ["pd-new-secret-0123456789", "pd-old-secret-0123456789"]
TOKENS = {
    "viewer-token-0123456789": {"name": "viewer", "role": "viewer"},
    "operator-token-0123456789": {"name": "operator", "role": "operator"},
    "approver-token-0123456789": {"name": "release-manager", "role": "approver"},
    "admin-token-0123456789": {"name": "admin", "role": "admin"},
}
SERVICE_KEY = "service-test-pseudonym-key-0123456789"


def bearer(role: str) -> dict[str, str]:
    """Authorization header of the test token with ``role``."""
    token = next(t for t, owner in TOKENS.items() if owner["role"] == role)
    return {"Authorization": f"Bearer {token}"}


def make_services(
    state_dir: Path, *, database_url: str | None = None, platform: Any = None, **settings: Any
) -> Any:
    """Services over ``state_dir`` with the test secrets and tokens (``settings`` override them)."""
    from api.service.services import build_services
    from api.settings import ServiceSettings
    from guardrails.factory import build_runtime
    from guardrails.settings import GuardrailSettings
    from tools.settings import PlatformSettings

    guard = GuardrailSettings(
        state_dir=state_dir, database_url=database_url, pseudonym_key=SecretStr(SERVICE_KEY)
    )
    service_settings = ServiceSettings(
        **{
            "alertmanager_token": AM_TOKEN,
            "pagerduty_secrets": PD_SECRETS,
            "api_tokens": TOKENS,
            **settings,
        }
    )
    runtime = build_runtime(
        guard, platform or PlatformSettings(prometheus_url=None, mlflow_tracking_uri=None)
    )
    return build_services(service_settings, runtime)


@pytest.fixture
def service_factory(tmp_path: Path) -> Iterator[Callable[..., tuple[Any, Any]]]:
    """Start apps (TestClient in its lifespan: DBOS launched) over one state dir; stopped at the end."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    opened: list[tuple[Any, Any]] = []

    def start(**settings: Any) -> tuple[Any, Any]:
        services = make_services(tmp_path / "state", **settings)
        client = TestClient(create_app(services))
        client.__enter__()
        opened.append((client, services))
        return client, services

    try:
        yield start
    finally:
        for client, services in reversed(opened):
            client.__exit__(None, None, None)
            services.close()


@pytest.fixture
def service(service_factory: Callable[..., tuple[Any, Any]]) -> tuple[Any, Any]:
    """One app (TestClient) and its services."""
    return service_factory()


def alertmanager_payload(*alerts: dict[str, Any], status: str = "firing") -> dict[str, Any]:
    """An Alertmanager v4 webhook payload."""
    return {
        "version": "4",
        "groupKey": '{}:{alertname="X"}',
        "status": status,
        "receiver": "referent",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.local",
        "alerts": list(alerts),
    }


def am_alert(
    name: str = "FraudScorerHighLatency",
    fingerprint: str = "0123456789abcdef",
    starts: str = "2026-12-06T01:00:00Z",
    status: str = "firing",
    **labels: str,
) -> dict[str, Any]:
    """One Alertmanager alert."""
    return {
        "status": status,
        "labels": {"alertname": name, "severity": "critical", **labels},
        "annotations": {"summary": "p99 latency above 300ms; on-call ana.silva@example.com"},
        "startsAt": starts,
        "endsAt": "2026-12-06T02:00:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.local/graph",
        "fingerprint": fingerprint,
    }


@pytest.fixture
def kit() -> Any:
    """This module (constants and payload builders) for the service tests (conftest is not importable)."""
    import sys

    return sys.modules[__name__]
