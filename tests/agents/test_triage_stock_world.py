"""Triage on a stock platform (not the demo): an MLflow registry without the alias-history tag.

The world has two models served on a real Prometheus and registered on a real MLflow server whose models
carry aliases but no ``referent.alias_history`` tag (``alias_history_tag: false``), as when CI and people
move aliases with the MLflow client:

* ``card-fraud``: v2 (new inputs, no approval) took the champion alias and the traffic 1 h ago and its
  errors jumped (a bad version, found from the serving metrics' ``version`` label);
* ``loan-pd``: v3 (same inputs as v2, approved) took the traffic 2 h ago, harmlessly; 1 h ago the
  ``income`` feature drifted (input drift must win over the deploy).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from agents.deps import AgentDeps
from agents.triage import TriageReport, run_triage
from guardrails.gateway import CallContext

pytestmark = pytest.mark.integration

_SIG = [{"name": "income", "type": "double"}, {"name": "age", "type": "long"}]
_FRAUD_V1 = [{"name": "amount", "type": "double"}, {"name": "country", "type": "string"}]
_FRAUD_V2 = [{"name": "amount_cents", "type": "long"}, {"name": "country", "type": "string"}]
_OUT = [{"name": "p", "type": "double"}]
_USAGE = {"cpu_usage": {"mean": 0.5, "diurnal": 0.1}, "mem_usage_gib": {"mean": 1.0, "diurnal": 0.05}}
_RES = {"cpu_request": 1, "cpu_limit": 2, "mem_request_gib": 2, "mem_limit_gib": 4}

WORLD: dict[str, Any] = {
    "name": "triage-stock-mlflow",
    "history": "3d",
    "alias_history_tag": False,
    "feature_views": [
        {
            "name": "applicant",
            "entity": "applicant",
            "join_key": "applicant_id",
            "ttl": "1d",
            "schedule": "1h",
            "features": [{"name": "income", "mean": 5000, "std": 2000}, {"name": "age", "dtype": "int64"}],
        }
    ],
    "models": [
        {
            "name": "card-fraud",
            "serving_workload": "card-fraud-serving",
            "versions": [
                {"version": 1, "created_ago": "20d", "tags": {"approval": "approved"}, "inputs": _FRAUD_V1, "outputs": _OUT},
                {"version": 2, "created_ago": "5h", "inputs": _FRAUD_V2, "outputs": _OUT},
            ],
            "alias_history": [
                {"alias": "champion", "version": 1, "ago": "20d"},
                {"alias": "champion", "version": 2, "ago": "1h"},
            ],
        },
        {
            "name": "loan-pd",
            "serving_workload": "loan-pd-serving",
            "features": ["applicant:income", "applicant:age"],
            "versions": [
                {"version": v, "created_ago": ago, "tags": {"approval": "approved"}, "inputs": _SIG, "outputs": _OUT}
                for v, ago in ((1, "30d"), (2, "10d"), (3, "6h"))
            ],
            "alias_history": [
                {"alias": "champion", "version": 2, "ago": "10d"},
                {"alias": "champion", "version": 3, "ago": "2h"},
            ],
        },
    ],
    "workloads": [
        {"name": f"{m}-serving", "namespace": "risk", "kind": "serving", "model": m, "replicas": 2,
         "traffic_rps": 40, "latency_p99_ms": 60, "error_rate": 0.002, **_RES, **_USAGE}
        for m in ("card-fraud", "loan-pd")
    ],
    "incidents": [
        {"id": "fraud-v2", "kind": "bad_model_version", "model": "card-fraud", "version": 2,
         "workload": "card-fraud-serving", "start_ago": "1h", "magnitude": 12},
        {"id": "income-drift", "kind": "input_drift", "model": "loan-pd", "feature_view": "applicant",
         "feature": "income", "start_ago": "1h", "magnitude": 0.4},
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, running_world: Any) -> Iterator[Any]:
    with running_world(WORLD, tmp_path_factory.mktemp("stock-world"), mlflow=True) as running:
        yield running


def _triage(env: Any, incident_id: str, alertname: str, labels: dict[str, str]) -> TriageReport:
    incident = next(i for i in env.world.incidents if i.id == incident_id)
    ctx = CallContext(principal="agent:triage", run_id=f"stock-{uuid.uuid4().hex[:8]}")
    alert = {
        "status": "firing",
        "labels": {"alertname": alertname, **labels},
        "annotations": {"summary": alertname},
        "startsAt": (env.anchor - incident.start_ago).isoformat(),
    }
    return run_triage(AgentDeps(gateway=env.runtime.gateway, ctx=ctx), alert)


def test_the_registry_has_no_alias_history(env: Any) -> None:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=env.mlflow_uri, registry_uri=env.mlflow_uri)
    model = client.get_registered_model("card-fraud")
    assert "referent.alias_history" not in model.tags
    assert model.aliases == {"champion": "2"}


def test_bad_version_found_without_the_alias_history_tag(env: Any) -> None:
    report = _triage(
        env, "fraud-v2", "ModelServingErrorRateHigh", {"model": "card-fraud", "namespace": "risk"}
    )
    top = report.top
    assert top is not None, report.abstain_reason
    assert (top.kind, top.culprit.model, top.culprit.version) == ("bad_model_version", "card-fraud", "2")
    assert top.culprit.previous_version == "1" and top.culprit.alias == "champion"
    signals = {c.signal for c in top.contributions}
    assert "version_took_traffic" in signals and "alias_moved" not in signals
    assert {"signature_changed", "approval_missing"} <= signals
    assert any(a.tool == "mlflow.set_alias" and a.arguments["version"] == 1 for a in report.next_actions)


def test_harmless_deploy_before_a_drift_alert_ranks_drift_first(env: Any) -> None:
    report = _triage(env, "income-drift", "ModelInputDrift", {"model": "loan-pd", "feature": "income"})
    top = report.top
    assert top is not None, report.abstain_reason
    assert (top.kind, top.culprit.model, top.culprit.feature) == ("input_drift", "loan-pd", "income")
    deploy = next(h for h in report.hypotheses if h.kind == "bad_model_version")
    assert deploy.culprit.version == "3"  # the deploy was seen from the serving metrics...
    against = {c.signal for c in deploy.contributions if c.weight < 0}
    assert {"signature_same", "approval_present"} <= against  # ...and weighed down by evidence against
    assert top.confidence > deploy.confidence + 0.1
