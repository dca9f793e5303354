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


PROMOTION_TAGS = {"owner": "fraud-ml", "training_data_version": "txn-2026-11-01", "approval": "approved"}
FRESH_INPUTS = [
    {"name": "txn_count_1h", "type": "long"},
    {"name": "txn_amount_sum_24h", "type": "double"},
    {"name": "card_age_days", "type": "long"},
]


def _model_version(n: int, ago: str, auc: float) -> dict[str, Any]:
    return {"version": n, "created_ago": ago, "metrics": {"auc": auc, "log_loss": 0.08}, "tags": PROMOTION_TAGS,
            "inputs": FRESH_INPUTS, "outputs": [{"name": "score", "type": "double"}]}  # fmt: skip


@pytest.fixture
def promotable_model(demo_sandbox: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Callable[[str], str]:
    """``promotable_model(prefix)``: a fresh model in the sandbox's MLflow — v1 champion, v2 (better) last
    held staging — that serves no traffic, so canary evidence is waived for it as an operator would."""
    import json
    import uuid
    from datetime import UTC, datetime

    from evals.sandbox import mlflow_world
    from evals.worlds.schema import World

    def make(prefix: str) -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:6]}"
        world = {
            "name": f"{prefix}-world",
            "models": [
                {
                    "name": name,
                    "tags": {"owner": "fraud-ml"},
                    "versions": [_model_version(1, "10d", 0.90), _model_version(2, "3d", 0.91)],
                    "alias_history": [
                        {"alias": "champion", "version": 1, "ago": "9d"},
                        {"alias": "staging", "version": 2, "ago": "2d"},
                    ],
                }
            ],
        }
        mlflow_world.load_models(World.model_validate(world), datetime.now(UTC), demo_sandbox["mlflow_uri"])
        monkeypatch.setenv("REFERENT_PROMOTION_CANARY_WAIVED_MODELS", json.dumps([f"{prefix}-*"]))
        return name

    return make


SLACK_BOT = "xoxb-recorder-token"  # the bot token the Slack tests configure (the recorder checks it)


@pytest.fixture
def recorder() -> Iterator[Any]:
    """A local Slack Web API recorder (Slack's API cannot be reached here)."""
    from evals.sandbox.slack_recorder import SlackRecorder

    with SlackRecorder(token=SLACK_BOT) as rec:
        yield rec
