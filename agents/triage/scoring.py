"""Rank root-cause hypotheses with an evidence-weighting (naive-Bayes style log-odds) model.

Every hypothesis starts at the prior log-odds :data:`PRIOR` (p ≈ 0.08: most alerts have one cause among
many candidates). Each finding adds ``weight × strength`` to the hypotheses its rule names:

* a *primary* rule creates the hypothesis keyed by the finding's subject (e.g. ``feast_stale`` creates
  ``stale_feature_view`` for that view);
* a *supporting* rule (positive weight) or an *opposing* one (negative weight) only adjusts existing
  hypotheses whose culprit agrees with the finding's subject on the rule's ``match`` fields.

Two alert-level terms follow: :data:`SYMPTOM_WEIGHT` when the alert's own symptom (its name, expression
and annotations) is one this kind of cause produces, and :data:`DIRECT_WEIGHT` when the culprit is an
entity the alert's labels name. Confidence is ``sigmoid(log-odds)``, capped at :data:`MAX_CONFIDENCE`
(the model's independence assumption overstates agreement between correlated signals). Weights are set so that one strong
signal plus a matching symptom lands near 0.75, and two independent sources agreeing above 0.9. Triage
abstains when no hypothesis reaches :data:`BAR`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from agents.triage.alert import NormalizedAlert
from agents.triage.findings import Finding, Targets
from agents.triage.models import Contribution, Culprit, EvidenceRef, Hypothesis

PRIOR = -2.5
BAR = 0.6
SYMPTOM_WEIGHT = 1.0
DIRECT_WEIGHT = 0.5
UNKNOWN_CAP = 0.45
MAX_CONFIDENCE = 0.99

KEYS: dict[str, tuple[str, ...]] = {
    "bad_model_version": ("model", "version"),
    "stale_feature_view": ("feature_view",),
    "online_offline_skew": ("feature_view", "feature"),
    "input_drift": ("model", "feature"),
    "oom": ("workload",),
    "cpu_saturation": ("workload",),
    "idle_gpu": ("workload",),
}


@dataclass(frozen=True)
class Rule:
    """``signal`` moves ``kind`` by ``weight`` log-odds; ``primary`` rules may create the hypothesis."""

    signal: str
    kind: str
    weight: float
    primary: bool = False
    match: tuple[str, ...] = ()


RULES: tuple[Rule, ...] = (
    # a bad model version: a production alias moved shortly before the symptoms
    Rule("alias_moved", "bad_model_version", 2.5, primary=True),
    Rule("serving_errors_up", "bad_model_version", 1.5, match=("model",)),
    Rule("serving_latency_up", "bad_model_version", 0.7, match=("model",)),
    Rule("version_errors_higher", "bad_model_version", 1.0, match=("model", "version")),
    Rule("signature_changed", "bad_model_version", 0.8, match=("model", "version")),
    Rule("approval_missing", "bad_model_version", 0.4, match=("model", "version")),
    Rule("prediction_psi_up", "bad_model_version", 0.3, match=("model",)),
    # a stale feature view: Feast's registry and the freshness metric agree
    Rule("feast_stale", "stale_feature_view", 3.0, primary=True),
    Rule("feast_late", "stale_feature_view", 1.5, primary=True),
    Rule("materialization_lag", "stale_feature_view", 2.0, primary=True),
    Rule("feature_psi_moderate", "stale_feature_view", 0.3, match=("feature_view",)),
    # online/offline skew: online values disagree with the point-in-time offline join
    Rule("parity_mismatch", "online_offline_skew", 3.0, primary=True),
    Rule("prediction_psi_up", "online_offline_skew", 0.5, match=("model",)),
    Rule("feature_psi_moderate", "online_offline_skew", 0.3, match=("feature_view", "feature")),
    # input drift: the feature's population moved, while the serving path is consistent
    Rule("feature_psi_high", "input_drift", 2.5, primary=True),
    Rule("feature_psi_moderate", "input_drift", 1.0, primary=True),
    Rule("psi_shift", "input_drift", 0.5, match=("model", "feature")),
    Rule("parity_clean", "input_drift", 0.3, match=("feature_view",)),
    Rule("parity_mismatch", "input_drift", -2.0, match=("feature_view", "feature")),
    Rule("feast_stale", "input_drift", -1.5, match=("feature_view",)),
    Rule("feast_late", "input_drift", -0.8, match=("feature_view",)),
    Rule("materialization_lag", "input_drift", -1.0, match=("feature_view",)),
    # memory: OOMKilled terminations, restarts, working set at the limit
    Rule("oom_killed", "oom", 2.5, primary=True),
    Rule("memory_near_limit", "oom", 1.0, primary=True),
    Rule("restarts", "oom", 1.0, match=("workload",)),
    # CPU: throttled CFS periods, usage pinned at the limit, slower answers
    Rule("cpu_throttled", "cpu_saturation", 2.0, primary=True),
    Rule("cpu_at_limit", "cpu_saturation", 1.0, primary=True),
    Rule("serving_latency_up", "cpu_saturation", 0.5, match=("workload",)),
    # GPU: allocated and idle
    Rule("gpu_idle", "idle_gpu", 3.0, primary=True),
    Rule("gpu_cost", "idle_gpu", 0.3, match=("workload",)),
)

SYMPTOMS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("oom", "memory", "terminated_reason", "restarts"), ("oom",)),
    (("throttl", "cfs_", "cpu"), ("cpu_saturation",)),
    (("gpu", "dcgm"), ("idle_gpu",)),
    (("feast", "materializ", "stale", "fresh"), ("stale_feature_view",)),
    (
        ("psi", "drift", "distribution", "shift", "skew"),
        ("input_drift", "online_offline_skew", "stale_feature_view", "bad_model_version"),
    ),
    (("error", "5xx", "5..", "latency", "duration", "slo"), ("bad_model_version", "cpu_saturation")),
)


def symptom_kinds(alert: NormalizedAlert, expression: str = "") -> set[str]:
    """The cause kinds whose symptoms the alert's name, expression and annotations describe."""
    text = " ".join([alert.alertname, expression, *alert.annotations.values()]).lower()
    return {kind for words, kinds in SYMPTOMS if any(w in text for w in words) for kind in kinds}


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _key(kind: str, subject: Culprit) -> tuple[str, ...] | None:
    values = tuple(getattr(subject, f) or "" for f in KEYS[kind])
    return None if not all(values) else (kind, *values)


