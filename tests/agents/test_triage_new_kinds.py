"""Traffic surge, degraded dependency and crash loop after a rollout: scoring, evidence against, the
seasonal baseline, the configurable dependency labels and the world schema (pure, no servers)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from agents.triage.alert import normalize_alert
from agents.triage.collectors.dependencies import error_query, latency_query
from agents.triage.collectors.traffic import compare, seasonal_query
from agents.triage.findings import Finding
from agents.triage.kinds import KINDS, Signal
from agents.triage.labels import LabelMap
from agents.triage.models import Culprit, Hypothesis
from agents.triage.resolve import from_labels
from agents.triage.scoring import BAR, score
from evals.worlds.schema import World

S = Signal


def _f(signal: Signal, eid: str, strength: float = 1.0, **subject: str) -> Finding:
    return Finding(
        signal=signal, subject=Culprit(**subject), strength=strength, evidence=[eid], detail=signal
    )


def _score(findings: list[Finding], alert: dict[str, Any]) -> dict[str, Hypothesis]:
    norm = normalize_alert(alert)
    return {h.kind: h for h in score(findings, norm, from_labels(norm.labels))}


def test_seasonal_baseline_is_robust_not_a_fixed_threshold() -> None:
    days = [100.0, 104.0, 96.0, 101.0]
    signal, ratio, strength = compare(450.0, days)
    assert signal is S.TRAFFIC_ABOVE_BASELINE and ratio == pytest.approx(450 / 100.5) and strength == 1.0
    assert compare(110.0, days)[0] is S.TRAFFIC_AT_BASELINE
    assert compare(170.0, days)[0] is None  # above usual, not a surge, not "at baseline" either
    # a service whose previous days swing wildly: twice the median is inside its own spread
    assert compare(220.0, [40.0, 100.0, 260.0, 110.0, 30.0])[0] is None
    # one previous day (a short history) is enough to compare with, not for a spread
    assert compare(300.0, [100.0])[0] is S.TRAFFIC_ABOVE_BASELINE
    query = seasonal_query('sum(rate(http_requests_total{service="a"}[15m]$OFFSET))', days=3)
    assert "offset 3d" in query and "offset 4d" not in query and query.count('"day"') == 4
    assert "[15m]))" in query and "$OFFSET" not in query


def _surge(**extra: str) -> list[Finding]:
    w = {"workload": "checkout-api", "namespace": "pay", **extra}
    return [
        _f(S.CPU_THROTTLED, "E1", 0.8, **w),
        _f(S.CPU_AT_LIMIT, "E2", **w),
        _f(S.SERVING_LATENCY_UP, "E3", 0.8, **w),
    ]


CPU_ALERT = {"alertname": "CPUThrottlingHigh", "labels": {"namespace": "pay", "deployment": "checkout-api"}}


def test_a_surge_outranks_the_saturation_it_explains() -> None:
    w = {"workload": "checkout-api", "namespace": "pay"}
    alone = _score(_surge(), CPU_ALERT)
    assert "traffic_surge" not in alone and alone["cpu_saturation"].confidence >= BAR
    ranked = _score(
        [*_surge(), _f(S.TRAFFIC_ABOVE_BASELINE, "E4", **w), _f(S.TRAFFIC_RISE, "E5", **w)], CPU_ALERT
    )
    assert ranked["traffic_surge"].confidence > ranked["cpu_saturation"].confidence + 0.2
    assert ranked["cpu_saturation"].confidence < alone["cpu_saturation"].confidence
    assert {"cpu_throttled", "cpu_at_limit", "serving_latency_up"} <= {
        c.signal for c in ranked["traffic_surge"].contributions
    }


def test_a_surge_outranks_a_harmless_deploy_but_not_a_bad_one() -> None:
    alert = {"alertname": "ModelLatencyHigh", "labels": {"model": "risk", "namespace": "pay"}}
    w = {"workload": "risk-serving", "namespace": "pay", "model": "risk"}
    deploy = _f(S.VERSION_TOOK_TRAFFIC, "E1", model="risk", version="7", previous_version="6")
    surge = [_f(S.TRAFFIC_ABOVE_BASELINE, "E2", **w), _f(S.SERVING_LATENCY_UP, "E3", **w)]
    same = _f(S.VERSION_ERRORS_SAME, "E4", model="risk", version="7", workload="risk-serving")
    harmless = _score([deploy, *surge, same], alert)
    assert harmless["traffic_surge"].confidence > harmless["bad_model_version"].confidence
    higher = _f(S.VERSION_ERRORS_HIGHER, "E5", model="risk", version="7", workload="risk-serving")
    errors = _f(S.SERVING_ERRORS_UP, "E6", **w)
    bad = _score([deploy, *surge, higher, errors], alert)
    assert bad["bad_model_version"].confidence > bad["traffic_surge"].confidence


def test_a_rise_that_is_the_daily_ramp_is_no_surge() -> None:
    w = {"workload": "checkout-api", "namespace": "pay"}
    ramp = _score([_f(S.TRAFFIC_RISE, "E1", **w), _f(S.TRAFFIC_AT_BASELINE, "E2", **w)], CPU_ALERT)
    assert ramp["traffic_surge"].confidence < 0.3
    assert "traffic_at_baseline" in {c.signal for c in ramp["traffic_surge"].contributions if c.weight < 0}


LATENCY_ALERT = {"alertname": "PredictorLatencyHigh", "labels": {"namespace": "ds", "app": "scorer"}}


def test_a_slow_dependency_needs_a_caller_that_suffered() -> None:
    d = {"workload": "scorer", "namespace": "ds", "dependency": "feast-online"}
    dep = [_f(S.DEPENDENCY_LATENCY_UP, "E1", **d), _f(S.DEPENDENCY_ERRORS_UP, "E2", 0.6, **d)]
    hurt = _score([*dep, _f(S.SERVING_LATENCY_UP, "E3", workload="scorer", namespace="ds")], LATENCY_ALERT)
    top = hurt["degraded_dependency"]
    assert top.confidence >= 0.9 and top.culprit.dependency == "feast-online"
    assert top.title == "scorer slowed by its dependency feast-online"
    absorbed = _score([*dep, _f(S.SERVING_STEADY, "E4", workload="scorer", namespace="ds")], LATENCY_ALERT)
    assert absorbed["degraded_dependency"].confidence < hurt["degraded_dependency"].confidence - 0.2
    actions = KINDS["degraded_dependency"].mitigation(top)
    assert any("feast-online" in a.title for a in actions)


CRASH_ALERT = {"alertname": "KubePodCrashLooping", "labels": {"namespace": "ops", "deployment": "ledger"}}


def test_a_crash_loop_is_blamed_on_the_rollout_only_when_one_happened() -> None:
    w = {"workload": "ledger", "namespace": "ops"}
    loop = [_f(S.CRASH_LOOP_BACKOFF, "E1", **w), _f(S.RESTARTS, "E2", **w)]
    after = _score([*loop, _f(S.DEPLOYMENT_ROLLED_OUT, "E3", **w)], CRASH_ALERT)["crash_loop_after_rollout"]
    assert after.confidence >= 0.9
    unchanged = _score([*loop, _f(S.DEPLOYMENT_UNCHANGED, "E3", **w)], CRASH_ALERT)
    assert unchanged["crash_loop_after_rollout"].confidence < BAR
    oom = [_f(S.OOM_KILLED, "E4", **w), _f(S.MEMORY_NEAR_LIMIT, "E5", **w)]
    oomed = _score([*loop, *oom, _f(S.DEPLOYMENT_ROLLED_OUT, "E3", **w)], CRASH_ALERT)
    assert oomed["oom"].confidence > oomed["crash_loop_after_rollout"].confidence
    actions = KINDS["crash_loop_after_rollout"].mitigation(after)
    undo = [a for a in actions if a.command == "kubectl rollout undo deployment/ledger -n ops"]
    assert undo and undo[0].requires_approval


def test_dependency_labels_follow_the_label_map(monkeypatch: pytest.MonkeyPatch) -> None:
    default = latency_query(LabelMap(), "scorer", "ds")
    assert "server_address" in default and 'service="scorer"' in default and 'job="scorer"' in default
    monkeypatch.setenv("REFERENT_TRIAGE_LABELS_DEPENDENCY", '["peer"]')
    monkeypatch.setenv("REFERENT_TRIAGE_LABELS_DEPENDENCY_CALLER", '["app"]')
    monkeypatch.setenv("REFERENT_TRIAGE_LABELS_DEPENDENCY_STATUS", '["grpc_code"]')
    monkeypatch.setenv("REFERENT_TRIAGE_LABELS_DEPENDENCY_HISTOGRAMS", '["grpc_client_handling_seconds"]')
    m = LabelMap()
    latency, errors = latency_query(m, "scorer", None), error_query(m, "scorer", None)
    assert "sum by (le, peer)" in latency and 'app="scorer"' in latency and "service=" not in latency
    assert "grpc_client_handling_seconds_bucket" in latency and "grpc_client_handling_seconds_count" in errors
    assert 'grpc_code=~"' in errors and "namespace" not in errors


_RES = {"cpu_request": 1, "mem_request_gib": 1, "cpu_usage": {"mean": 0.1}, "mem_usage_gib": {"mean": 0.5}}


@pytest.mark.parametrize(
    ("workload", "incident", "error"),
    [
        ({"traffic_rps": 0}, {"kind": "traffic_surge"}, "no traffic"),
        ({"traffic_rps": 5, "dependencies": ["redis"]}, {"kind": "degraded_dependency", "dependency": "bureau"}, "dependencies"),
        ({"kind": "batch"}, {"kind": "crash_loop_after_rollout"}, "not a Deployment"),
    ],
)  # fmt: skip
def test_world_schema_checks_what_the_new_kinds_act_on(
    workload: dict[str, Any], incident: dict[str, Any], error: str
) -> None:
    spec = {"name": "w", "workloads": [{"name": "a", "namespace": "n", "kind": "service", **_RES, **workload}],
            "incidents": [{"id": "i", "workload": "a", "start_ago": "1h", **incident}]}  # fmt: skip
    with pytest.raises(ValidationError, match=error):
        World.model_validate(spec)
