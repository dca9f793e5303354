"""Sources that are not configured, or fail at start, keep their tools registered and answer 'unavailable'."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardrails.errors import ToolFailed
from guardrails.factory import build_runtime
from guardrails.gateway import CallContext
from guardrails.settings import GuardrailSettings
from tools.settings import PlatformSettings

TRIAGE = CallContext("agent:triage", "run-sources")


@pytest.fixture
def settings(tmp_path: Path) -> GuardrailSettings:
    return GuardrailSettings(
        state_dir=tmp_path, pseudonym_key="test-key-0123456789abcdef", redaction_nlp=False
    )


def test_unconfigured_sources_answer_unavailable_naming_the_setting(settings):
    rt = build_runtime(
        settings, PlatformSettings(billing_path=str(settings.state_dir / "no-such-dir" / "*.csv"))
    )
    try:
        names = {s.name.split(".")[0] for s in rt.gateway.specs()}
        assert {"prometheus", "mlflow", "feast", "billing", "promtool", "runbooks"} <= names
        with pytest.raises(ToolFailed) as err:
            rt.gateway.call(TRIAGE, "prometheus.query", {"promql": "up"})
        assert err.value.failure == "unavailable" and "REFERENT_PROMETHEUS_URL" in err.value.message
        with pytest.raises(ToolFailed) as err:
            rt.gateway.call(TRIAGE, "mlflow.get_model", {"model": "fraud-scorer"})
        assert "REFERENT_MLFLOW_TRACKING_URI" in err.value.message
        with pytest.raises(ToolFailed) as err:  # configured, but its files are not there
            rt.gateway.call(TRIAGE, "billing.totals", {})
        assert err.value.failure == "unavailable" and "failed at start" in err.value.message
        assert [r.outcome for r in rt.audit.tail(3)] == ["error:unavailable"] * 3
    finally:
        rt.close()


MLFLOW_HTTP_VARS = (
    "MLFLOW_HTTP_REQUEST_TIMEOUT",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR",
)


@pytest.mark.timeout(180)  # MLflow's own defaults would retry a dead server for minutes
def test_a_down_mlflow_fails_fast_with_our_deadlines(settings, monkeypatch):
    for name in MLFLOW_HTTP_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")  # the operator's choice is kept
    rt = build_runtime(settings, PlatformSettings(mlflow_tracking_uri="http://127.0.0.1:9"))
    try:
        import os

        assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "1"
        assert os.environ["MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"] == "0"
        with pytest.raises(ToolFailed) as err:
            rt.gateway.call(TRIAGE, "mlflow.get_model", {"model": "fraud-scorer"})
        assert err.value.failure == "unavailable"
    finally:
        rt.close()
