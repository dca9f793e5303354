"""Entry points: triage one alert or a whole Alertmanager payload, render and persist the report."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from agents.deps import AgentDeps
from agents.reports import ReportStore, redact_report
from agents.triage.alert import NormalizedAlert, normalize_alert, parse_alerts
from agents.triage.graph import (
    TriageState,
    build_graph,
    context_of,
    findings_of,
    merged_ledger,
    past_deadline,
)
from agents.triage.models import EvidenceRef, SourceState, TriageReport
from agents.triage.reasoner import cite, conclude
from agents.triage.render import to_markdown
from agents.triage.scoring import score


def deterministic_reason(state: TriageState) -> dict[str, Any]:
    """The ``reason`` node without a model: the evidence-weighting ranking of :mod:`scoring`."""
    hypotheses = score(findings_of(state), state["alert"], state["targets"], state.get("expression", ""))
    return {"result": {"hypotheses": hypotheses, "ledger": merged_ledger(state), "llm": {}, "checks": []}}


def _reason_for(deps: AgentDeps) -> Any:
    if deps.chat is None:
        return deterministic_reason
    from agents.triage.llm_mode import make_llm_reason

    llm_reason = make_llm_reason(deps)

    def reason(state: TriageState) -> dict[str, Any]:
        if not past_deadline(deps):
            return llm_reason(state)
        result = deterministic_reason(state)  # no time left to ask the model
        result["result"]["llm"] = {"skipped": "the triage deadline passed before the model was asked"}
        result["result"]["mode"] = "deterministic (model not asked: the triage deadline had passed)"
        return result

    return reason


def with_deadline(deps: AgentDeps, seconds: float) -> AgentDeps:
    """``deps`` whose call context ends ``seconds`` from now (or earlier, if it already had a deadline)."""
    deadline = time.monotonic() + seconds
    if deps.ctx.deadline is not None:
        deadline = min(deadline, deps.ctx.deadline)
    return dataclasses.replace(deps, ctx=dataclasses.replace(deps.ctx, deadline=deadline))


def build_report(deps: AgentDeps, state: TriageState) -> TriageReport:
    """Assemble the report from the graph's final state (citations checked, conclusion drawn)."""
    result = state["result"]
    ledger = result["ledger"]
    findings = findings_of(state)
    hypotheses, dropped = cite(result["hypotheses"], ledger)
    missing = ledger.missing_sources()
    ranked, abstained, reason, checks, actions = conclude(hypotheses, findings, state["targets"], missing)
    ranked, _ = cite(ranked, ledger)  # the unknown hypothesis, if any, cites raw findings
    window = state["window"]
    starts = [f.at for f in findings if f.at]
    context = context_of(state)
    return TriageReport(
        run_id=deps.ctx.run_id,
        mode=result.get("mode") or deps.mode,
        alert=state["alert"],
        created_at=deps.clock(),  # type: ignore[arg-type]
        window_start=window.start,
        window_end=window.end,
        incident_start=window.incident_start or (min(starts) if starts else None),
        targets={
            **state["targets"].names(),
            **(
                {"runbook_url": context["runbook"]["runbook_url"]}
                if context.get("runbook", {}).get("runbook_url")
                else {}
            ),
        },
        collectors=state.get("collectors", []),
        hypotheses=ranked,
        abstained=abstained,
        abstain_reason=reason,
        next_checks=[*checks, *result.get("checks", [])],
        next_actions=actions,
        sources=[SourceState(source=s.source, ok=s.ok, error=s.error) for s in ledger.sources.values()],
        missing_sources=missing,
        unfinished_collectors=sorted(set(state.get("unfinished", []))),
        evidence=[
            EvidenceRef(id=e.id, source=e.source, query=e.query, value=e.value, at=e.at, summary=e.summary)
            for e in ledger.items
        ],
        dropped_claims=dropped + result.get("llm", {}).get("dropped_claims", 0),
        llm_stats=result.get("llm", {}),
    )


def run_triage(
    deps: AgentDeps, alert: NormalizedAlert | dict[str, Any], *, store: ReportStore | None = None
) -> TriageReport:
    """Triage one alert: gather evidence through the gateway, rank causes, render, and persist.

    The raw alert (labels, ``generatorURL``) lives only in memory, to build the queries; the report
    is redacted whole (:func:`agents.reports.redact_report`) before it is returned, stored, printed
    or sent.

    Args:
        deps: gateway, call context (principal ``agent:triage``), optional chat model (LLM mode);
            ``deps.llm.triage_deadline_s`` bounds the run: past it no tool is called, and the report
            lists the collectors that had not finished.
        alert: a normalized alert or one alert object in any accepted shape.
        store: where to save the report (kind ``triage``); None to skip persistence.

    Returns:
        The redacted report, with ``report_id`` set when it was stored.
    """
    normalized = alert if isinstance(alert, NormalizedAlert) else normalize_alert(alert)
    deps = with_deadline(deps, deps.llm.triage_deadline_s)  # REFERENT_TRIAGE_DEADLINE_S
    graph = build_graph(deps, _reason_for(deps))
    state = graph.invoke({"alert": normalized, "outputs": [], "ledgers": []})
    report = redact_report(build_report(deps, state), deps.gateway.redactor, deps.ctx.pseudonym_scope)
    if store is not None:
        report.report_id = store.save(
            kind="triage",
            run_id=deps.ctx.run_id,
            subject=f"{report.alert.alertname}:{report.alert.fingerprint}",
            body_json=report.model_dump_json(),
            markdown=to_markdown(report),
        )
    return report


def triage_payload(deps: AgentDeps, payload: Any, *, store: ReportStore | None = None) -> list[TriageReport]:
    """Triage every distinct firing alert of a payload (Alertmanager v4 or one alert), in order."""
    alerts = [a for a in parse_alerts(payload) if a.status == "firing"]
    return [run_triage(deps, a, store=store) for a in alerts]
