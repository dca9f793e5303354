"""REST promotions on the demo sandbox's real MLflow, Prometheus and Feast (DBOS on SQLite): an operator
token starts a production promotion, the run pauses on its approval, an approver token approves through
``/v1/approvals`` and the paused run resumes on a worker and moves the alias."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from dbos import DBOS

from tools.settings import PlatformSettings

pytestmark = pytest.mark.integration

TAGS = {"owner": "fraud-ml", "training_data_version": "txn-2026-11-01", "approval": "approved"}
FRESH = [
    {"name": "txn_count_1h", "type": "long"},
    {"name": "txn_amount_sum_24h", "type": "double"},
    {"name": "card_age_days", "type": "long"},
]


def _version(n: int, ago: str, auc: float) -> dict[str, Any]:
    return {"version": n, "created_ago": ago, "metrics": {"auc": auc, "log_loss": 0.08}, "tags": TAGS,
            "inputs": FRESH, "outputs": [{"name": "score", "type": "double"}]}  # fmt: skip


@pytest.fixture
def model(demo_sandbox: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh model: v1 champion, v2 (better) last held staging; it serves no traffic (canary waived)."""
    from evals.sandbox import mlflow_world
    from evals.worlds.schema import World

    name = f"fraud-rest-{uuid.uuid4().hex[:6]}"
    world = {
        "name": "rest-promotions",
        "models": [
            {
                "name": name,
                "tags": {"owner": "fraud-ml"},
                "versions": [_version(1, "10d", 0.90), _version(2, "3d", 0.91)],
                "alias_history": [
                    {"alias": "champion", "version": 1, "ago": "9d"},
                    {"alias": "staging", "version": 2, "ago": "2d"},
                ],
            }
        ],
    }
    mlflow_world.load_models(World.model_validate(world), datetime.now(UTC), demo_sandbox["mlflow_uri"])
    monkeypatch.setenv("REFERENT_PROMOTION_CANARY_WAIVED_MODELS", json.dumps(["fraud-rest-*"]))
    return name


def _champion(mlflow_uri: str, name: str) -> str:
    from mlflow.tracking import MlflowClient

    return str(MlflowClient(mlflow_uri, mlflow_uri).get_registered_model(name).aliases["champion"])


def test_rest_approval_resumes_the_paused_promotion(
    service_factory: Callable[..., tuple[Any, Any]], kit: Any, model: str, demo_sandbox: dict[str, Any]
) -> None:
    bearer = kit.bearer
    client, services = service_factory(platform=PlatformSettings(sandbox_dir=Path(demo_sandbox["dir"])))
    body = {"model": model, "version": 2, "environment": "production"}
    assert client.post("/v1/promotions", json=body, headers=bearer("viewer")).status_code == 403
    started = client.post("/v1/promotions", json=body, headers=bearer("operator"))
    assert started.status_code == 202, started.text
    run_id = started.json()["run_id"]
    paused = DBOS.retrieve_workflow(started.json()["workflow_id"]).get_result()
    assert paused["run_id"] == run_id

    [pending] = [a for a in services.runtime.approvals.pending() if a.run_id == run_id]
    assert pending.requested_by == "token:operator"
    assert _champion(demo_sandbox["mlflow_uri"], model) == "1"
    refused = client.post(f"/v1/approvals/{pending.id}/approve", json={}, headers=bearer("operator"))
    assert refused.status_code == 403  # an operator token is no approver

    approved = client.post(
        f"/v1/approvals/{pending.id}/approve", json={"note": "ok"}, headers=bearer("approver")
    )
    assert approved.status_code == 200, approved.text
    workflow = approved.json()["resume_workflow_id"]
    assert workflow == f"resume-{pending.id}"
    DBOS.retrieve_workflow(workflow).get_result()
    assert _champion(demo_sandbox["mlflow_uri"], model) == "2"
    moved = [
        r for r in services.runtime.audit.tail(2000) if r.tool == "mlflow.set_alias" and r.outcome == "ok"
    ]
    assert moved and moved[-1].approver == "token:release-manager"
