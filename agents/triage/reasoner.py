"""Turn findings into a conclusion: cite evidence, decide or abstain, suggest actions and next checks.

Used by both modes: the deterministic reasoner ranks with :func:`agents.triage.scoring.score`; LLM mode
passes the model's hypotheses through :func:`cite` (claims citing unknown evidence are dropped) and
then the same :func:`conclude`.
"""

from __future__ import annotations

from collections.abc import Callable

from agents.evidence import EvidenceLedger
from agents.triage.findings import Finding, Targets
from agents.triage.models import EvidenceRef, Hypothesis, NextAction
from agents.triage.scoring import BAR, RULES, unknown_hypothesis

PRIMARY_SIGNALS = {r.signal for r in RULES if r.primary}


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
    quiet = {"parity_clean", "gpu_cost"}
    return [f for f in findings if f.signal not in PRIMARY_SIGNALS | quiet and not set(f.evidence) & cited]


def actions_for(h: Hypothesis) -> list[NextAction]:
    """Suggested mitigations for a concluded hypothesis (writes are suggestions needing approval)."""
    suggest = _ACTIONS.get(h.kind)
    return suggest(h) if suggest is not None else []


def _rollback(h: Hypothesis) -> list[NextAction]:
    c = h.culprit
    if not (c.model and c.previous_version):
        return []
    alias = c.alias or "champion"
    return [
        NextAction(
            title=f"Roll {c.model} {alias} back to v{c.previous_version}",
            command=f"referent rollback {c.model}",
            tool="mlflow.set_alias",
            arguments={"model": c.model, "alias": alias, "version": int(c.previous_version)},
            requires_approval=True,
        ),
        NextAction(title=f"Block v{c.version} from production until its signature/inputs are fixed"),
    ]


def _rematerialize(h: Hypothesis) -> list[NextAction]:
    view = h.culprit.feature_view
    if not view:
        return []
    first = (
        "Fix and restart the materialization job of"
        if h.kind == "stale_feature_view"
        else "Fix the online pipeline writing"
    )
    return [
        NextAction(title=f"{first} {view}"),
        NextAction(
            title=f"Re-materialize {view} from the offline store",
            tool="feast.materialize",
            arguments={"name": view},
            requires_approval=True,
        ),
    ]


def _check_population(h: Hypothesis) -> list[NextAction]:
    c = h.culprit
    return [
        NextAction(
            title=f"Confirm the population change of {c.feature} with the {c.model} owners; "
            "evaluate the champion on recent labelled data and retrain if it degraded"
        )
    ]


def _resize(title: str) -> Callable[[Hypothesis], list[NextAction]]:
    """A resize suggestion for the culprit workload; ``title`` has a ``{workload}`` field."""

    def suggest(h: Hypothesis) -> list[NextAction]:
        workload = h.culprit.workload
        if not workload:
            return []
        return [
            NextAction(
                title=title.format(workload=workload),
                command=f"referent rightsize --workload {workload}",
                requires_approval=True,
            )
        ]

    return suggest


_ACTIONS: dict[str, Callable[[Hypothesis], list[NextAction]]] = {
    "bad_model_version": _rollback,
    "stale_feature_view": _rematerialize,
    "online_offline_skew": _rematerialize,
    "input_drift": _check_population,
    "oom": _resize("Raise the memory limit of {workload} above its peak (or cut its batch size)"),
    "cpu_saturation": _resize("Raise the CPU limit or replicas of {workload}"),
    "idle_gpu": _resize("Release the idle GPU of {workload} (scale to zero or drop the GPU request)"),
}


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


def conclude(
    hypotheses: list[Hypothesis], findings: list[Finding], targets: Targets, missing: list[str]
) -> tuple[list[Hypothesis], bool, str, list[str], list[NextAction]]:
    """Ranked hypotheses (with ``unknown`` when anomalies stay unexplained), abstention, checks, actions."""
    ranked = sorted(hypotheses, key=lambda h: -h.confidence)
    leftover = unexplained(findings, ranked)
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
