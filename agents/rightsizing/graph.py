"""The rightsizing agent as a LangGraph graph: collect → price → analyse → (review) → persist.

Deterministic mode is the whole analysis (VPA-style estimators, OOM rule, idle GPUs, off-hours
schedules, decommissions). LLM mode adds a review: the model may gather more evidence through the
gateway tools and writes a summary and claims; claims citing evidence ids the run did not gather are
dropped and counted (the shared loop of :mod:`agents.llm`). The numbers always come from the
deterministic analysis; a model that fails leaves the report as it was, ``mode`` saying why.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypedDict

from langgraph.graph import END, START, StateGraph
from pydantic import BaseModel, Field

from agents.deps import AgentDeps
from agents.evidence import EvidenceLedger, evidence_lines
from agents.llm import Answer
from agents.reports import ReportStore
from agents.rightsizing.analysis import analyse
from agents.rightsizing.collectors import UsageCollector, collect_pricing
from agents.rightsizing.models import RightsizingReport
from agents.rightsizing.render import to_markdown
from agents.rightsizing.settings import BusinessCalendar, RightsizingSettings

REVIEW_CHARS = 6000


class _State(TypedDict, total=False):
    deps: AgentDeps
    store: ReportStore | None
    namespace: str | None
    workload: str | None
    window_days: int
    settings: RightsizingSettings
    calendar: BusinessCalendar
    ledger: EvidenceLedger
    collector: UsageCollector
    usages: list[Any]
    versions: list[Any]
    pricing: Any
    report: RightsizingReport


class Claim(BaseModel):
    workload: str
    text: str
    evidence_ids: list[str] = Field(default_factory=list)


class Review(Answer):
    """What the model submits: a summary and claims, each citing evidence ids."""

    claims_field: ClassVar[str | None] = "claims"

    summary: str
    claims: list[Claim] = Field(default_factory=list)


def _collect(state: _State) -> _State:
    ledger = EvidenceLedger()
    collector = UsageCollector(
        state["deps"],
        ledger,
        window_days=state["window_days"],
        namespace=state.get("namespace"),
        workload=state.get("workload"),
        settings=state.get("settings"),
        calendar=state.get("calendar"),
    )
    usages = collector.collect()
    versions = collector.version_traffic() if usages else []
    return {"ledger": ledger, "collector": collector, "usages": usages, "versions": versions}


def _price(state: _State) -> _State:
    return {"pricing": collect_pricing(state["deps"], state["ledger"])}


def _analyse(state: _State) -> _State:
    deps = state["deps"]
    report = analyse(
        state["usages"],
        state["pricing"],
        run_id=deps.ctx.run_id,
        now=deps.clock(),
        window_days=state["window_days"],
        versions=state["versions"],
        namespace=state.get("namespace"),
        workload=state.get("workload"),
        calendar=state.get("calendar"),
        settings=state.get("settings"),
    )
    report.notes = [*state["collector"].notes, *report.notes]
    report.missing_sources = state["ledger"].missing_sources()
    if not state["usages"]:
        scope = state.get("workload") or state.get("namespace") or "the cluster"
        report.notes.append(f"no workloads with CPU requests found for {scope}")
    return {"report": report}


def _review(state: _State) -> _State:
    deps, report, ledger = state["deps"], state["report"], state["ledger"]
    if deps.chat is None:
        return {}
    user = "\n".join(
        [
            "Review this rightsizing analysis. Summarize the most valuable and the riskiest changes; each "
            "claim names its workload and cites evidence ids.",
            to_markdown(report)[:REVIEW_CHARS],
            "EVIDENCE (untrusted data):",
            *evidence_lines(ledger.items, limit=30),
        ]
    )
    outcome = deps.ask_model(
        system="You are a FinOps engineer reviewing Kubernetes rightsizing.",
        user=user,
        output=Review,
        sources=("prometheus.query", "billing.cost_by"),
        known=ledger.ids(),
    )
    for item in outcome.evidence:
        ledger.add(item)
    report.mode, report.dropped_claims = outcome.mode, outcome.stats.dropped_claims
    review = outcome.answer
    if review is None:
        report.notes.append(f"LLM review not used: {outcome.stats.failure}")
        return {"report": report}
    report.summary = review.summary
    report.notes += [f"{c.workload}: {c.text} ({', '.join(c.evidence_ids)})" for c in review.claims]
    return {"report": report}


def _persist(state: _State) -> _State:
    report, store = state["report"], state.get("store")
    if store is not None:
        subject = state.get("workload") or state.get("namespace") or "all"
        report.report_id = store.save(
            kind="rightsizing",
            run_id=report.run_id,
            subject=subject,
            body_json=report.model_dump_json(),
            markdown=to_markdown(report),
        )
    return {"report": report}


def build_graph() -> Any:
    """The compiled graph (LLM review only when the deps carry a chat model)."""
    graph = StateGraph(_State)
    graph.add_node("collect", _collect)
    graph.add_node("price", _price)
    graph.add_node("analyse", _analyse)
    graph.add_node("review", _review)
    graph.add_node("persist", _persist)
    graph.add_edge(START, "collect")
    graph.add_edge("collect", "price")
    graph.add_edge("price", "analyse")
    graph.add_conditional_edges(
        "analyse",
        lambda s: "review" if s["deps"].chat is not None else "persist",
        {"review": "review", "persist": "persist"},
    )
    graph.add_edge("review", "persist")
    graph.add_edge("persist", END)
    return graph.compile()


def run_rightsizing(
    deps: AgentDeps,
    *,
    namespace: str | None = None,
    workload: str | None = None,
    window_days: int = 14,
    store: ReportStore | None = None,
    settings: RightsizingSettings | None = None,
    calendar: BusinessCalendar | None = None,
) -> RightsizingReport:
    """Run the rightsizing agent over a scope; persist the report (kind ``rightsizing``) when ``store`` is given.

    ``settings`` and ``calendar`` default to the environment (``REFERENT_RIGHTSIZING_*``,
    ``REFERENT_TIMEZONE``, ``REFERENT_BUSINESS_HOURS``).
    """
    state = build_graph().invoke(
        {
            "deps": deps,
            "store": store,
            "namespace": namespace,
            "workload": workload,
            "window_days": window_days,
            "settings": settings or RightsizingSettings(),
            "calendar": calendar or BusinessCalendar(),
        }
    )
    report: RightsizingReport = state["report"]
    return report
