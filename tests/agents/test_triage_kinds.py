"""The registry of cause kinds, and evidence against a hypothesis (pure functions, no servers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from agents.triage.alert import normalize_alert
from agents.triage.findings import Finding
from agents.triage.graph import COLLECTORS
from agents.triage.kinds import KINDS, PRIMARY_SIGNALS, Signal, rules
from agents.triage.models import HYPOTHESIS_KINDS, Culprit, Hypothesis
from agents.triage.reasoner import MARGIN, conclude
from agents.triage.resolve import from_labels
from agents.triage.scoring import BAR, nearness, score, title_of

DRIFT_ALERT = {"alertname": "ModelInputDrift", "labels": {"model": "loan-pd", "feature": "income"}}


def _finding(signal: Signal, eid: str, *, strength: float = 1.0, **subject: str) -> Finding:
    return Finding(
        signal=signal, subject=Culprit(**subject), strength=strength, evidence=[eid], detail=signal
    )


def test_registry_declares_every_kind_once_with_its_collectors() -> None:
    assert set(KINDS) == set(HYPOTHESIS_KINDS) - {"unknown"}
    for kind in KINDS.values():
        assert set(kind.collectors) <= set(COLLECTORS), kind.name
        assert any(r.primary for r in kind.rules), f"{kind.name} has no rule that creates it"
        assert kind.symptoms and kind.key
        culprit = Culprit(**{f: f"x-{f}" for f in kind.key})
        assert "?" not in title_of(kind.name, culprit), kind.name  # the title uses only key fields
    used = {r.signal for _, r in rules()}
    assert used == set(Signal), f"signals no rule weighs: {set(Signal) - used}"
    assert Signal.ALIAS_MOVED in PRIMARY_SIGNALS and Signal.SERVING_STEADY not in PRIMARY_SIGNALS


def test_a_misspelt_signal_is_rejected() -> None:
    with pytest.raises(ValidationError):
        Finding(signal="alias_move", subject=Culprit(model="m"))  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        _ = Signal.ALIAS_MOVE  # type: ignore[attr-defined]
    assert Finding(signal="alias_moved", subject=Culprit()).signal is Signal.ALIAS_MOVED  # type: ignore[arg-type]


def _drift_findings() -> list[Finding]:
    return [
        _finding(Signal.FEATURE_PSI_HIGH, "E1", model="loan-pd", feature="income", feature_view="applicant"),
        _finding(Signal.PSI_SHIFT, "E2", model="loan-pd", feature="income"),
        _finding(Signal.PARITY_CLEAN, "E3", feature_view="applicant"),
    ]


def _deploy(strength: float = 0.9) -> list[Finding]:
    return [
        _finding(
            Signal.ALIAS_MOVED,
            "E4",
            strength=strength,
            model="loan-pd",
            version="7",
            previous_version="6",
            alias="champion",
        ),
        _finding(Signal.PREDICTION_PSI_UP, "E5", model="loan-pd"),
    ]


def _harmless() -> list[Finding]:
    return [
        _finding(Signal.SIGNATURE_SAME, "E6", model="loan-pd", version="7"),
        _finding(Signal.APPROVAL_PRESENT, "E7", model="loan-pd", version="7"),
        _finding(Signal.VERSION_ERRORS_SAME, "E8", workload="loan-pd-serving", model="loan-pd", version="7"),
        _finding(Signal.SERVING_STEADY, "E9", model="loan-pd", workload="loan-pd-serving"),
    ]


def test_harmless_deploy_before_a_drift_alert_ranks_drift_first() -> None:
    alert = normalize_alert(DRIFT_ALERT)
    targets = from_labels(alert.labels)
    blind = {h.kind: h for h in score(_drift_findings() + _deploy(), alert, targets)}
    informed = score(_drift_findings() + _deploy() + _harmless(), alert, targets)
    version = next(h for h in informed if h.kind == "bad_model_version")
    # the evidence against subtracts from the deploy hypothesis, and each term is shown
    assert version.confidence < blind["bad_model_version"].confidence - 0.3
    against = {c.signal for c in version.contributions if c.weight < 0}
    assert against == {"signature_same", "approval_present", "version_errors_same", "serving_steady"}
    ranked, abstained, reason, _, actions = conclude(informed, [], targets, [])
    assert not abstained, reason
    assert ranked[0].kind == "input_drift" and ranked[0].culprit.feature == "income"
    assert ranked[0].confidence - version.confidence > MARGIN
    assert not any(a.tool == "mlflow.set_alias" for a in actions)  # no rollback of a harmless version


def test_competing_evidence_abstains() -> None:
    alert = normalize_alert({"alertname": "ModelScoresShifted", "labels": {"model": "loan-pd"}})
    targets = from_labels(alert.labels)
    # a fresh deploy with no evidence for or against, next to a population shift: both plausible
    ranked = score(_drift_findings() + _deploy(1.0), alert, targets)
    assert {h.kind for h in ranked[:2]} == {"bad_model_version", "input_drift"}
    assert ranked[0].confidence >= BAR and ranked[0].confidence - ranked[1].confidence < MARGIN
    ranked, abstained, reason, checks, actions = conclude(ranked, [], targets, [])
    assert abstained and reason.startswith("Competing evidence") and not actions
    assert any(c.startswith("tell apart:") for c in checks)


def test_a_clear_leader_is_not_competing() -> None:
    leader = Hypothesis(kind="oom", title="a", confidence=0.9, culprit=Culprit(workload="w"))
    same_kind = Hypothesis(kind="oom", title="b", confidence=0.88, culprit=Culprit(workload="v"))
    far = Hypothesis(kind="input_drift", title="c", confidence=0.9 - MARGIN - 0.01)
    _, abstained, _, _, _ = conclude([leader, same_kind, far], [], from_labels({}), [])
    assert not abstained


def test_change_points_count_by_their_distance_from_the_alert_start() -> None:
    start = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    assert nearness(start - timedelta(minutes=30), start) == 1.0
    assert nearness(start - timedelta(hours=6), start) == pytest.approx(0.5)
    assert nearness(start - timedelta(hours=20), start) == pytest.approx(0.5)
    assert nearness(None, start) == 1.0 and nearness(start, None) == 1.0
    assert 0.5 < nearness(start - timedelta(hours=3), start) < 1.0
    alert = normalize_alert({**DRIFT_ALERT, "startsAt": start.isoformat()})
    targets = from_labels(alert.labels)

    def drift_at(at: datetime) -> Hypothesis:
        f = _finding(Signal.FEATURE_PSI_HIGH, "E1", model="loan-pd", feature="income")
        return score([f.model_copy(update={"at": at})], alert, targets)[0]

    near, far = drift_at(start - timedelta(minutes=20)), drift_at(start - timedelta(hours=5))
    assert near.confidence > far.confidence  # any signal, not only alias moves
    assert "h from the alert's start" in far.contributions[0].detail
    assert far.contributions[0].weight == pytest.approx(2.5 * nearness(start - timedelta(hours=5), start))


def test_stock_registry_fallback_uses_creation_time_and_current_alias() -> None:
    from agents.triage.collectors.rollout import registry_rollouts

    versions = [
        {"version": 5, "aliases": ["champion"], "registered_at": "2026-11-27T10:40:00+00:00"},
        {"version": 6, "aliases": ["challenger"], "registered_at": "2026-11-27T11:00:00+00:00"},
    ]
    events = registry_rollouts(versions, "E3")
    assert [(e["version"], e["alias"], e["previous_version"]) for e in events] == [(5, "champion", 4)]
    assert events[0]["signal"] is Signal.NEW_PRODUCTION_VERSION and events[0]["evidence"] == "E3"
    assert registry_rollouts([versions[1]], "E3") == []  # a challenger is not a production deploy
