"""Gather the facts the gates judge, through the gateway (each call recorded as evidence).

Registry facts come from ``mlflow.get_model`` / ``get_version`` / ``version_metrics`` / ``signature`` /
``alias_history``; freshness from ``feast.list_feature_views`` and ``feast.freshness``; SLOs and alerts
from ``prometheus.query`` and ``prometheus.alerts``; open incidents from the report store
(:func:`agents.promotion.incidents.open_incidents`). A
source that fails leaves its facts ``None`` and is named in ``PromotionFacts.unavailable``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from agents.deps import AgentDeps, collect
from agents.evidence import Evidence, EvidenceLedger
from agents.promotion import prom
from agents.promotion.incidents import names_model, open_incidents
from agents.promotion.models import (
    TARGET_ALIAS,
    AliasEvent,
    IncidentFacts,
    PromotionFacts,
    Target,
    VersionFacts,
    previous_tag,
)
from agents.promotion.settings import PromotionSettings
from agents.reports import ReportStore


class Gatherer:
    """Collects facts for one model version; every tool call goes through ``deps.gateway``."""

    def __init__(
        self,
        deps: AgentDeps,
        ledger: EvidenceLedger,
        settings: PromotionSettings,
        reports: ReportStore | None = None,
    ) -> None:
        self.deps, self.ledger, self.settings, self.reports = deps, ledger, settings, reports

    def _get(self, tool: str, args: dict[str, Any], summary: str) -> Evidence | None:
        return collect(self.deps, self.ledger, tool, args, summary=summary)

    def gather(self, model: str, version: str, target: Target) -> PromotionFacts:
        """All facts for promoting ``model`` ``version`` to ``target``."""
        facts = PromotionFacts(model=model, version=version, target=target)
        steps: list[Callable[[PromotionFacts], None]] = [
            self._registry,
            self._features,
            self._freshness,
            self._slo,
            self._incidents,
        ]
        for step in steps:
            step(facts)
        facts.unavailable = {s.source: s.error for s in self.ledger.sources.values() if not s.ok}
        facts.evidence_index = {e.id: e.summary for e in self.ledger.items}
        return facts

    # --- registry ---------------------------------------------------------------------------
    def _registry(self, facts: PromotionFacts) -> None:
        model_ev = self._get("mlflow.get_model", {"model": facts.model}, f"registered model {facts.model}")
        if model_ev is None:
            return
        data = model_ev.data or {}
        facts.model_tags = {str(k): str(v) for k, v in (data.get("tags") or {}).items()}
        facts.metric_directions = parse_directions(facts.model_tags.get("metric_directions", ""))
        aliases = {str(k): str(v) for k, v in (data.get("aliases") or {}).items()}
        facts.current_target_version = aliases.get(TARGET_ALIAS[facts.target])
        facts.candidate = self._version(facts.model, facts.version)
        history_ev = self._get(
            "mlflow.alias_history", {"model": facts.model}, f"alias history of {facts.model}"
        )
        if history_ev is not None:
            facts.alias_history = [
                AliasEvent(alias=e["alias"], version=str(e["version"]), at=e.get("at"), by=e.get("by", ""))
                for e in (history_ev.data or {}).get("events", [])
                if e.get("version") is not None
            ]
        self._baseline(facts, aliases.get("champion"))

    def _version(self, model: str, version: str) -> VersionFacts | None:
        args = {"model": model, "version": int(version)}
        info = self._get("mlflow.get_version", args, f"{model} v{version} registry entry")
        if info is None:
            return None
        facts = VersionFacts(
            version=version,
            tags={str(k): str(v) for k, v in (info.data.get("tags") or {}).items()},
            evidence=[info.id],
        )
        metrics = self._get("mlflow.version_metrics", args, f"{model} v{version} training metrics")
        if metrics is not None:
            facts.metrics = {str(k): float(v) for k, v in (metrics.data.get("metrics") or {}).items()}
            facts.evidence.append(metrics.id)
        sig = self._get("mlflow.signature", args, f"{model} v{version} signature")
        if sig is not None:
            facts.evidence.append(sig.id)
            if sig.data.get("has_signature", True):
                facts.inputs, facts.outputs = sig.data.get("inputs") or [], sig.data.get("outputs") or []
        return facts

    def _baseline(self, facts: PromotionFacts, champion: str | None) -> None:
        """The champion to compare with; the previous champion when the candidate already is champion."""
        if champion is None:
            facts.baseline_note = f"{facts.model} has no champion yet; nothing to compare with"
            return
        if champion != facts.version:
            facts.baseline = self._version(facts.model, champion)
            return
        previous = previous_holder(facts.alias_history or [], "champion", champion) or facts.model_tags.get(
            previous_tag("champion")
        )
        if previous is None:
            facts.baseline_note = (
                f"v{facts.version} is already the champion and no previous champion is recorded"
            )
            return
        facts.baseline = self._version(facts.model, previous)
        facts.baseline_note = (
            f"v{facts.version} already holds champion; compared with the previous champion v{previous}"
        )

    # --- Feast ------------------------------------------------------------------------------
    def _features(self, facts: PromotionFacts) -> None:
        declared = facts.model_tags.get("features", "")
        if declared.strip():
            facts.features = parse_list(declared)
            return
        if facts.candidate is None or not facts.candidate.inputs:
            return
        views = self._get("feast.list_feature_views", {}, "Feast feature views")
        if views is None:
            return
        inputs = {str(c.get("name")) for c in facts.candidate.inputs}
        facts.features = [
            f"{v['name']}:{f['name']}"
            for v in views.data or []
            for f in v.get("features", [])
            if f.get("name") in inputs
        ]

    def _freshness(self, facts: PromotionFacts) -> None:
        views = list(dict.fromkeys(ref.split(":", 1)[0] for ref in facts.features if ":" in ref))
        if not views:
            return
        result: dict[str, dict[str, Any]] = {}
        for view in views:
            ev = self._get("feast.freshness", {"name": view}, f"freshness of feature view {view}")
            if ev is None:
                if (
                    self.ledger.sources.get("feast")
                    and not self.ledger.sources["feast"].ok
                    and "not_found" not in self.ledger.sources["feast"].error
                ):
                    return  # Feast is down: the gate says it cannot verify
                continue
            for row in (ev.data or {}).get("views", []):
                result[row["feature_view"]] = {**row, "evidence": [ev.id]}
        facts.feature_views = result

    # --- Prometheus -------------------------------------------------------------------------
    def _slo(self, facts: PromotionFacts) -> None:
        label = facts.model_tags.get("serving.model", facts.model)
        facts.slo = prom.slo_facts(self._get, label, facts.version, self.settings.slo_window)

    def _incidents(self, facts: PromotionFacts) -> None:
        names = {facts.model, facts.model_tags.get("serving.model", facts.model)}
        ev = self._get("prometheus.alerts", {}, "alerts firing or pending")
        if ev is None:
            return
        alerts = [a for a in prom.alert_list(ev.data) if a.get("labels", {}).get("model") in names]
        incidents = IncidentFacts(
            evidence=[ev.id],
            alerts=[
                {
                    "alertname": a["labels"].get("alertname", "?"),
                    "state": a.get("state", "firing"),
                    "severity": a["labels"].get("severity", ""),
                    "active_at": a.get("activeAt") or a.get("active_at"),
                }
                for a in alerts
            ],
        )
        incidents.open_reports = self._open_reports(facts.model)
        facts.incidents = incidents

    def _open_reports(self, model: str) -> list[dict[str, Any]]:
        return open_incidents(
            self.reports,
            model,
            now=self.deps.clock(),
            lookback=timedelta(hours=self.settings.incident_report_hours),
            closed_states=self.settings.closed_report_states,
        )


def previous_holder(history: list[AliasEvent], alias: str, current: str) -> str | None:
    """The version ``alias`` pointed at before it last moved to ``current`` (from the alias history)."""
    moves = [e for e in history if e.alias == alias]
    for i in range(len(moves) - 1, 0, -1):
        if moves[i].version == current and moves[i - 1].version != current:
            return moves[i - 1].version
    return None


def parse_directions(raw: str) -> dict[str, Any]:
    """Parse a ``metric_directions`` tag: a JSON object or ``auc:max,log_loss:min``; bad entries dropped."""
    raw = raw.strip()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
        pairs = data.items() if isinstance(data, dict) else []
    except ValueError:
        pairs = [tuple(p.split(":", 1)) for p in raw.split(",") if ":" in p]  # type: ignore[misc]
    return {
        str(k).strip(): str(v).strip().lower() for k, v in pairs if str(v).strip().lower() in {"max", "min"}
    }


def parse_list(raw: str) -> list[str]:
    """A tag holding a JSON list or a comma-separated list."""
    try:
        data = json.loads(raw)
        if isinstance(data, list):
            return [str(x) for x in data]
    except ValueError:
        pass
    return [p.strip() for p in raw.split(",") if p.strip()]


def report_names_model(subject: str, body_json: str, model: str) -> bool:
    """Whether a stored triage report is about ``model`` (its subject, ``model`` field or alert labels)."""
    try:
        body = json.loads(body_json)
    except ValueError:
        body = {}
    return names_model(subject, body if isinstance(body, dict) else {}, model)