def _agrees(rule: Rule, subject: Culprit, culprit: Culprit) -> bool:
    return all(getattr(subject, f) and getattr(subject, f) == getattr(culprit, f) for f in rule.match)


def _merge_culprit(base: Culprit, extra: Culprit) -> Culprit:
    filled = {k: v for k, v in extra.model_dump().items() if v is not None and getattr(base, k) is None}
    return base.model_copy(update=filled)


@dataclass
class _Draft:
    kind: str
    culprit: Culprit
    log_odds: float
    contributions: list[Contribution]
    evidence: list[str]

    def add(self, signal: str, weight: float, finding: Finding | None) -> None:
        self.log_odds += weight
        self.contributions.append(
            Contribution(signal=signal, weight=round(weight, 3), detail=finding.detail if finding else "")
        )
        if finding:
            self.evidence += [e for e in finding.evidence if e not in self.evidence]


def score(
    findings: list[Finding], alert: NormalizedAlert, targets: Targets, expression: str = ""
) -> list[Hypothesis]:
    """Hypotheses ranked by confidence (highest first), from the findings of every collector."""
    drafts: dict[tuple[str, ...], _Draft] = {}
    for finding in findings:
        for rule in RULES:
            key = _key(rule.kind, finding.subject)
            if rule.signal == finding.signal and rule.primary and key:
                draft = drafts.setdefault(key, _Draft(rule.kind, finding.subject, PRIOR, [], []))
                draft.culprit = _merge_culprit(draft.culprit, finding.subject)
                draft.add(rule.signal, rule.weight * finding.strength, finding)
    for finding in findings:
        for rule in RULES:
            if rule.signal != finding.signal or rule.primary:
                continue
            for draft in drafts.values():
                if draft.kind == rule.kind and _agrees(rule, finding.subject, draft.culprit):
                    draft.add(rule.signal, rule.weight * finding.strength, finding)
    symptoms = symptom_kinds(alert, expression)
    named = set(targets.direct)
    for draft in drafts.values():
        if draft.kind in symptoms:
            draft.add("alert_symptom", SYMPTOM_WEIGHT, None)
        if named & {v for f in KEYS[draft.kind] if (v := getattr(draft.culprit, f))}:
            draft.add("named_by_alert", DIRECT_WEIGHT, None)
    hypotheses = [_hypothesis(d) for d in drafts.values()]
    return sorted(hypotheses, key=lambda h: (-h.confidence, h.kind))


def _hypothesis(draft: _Draft) -> Hypothesis:
    return Hypothesis(
        kind=draft.kind,  # type: ignore[arg-type]
        title=title_of(draft.kind, draft.culprit),
        culprit=draft.culprit,  # type: ignore[arg-type]
        confidence=round(min(sigmoid(draft.log_odds), MAX_CONFIDENCE), 3),
        log_odds=round(draft.log_odds, 3),
        contributions=draft.contributions,
        evidence=[EvidenceRef(id=e, source="", query="") for e in draft.evidence],
    )


def unknown_hypothesis(findings: list[Finding]) -> Hypothesis | None:
    """An ``unknown`` cause for anomalies no rule explains (kept below the bar: it never concludes)."""
    if not findings:
        return None
    log_odds = PRIOR + 0.4 * len(findings)
    contributions = [Contribution(signal=f.signal, weight=0.4, detail=f.detail) for f in findings]
    ids = list(dict.fromkeys(e for f in findings for e in f.evidence))
    return Hypothesis(
        kind="unknown",
        title="Unexplained anomaly",
        confidence=round(min(sigmoid(log_odds), UNKNOWN_CAP), 3),
        log_odds=round(log_odds, 3),
        contributions=contributions,
        evidence=[EvidenceRef(id=e, source="", query="") for e in ids],
    )


TITLES = {
    "bad_model_version": "Bad model version {model} v{version} promoted",
    "stale_feature_view": "Feature view {feature_view} is stale",
    "online_offline_skew": "Online/offline skew in {feature_view}:{feature}",
    "input_drift": "Input drift on {model} feature {feature}",
    "oom": "{workload} is OOMKilled (memory at its limit)",
    "cpu_saturation": "{workload} CPU saturated and throttled",
    "idle_gpu": "GPU allocated to {workload} is idle",
}


def title_of(kind: str, culprit: Culprit) -> str:
    return TITLES.get(kind, "Unexplained anomaly").format(
        **{k: v or "?" for k, v in culprit.model_dump().items()}
    )
