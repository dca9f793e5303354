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
