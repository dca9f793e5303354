"""Rank root-cause hypotheses with an evidence-weighting (naive-Bayes style log-odds) model.

Every hypothesis starts at the prior log-odds :data:`PRIOR` (p ≈ 0.08: most alerts have one cause among
many candidates). Each finding adds ``weight × strength`` to the hypotheses its rules name (the rules,
keys, titles and symptom words are declared per cause kind in :mod:`agents.triage.kinds`):

* a *primary* rule creates the hypothesis keyed by the finding's subject (e.g. ``feast_stale`` creates
  ``stale_feature_view`` for that view);
* a *supporting* rule (positive weight) or an *opposing* one (negative weight) only adjusts existing
  hypotheses whose culprit agrees with the finding's subject on the rule's ``match`` fields.

A finding with a change point (``at``) counts by its distance from the alert's start
(:func:`nearness`: full within :data:`NEAR`, down to :data:`FAR_FLOOR` at :data:`FAR` and beyond), whatever
its signal. Two alert-level terms follow: :data:`SYMPTOM_WEIGHT` when the alert's own symptom (its name, expression
and annotations) is one this kind of cause produces, and :data:`DIRECT_WEIGHT` when the culprit is an
entity the alert's labels name. Confidence is ``sigmoid(log-odds)``, capped at :data:`MAX_CONFIDENCE`
(the model's independence assumption overstates agreement between correlated signals). Weights are set so that one strong
signal plus a matching symptom lands near 0.75, and two independent sources agreeing above 0.9. Triage
abstains when no hypothesis reaches :data:`BAR`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from agents.triage.alert import NormalizedAlert
from agents.triage.findings import Finding, Targets
from agents.triage.kinds import KINDS, Rule, rules
from agents.triage.models import Contribution, Culprit, EvidenceRef, Hypothesis

PRIOR = -2.5
BAR = 0.6
SYMPTOM_WEIGHT = 1.0
DIRECT_WEIGHT = 0.5
UNKNOWN_CAP = 0.45
MAX_CONFIDENCE = 0.99
NEAR = timedelta(hours=1)
FAR = timedelta(hours=6)
FAR_FLOOR = 0.5

KEYS: dict[str, tuple[str, ...]] = {k.name: k.key for k in KINDS.values()}
TITLES: dict[str, str] = {k.name: k.title for k in KINDS.values()}


def symptom_kinds(alert: NormalizedAlert, expression: str = "") -> set[str]:
    """The cause kinds whose symptoms the alert's name, expression and annotations describe."""
    text = " ".join([alert.alertname, expression, *alert.annotations.values()]).lower()
    return {k.name for k in KINDS.values() if any(w in text for w in k.symptoms)}


def nearness(at: datetime | None, start: datetime | None) -> float:
    """How much a change point at ``at`` counts for an incident starting at ``start``: 1 within
    :data:`NEAR` of it, falling linearly to :data:`FAR_FLOOR` at :data:`FAR`; 1 when either is unknown."""
    if at is None or start is None:
        return 1.0
    hours = abs((start - at).total_seconds()) / 3600
    near, far = NEAR.total_seconds() / 3600, FAR.total_seconds() / 3600
    if hours <= near:
        return 1.0
    return max(FAR_FLOOR, 1 - (1 - FAR_FLOOR) * (hours - near) / (far - near))


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
    table = rules()
    findings = [_timed(f, alert.starts_at) for f in findings]
    for finding in findings:
        for kind, rule in table:
            key = _key(kind, finding.subject)
            if rule.signal == finding.signal and rule.primary and key:
                draft = drafts.setdefault(key, _Draft(kind, finding.subject, PRIOR, [], []))
                draft.culprit = _merge_culprit(draft.culprit, finding.subject)
                draft.add(rule.signal.value, rule.weight * finding.strength, finding)
    refuted = _refuted(findings, drafts, table)
    for finding in findings:
        for kind, rule in table:
            if rule.signal != finding.signal or rule.primary:
                continue
            for key, draft in drafts.items():
                if draft.kind == kind and _agrees(rule, finding.subject, draft.culprit):
                    if rule.mechanism and key in refuted:
                        draft.add(rule.signal.value, 0.0, _no_effect(finding))
                    else:
                        draft.add(rule.signal.value, rule.weight * finding.strength, finding)
    symptoms = symptom_kinds(alert, expression)
    named = set(targets.direct)
    for draft in drafts.values():
        if draft.kind in symptoms:
            draft.add("alert_symptom", SYMPTOM_WEIGHT, None)
        if named & {v for f in KEYS[draft.kind] if (v := getattr(draft.culprit, f))}:
            draft.add("named_by_alert", DIRECT_WEIGHT, None)
    hypotheses = [_hypothesis(d) for d in drafts.values()]
    return sorted(hypotheses, key=lambda h: (-h.confidence, h.kind))


def _refuted(
    findings: list[Finding], drafts: dict[tuple[str, ...], _Draft], table: list[tuple[str, Rule]]
) -> set[tuple[str, ...]]:
    """Keys of the hypotheses whose kind's every ``refutes_effect`` rule matched a finding (the effects
    the cause would have are measured and absent: its ``mechanism`` signals then count nothing)."""
    out = set()
    for key, draft in drafts.items():
        wanted = [r for k, r in table if k == draft.kind and r.refutes_effect]
        if wanted and all(
            any(f.signal == r.signal and _agrees(r, f.subject, draft.culprit) for f in findings)
            for r in wanted
        ):
            out.add(key)
    return out


def _no_effect(finding: Finding) -> Finding:
    return finding.model_copy(update={"detail": f"{finding.detail} (no effect measured: not counted)"})


def _timed(finding: Finding, start: datetime | None) -> Finding:
    """The finding with its strength scaled by its change point's distance from the alert's start."""
    factor = nearness(finding.at, start)
    if factor == 1.0:
        return finding
    hours = abs((start - finding.at).total_seconds()) / 3600 if start and finding.at else 0.0
    return finding.model_copy(
        update={
            "strength": finding.strength * factor,
            "detail": f"{finding.detail} ({hours:.1f} h from the alert's start: ×{factor:.2f})",
        }
    )


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


def title_of(kind: str, culprit: Culprit) -> str:
    return TITLES.get(kind, "Unexplained anomaly").format(
        **{k: v or "?" for k, v in culprit.model_dump().items()}
    )
