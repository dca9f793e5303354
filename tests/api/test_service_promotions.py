"""REST promotions on the demo sandbox's real MLflow, Prometheus and Feast (DBOS on SQLite): an operator
token starts a production promotion, the run pauses on its approval, an approver token approves through
``/v1/approvals`` and the paused run resumes on a worker and moves the alias."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dbos import DBOS

from tools.settings import PlatformSettings

pytestmark = pytest.mark.integration


@pytest.fixture
def model(promotable_model: Callable[[str], str]) -> str:
    return promotable_model("fraud-rest")


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
