"""Triage pieces that need no server: alert intake, the evidence model, citations, rendering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agents.evidence import Evidence, EvidenceLedger
from agents.triage.alert import AlertError, label_fingerprint, normalize_alert, parse_alerts
from agents.triage.findings import Finding, Targets
from agents.triage.models import Culprit, EvidenceRef, Hypothesis, TriageReport
from agents.triage.reasoner import cite, conclude
from agents.triage.render import to_markdown, to_slack_blocks
from agents.triage.resolve import choose_collectors, from_labels
from agents.triage.scoring import BAR, score, symptom_kinds
from agents.triage.timeseries import range_views, rise

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def am_payload(*alerts: dict) -> dict:
    return {
        "version": "4",
        "groupKey": '{}:{alertname="X"}',
        "status": "firing",
        "receiver": "referent",
        "groupLabels": {},
        "commonLabels": {"cluster": "sa-east-1"},
        "commonAnnotations": {},
        "externalURL": "http://am",
        "truncatedAlerts": 0,
        "alerts": list(alerts),
    }


def am_alert(name: str, start: str = "2026-11-27T09:10:00.123456789Z", **labels: str) -> dict:
    return {
        "status": "firing",
        "labels": {"alertname": name, **labels},
        "annotations": {"summary": "s"},
        "startsAt": start,
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prom",
    }


def test_fingerprint_matches_prometheus_signature_vector() -> None:
    # prometheus/common model/signature_test.go: LabelsToSignature of this set
    assert (
        int(label_fingerprint({"name": "garland, briggs", "fear": "love is not enough"}), 16)
        == 5799056148416392346
    )
    assert label_fingerprint({"a": "1", "b": "2"}) == label_fingerprint({"b": "2", "a": "1"})
    assert label_fingerprint({"a": "1"}) != label_fingerprint({"a": "2"})


def test_v4_payload_normalized_and_deduplicated() -> None:
    first = am_alert("CpuThrottlingHigh", workload="risk-gateway")
    later = am_alert("CpuThrottlingHigh", start="2026-11-27T10:00:00Z", workload="risk-gateway")
    other = am_alert("GpuIdleAllocated", workload="fraud-retrain-gpu")
    alerts = parse_alerts(am_payload(later, first, other))
    assert [a.alertname for a in alerts] == ["CpuThrottlingHigh", "GpuIdleAllocated"]
    cpu = alerts[0]
    assert cpu.starts_at == datetime(2026, 11, 27, 9, 10, 0, 123456, tzinfo=UTC)
    assert cpu.labels["cluster"] == "sa-east-1"  # common labels merged
    assert cpu.fingerprint == label_fingerprint(cpu.labels)
    assert cpu.ends_at is None


def test_alertmanager_fingerprint_kept_and_short_form_accepted() -> None:
    raw = am_alert("X", workload="w") | {"fingerprint": "abc123"}
    assert normalize_alert(raw).fingerprint == "abc123"
    short = normalize_alert(
        {
            "alertname": "FeatureViewStale",
            "severity": "warning",
            "labels": {"feature_view": "payout_stats"},
            "summary": "stale",
        }
    )
    assert short.labels == {
        "alertname": "FeatureViewStale",
        "feature_view": "payout_stats",
        "severity": "warning",
    }
    assert short.summary == "stale" and short.starts_at is None


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"version": "3", "alerts": [am_alert("X")]},
        {"labels": {}},
        "text",
        {"version": "4", "alerts": []},
        am_alert("X", start="yesterday"),
    ],
)
def test_bad_payloads_rejected(payload: object) -> None:
    with pytest.raises(AlertError):
        parse_alerts(payload)


def _finding(signal: str, strength: float = 1.0, eid: str = "E1", **subject: str) -> Finding:
    return Finding(
        signal=signal, subject=Culprit(**subject), strength=strength, evidence=[eid], detail=signal
    )


def test_scoring_prefers_skew_over_drift_when_parity_disagrees() -> None:
    alert = normalize_alert(
        {
            "alertname": "ModelPredictionDistributionShift",
            "labels": {"model": "ato-detector", "feature_view": "login_activity"},
        }
    )
    targets = from_labels(alert.labels)
    findings = [
        _finding(
            "feature_psi_moderate",
            0.6,
            "E1",
            model="ato-detector",
            feature_view="login_activity",
            feature="failed_logins_24h",
        ),
        _finding(
            "parity_mismatch",
            1.0,
            "E2",
            model="ato-detector",
            feature_view="login_activity",
            feature="failed_logins_24h",
        ),
        _finding("prediction_psi_up", 1.0, "E3", model="ato-detector"),
    ]
    ranked = score(findings, alert, targets)
    assert [h.kind for h in ranked] == ["online_offline_skew", "input_drift"]
    assert ranked[0].confidence >= BAR > ranked[1].confidence
    assert {e.id for e in ranked[0].evidence} == {"E1", "E2", "E3"}
    assert sum(c.weight for c in ranked[0].contributions) == pytest.approx(ranked[0].log_odds + 2.5, abs=1e-3)


def test_scoring_bad_version_needs_the_alias_move() -> None:
    alert = normalize_alert({"alertname": "ModelServingErrorRateHigh", "labels": {"model": "fraud-scorer"}})
    targets = from_labels(alert.labels)
    errors = _finding("serving_errors_up", 1.0, "E1", model="fraud-scorer", workload="fraud-scorer-serving")
    assert score([errors], alert, targets) == []  # a symptom alone creates no cause
    moved = _finding(
        "alias_moved", 1.0, "E2", model="fraud-scorer", version="4", previous_version="3", alias="champion"
    )
    top = score([errors, moved], alert, targets)[0]
    assert (top.kind, top.culprit.version, top.culprit.previous_version) == ("bad_model_version", "4", "3")
    assert top.confidence > 0.9


def test_signature_change_without_effect_is_not_a_fault() -> None:
    """A deploy whose per-version errors and serving errors/latency stayed flat: the signature change
    and the missing approval count nothing, and a 5xx alert on that model is not blamed on it."""
    alert = normalize_alert({"alertname": "ModelServingErrorRateHigh", "labels": {"model": "churn-model"}})
    targets = from_labels(alert.labels)
    mv = {"model": "churn-model", "version": "9"}
    moved = _finding("alias_moved", 1.0, "E1", previous_version="8", alias="prod", **mv)
    mechanism = [
        _finding("signature_changed", 1.0, "E2", **mv),
        _finding("approval_missing", 1.0, "E3", **mv),
    ]
    same = _finding("version_errors_same", 1.0, "E4", **mv)
    steady = _finding("serving_steady", 1.0, "E5", model="churn-model", workload="churn")
    flat = score([moved, *mechanism, same, steady], alert, targets)[0]
    assert flat.kind == "bad_model_version" and flat.confidence < BAR
    weights = {c.signal: c.weight for c in flat.contributions}
    assert weights["signature_changed"] == weights["approval_missing"] == 0.0
    # one effect not measured flat (only the per-version errors): the signature change still counts
    partial = score([moved, *mechanism, same], alert, targets)[0]
    assert {c.signal: c.weight for c in partial.contributions}["signature_changed"] > 0
    assert partial.confidence > flat.confidence


def test_symptoms_from_alert_text() -> None:
    oom = normalize_alert({"alertname": "KubernetesContainerOomKiller", "labels": {}})
    assert "oom" in symptom_kinds(oom)
    assert "cpu_saturation" in symptom_kinds(normalize_alert({"alertname": "CpuThrottlingHigh"}))
    assert symptom_kinds(normalize_alert({"alertname": "Foo"})) == set()


def test_cite_drops_unknown_evidence_and_counts() -> None:
    ledger = EvidenceLedger()
    ledger.add(Evidence(id="E1", source="prometheus", tool="prometheus.query", query="up", summary="up"))
    good = Hypothesis(
        kind="oom",
        title="t",
        confidence=0.9,
        evidence=[EvidenceRef(id="E1", source="", query=""), EvidenceRef(id="E99", source="", query="")],
    )
    bogus = Hypothesis(
        kind="idle_gpu", title="t", confidence=0.9, evidence=[EvidenceRef(id="E42", source="", query="")]
    )
    kept, dropped = cite([good, bogus], ledger)
    assert [h.kind for h in kept] == ["oom"] and dropped == 2
    assert kept[0].evidence[0].source == "prometheus" and len(kept[0].evidence) == 1


def test_conclude_abstains_below_bar_and_suggests_checks() -> None:
    weak = Hypothesis(kind="input_drift", title="weak", confidence=0.3)
    targets = Targets(workloads=["mlflow-tracking"])
    ranked, abstained, reason, checks, actions = conclude([weak], [], targets, ["prometheus"])
    assert abstained and "bar" in reason and not actions and ranked == [weak]
    assert any("prometheus" in c for c in checks) and any("mlflow-tracking" in c for c in checks)


def test_rollback_action_needs_approval() -> None:
    h = Hypothesis(
        kind="bad_model_version",
        title="t",
        confidence=0.95,
        culprit=Culprit(model="fraud-scorer", version="4", previous_version="3", alias="champion"),
    )
    _, abstained, _, _, actions = conclude([h], [], Targets(), [])
    assert not abstained
    assert actions[0].command == "referent rollback fraud-scorer" and actions[0].requires_approval
    assert actions[0].arguments == {"model": "fraud-scorer", "alias": "champion", "version": 3}


def test_collectors_follow_labels() -> None:
    model_alert = from_labels({"model": "chargeback-risk", "feature": "cross_border_share"})
    model_alert.model_services = ["chargeback-risk-serving"]
    model_alert.services = ["chargeback-risk-serving"]
    model_alert.feature_views = ["merchant_risk"]
    assert {"drift", "mlflow", "feast", "golden_signals"} <= set(choose_collectors(model_alert, False))
    batch = from_labels({"workload": "chargeback-batch-scoring", "namespace": "ml-batch"})
    batch.model = "chargeback-risk"  # inferred from pod labels, not a model server
    chosen = choose_collectors(batch, True)
    assert "drift" not in chosen and {"saturation", "mlflow", "runbook"} <= set(chosen)


def test_range_views_and_rise() -> None:
    t0 = NOW - timedelta(hours=3)
    data = {
        "series": [
            {
                "labels": {"service": "s"},
                "count": 10,
                "min": 0.001,
                "max": 0.03,
                "mean": 0.01,
                "first": [(NOW - timedelta(hours=9)).isoformat(), 0.002],
                "last": [NOW.isoformat(), 0.024],
                "change_points": [
                    {"ts": t0.isoformat(), "before_mean": 0.002, "after_mean": 0.024, "score": 40.0}
                ],
            }
        ]
    }
    view = range_views(data)[0]
    shift = rise(view, min_relative=1.0, near=t0)
    assert view.last == 0.024 and shift is not None and shift.at == t0 and shift.relative == pytest.approx(11)
    assert rise(view, min_relative=20) is None


def test_render_markdown_and_slack() -> None:
    alert = normalize_alert({"alertname": "GpuIdleAllocated", "labels": {"workload": "fraud-retrain-gpu"}})
    h = Hypothesis(
        kind="idle_gpu",
        title="GPU allocated to fraud-retrain-gpu is idle",
        confidence=0.92,
        culprit=Culprit(workload="fraud-retrain-gpu"),
        evidence=[
            EvidenceRef(id="E4", source="prometheus", query="max(DCGM_FI_DEV_GPU_UTIL) | x", value=0.3)
        ],
    )
    report = TriageReport(
        run_id="r1",
        mode="deterministic",
        alert=alert,
        created_at=NOW,
        window_start=NOW,
        window_end=NOW,
        hypotheses=[h],
        missing_sources=["billing"],
    )
    md = to_markdown(report)
    assert "GPU allocated to fraud-retrain-gpu is idle" in md and "| E4 | prometheus |" in md
    assert "missing sources" in md and "\\|" in md
    blocks = to_slack_blocks(report)
    assert blocks[0]["type"] == "header" and any("E4" in str(b) for b in blocks)
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)


def test_unexplained_anomaly_becomes_unknown_below_the_bar() -> None:
    errors = _finding("serving_errors_up", 1.0, "E7", model="m", workload="w")
    latency = _finding("serving_latency_up", 1.0, "E8", model="m", workload="w")
    ranked, abstained, _, _, _ = conclude([], [errors, latency], Targets(model="m"), [])
    assert abstained and [h.kind for h in ranked] == ["unknown"]
    assert ranked[0].confidence < BAR and {e.id for e in ranked[0].evidence} == {"E7", "E8"}


def test_confidence_is_capped() -> None:
    alert = normalize_alert({"alertname": "ModelServingErrorRateHigh", "labels": {"model": "m"}})
    findings = [
        _finding(s, 1.0, f"E{i}", model="m", version="2", previous_version="1")
        for i, s in enumerate(
            ["alias_moved", "serving_errors_up", "version_errors_higher", "signature_changed"]
        )
    ]
    top = score(findings, alert, from_labels(alert.labels))[0]
    assert top.log_odds > 4.6 and top.confidence == 0.99  # sigmoid(4.6) > 0.99
