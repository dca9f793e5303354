"""Turn findings into a conclusion: cite evidence, decide or abstain, suggest actions and next checks.

Used by both modes: the deterministic reasoner ranks with :func:`agents.triage.scoring.score`; LLM mode
passes the model's hypotheses through :func:`cite` (claims citing unknown evidence are dropped) and
then the same :func:`conclude`. Triage abstains when no hypothesis reaches the bar, or when a hypothesis
of another kind is within :data:`MARGIN` of the leader (evidence competes, nothing clearly leads).
"""

from __future__ import annotations

from agents.evidence import EvidenceLedger
from agents.triage.findings import Finding, Targets
from agents.triage.kinds import KINDS, PRIMARY_SIGNALS, QUIET_SIGNALS
from agents.triage.models import EvidenceRef, Hypothesis, NextAction
from agents.triage.scoring import BAR, unknown_hypothesis

MARGIN = 0.1


def evidence_ref(ledger: EvidenceLedger, evidence_id: str) -> EvidenceRef | None:
    item = ledger.get(evidence_id)
    if item is None:
        return None
    return EvidenceRef(
        id=item.id, source=item.source, query=item.query, value=item.value, at=item.at, summary=item.summary
    )


def cite(hypotheses: list[Hypothesis], ledger: EvidenceLedger) -> tuple[list[Hypothesis], int]:
    """Replace evidence stubs with the ledger's records; drop citations (and uncited hypotheses) not in it.

    Returns:
        The cited hypotheses and the number of dropped claims (unknown ids, plus hypotheses left with none).
    """
    dropped = 0
    out = []
    for h in hypotheses:
        refs = []
        for ev in h.evidence:
            ref = evidence_ref(ledger, ev.id)
            if ref is None:
                dropped += 1
            else:
                refs.append(ref)
        if not refs:
            dropped += 0 if h.evidence else 1  # unknown ids were counted above
            continue
        out.append(h.model_copy(update={"evidence": refs}))
    return out, dropped


def unexplained(findings: list[Finding], hypotheses: list[Hypothesis]) -> list[Finding]:
    """Anomalies (non-primary findings except context) that no hypothesis cites."""
    cited = {e.id for h in hypotheses for e in h.evidence}
    return [
        f for f in findings if f.signal not in PRIMARY_SIGNALS | QUIET_SIGNALS and not set(f.evidence) & cited
    ]


def actions_for(h: Hypothesis) -> list[NextAction]:
    """Suggested mitigations for a concluded hypothesis (writes are suggestions needing approval)."""
    kind = KINDS.get(h.kind)
    return kind.mitigation(h) if kind is not None else []


def next_checks(targets: Targets, missing: list[str], top: Hypothesis | None) -> list[str]:
    """What a human should look at next when triage cannot conclude."""
    checks = [f"{s} did not answer: check it directly, then re-run triage" for s in missing]
    if not (targets.model or targets.workloads or targets.feature_views):
        checks.append("the alert names no model, workload or feature view: add those labels to the rule")
    for w in targets.workloads[:2]:
        checks.append(f"recent deploys and logs of {w} (kubectl rollout history / logs)")
    if targets.model:
        checks.append(f"recent changes of {targets.model} outside the registry (config, upstream data)")
    if top is not None:
        checks.append(f"strongest lead so far: {top.title} ({top.confidence:.0%}, below the {BAR:.0%} bar)")
    return checks


def competing(ranked: list[Hypothesis]) -> Hypothesis | None:
    """The runner-up of another kind within :data:`MARGIN` of a leader above the bar, if any."""
    if len(ranked) < 2 or ranked[0].confidence < BAR:
        return None
    top = ranked[0]
    for h in ranked[1:]:
        if h.kind != top.kind and top.confidence - h.confidence < MARGIN:
            return h
    return None


def conclude(
    hypotheses: list[Hypothesis], findings: list[Finding], targets: Targets, missing: list[str]
) -> tuple[list[Hypothesis], bool, str, list[str], list[NextAction]]:
    """Ranked hypotheses (with ``unknown`` when anomalies stay unexplained), abstention, checks, actions."""
    ranked = sorted(hypotheses, key=lambda h: -h.confidence)
    leftover = unexplained(findings, ranked)
    rival = competing(ranked)
    if rival is not None:
        first = ranked[0]
        reason = (
            f"Competing evidence: {first.title} ({first.confidence:.0%}) and {rival.title} "
            f"({rival.confidence:.0%}) are within {MARGIN:.0%} of each other; nothing is concluded."
        )
        checks = next_checks(targets, missing, None)
        checks.append(f"tell apart: {first.title} vs {rival.title}")
        return ranked, True, reason, checks, []
    if not ranked or ranked[0].confidence < BAR:
        extra = unknown_hypothesis(leftover)
        top = ranked[0] if ranked else None
        ranked = [*ranked, extra] if extra else ranked
        lead = (
            f"the best hypothesis, {top.title} at {top.confidence:.0%}, is below"
            if top
            else "no signal pointed to a cause, so nothing reached"
        )
        reason = f"Insufficient evidence: {lead} the {BAR:.0%} confidence bar; nothing is concluded."
        return ranked, True, reason, next_checks(targets, missing, top), []
    checks = [f"{s} did not answer; the conclusion rests on the other sources" for s in missing]
    return ranked, False, "", checks, actions_for(ranked[0])
