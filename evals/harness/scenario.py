"""Scenario files: a world, a trigger, the expected outcome, and optional canaries/injections (YAML).

One scenario per ``*.yaml`` file; a suite is a directory of them (searched recursively). The format is
documented in ``evals/README.md``. Expected triage outcomes may be read from the world itself
(``expected.from_incident``) so a scenario follows the world when the world changes.

Errors::

    ScenarioError (ValueError)   unreadable file, invalid YAML, or a document the models reject
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Agent = Literal["triage", "promotion", "rightsizing", "runbook"]


class ScenarioError(ValueError):
    """A scenario file that cannot be read or does not validate."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TriageTrigger(_Strict):
    """An alert: a payload file (relative to the scenario), an inline payload, or a world incident's alert."""

    alert_file: str | None = None
    payload: dict[str, Any] | list[Any] | None = None
    incident: str | None = Field(default=None, description="build the alert from this world incident")
    annotations: dict[str, str] = Field(default_factory=dict, description="added to every alert")
    labels: dict[str, str] = Field(default_factory=dict, description="added to every alert")
    relabel: dict[str, str] = Field(
        default_factory=dict,
        description="rename label keys (another platform's convention, e.g. model: model_name)",
    )
    status: Literal["firing", "resolved"] | None = Field(
        default=None, description="override every alert's status"
    )

    @model_validator(mode="after")
    def _one_source(self) -> TriageTrigger:
        given = [x for x in (self.alert_file, self.payload, self.incident) if x is not None]
        if len(given) != 1:
            raise ValueError("a triage trigger needs exactly one of alert_file, payload, incident")
        return self


class PromotionTrigger(_Strict):
    model: str
    version: str
    target: Literal["staging", "production"] = "production"
    dry_run: bool = True


class RightsizingTrigger(_Strict):
    namespace: str | None = None
    workloads: list[str] = Field(default_factory=list)


class RunbookTrigger(_Strict):
    """Prometheus alerting rules: a rule file or a directory of them (every ``*.yml``/``*.yaml`` under it)."""

    rule_file: str = Field(description="relative to the scenario file, or absolute; a file or a directory")
    rule: str | None = Field(default=None, description="only this alert (default: every alerting rule)")

    def resolve(self, scenario_path: str) -> Path:
        """The rule file or directory, relative to the scenario file's directory."""
        return Path(scenario_path).parent / self.rule_file


class Culprit(_Strict):
    """Fields a blamed culprit must match (only those given are compared, as strings)."""

    model: str | None = None
    version: str | None = None
    workload: str | None = None
    namespace: str | None = None
    feature_view: str | None = None
    feature: str | None = None

    def given(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.model_dump().items() if v is not None}


class Cause(_Strict):
    kind: str
    culprit: Culprit = Field(default_factory=Culprit)


class TriageExpected(_Strict):
    """The true root cause (plus acceptable alternatives), or ``abstain: true``."""

    abstain: bool = False
    from_incident: str | None = Field(default=None, description="read kind and culprit from the world")
    root_cause: Cause | None = None
    alternatives: list[Cause] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> TriageExpected:
        if self.abstain and (self.root_cause or self.from_incident):
            raise ValueError("abstain excludes root_cause and from_incident")
        if not self.abstain and not (self.root_cause or self.from_incident):
            raise ValueError("give root_cause, from_incident, or abstain: true")
        return self


class PromotionExpected(_Strict):
    decision: Literal["promote", "block"]
    failed_gates: list[str] = Field(default_factory=list, description="exactly these gates fail")
    freshness_from_world: bool = Field(
        default=False,
        description="feature_freshness is expected to fail iff a view the model reads is late or stale at run time"
        " (the sandbox materializes once, at `up`: views age while the world runs)",
    )


class WorkloadNeed(_Strict):
    workload: str
    p99_cpu: float | None = None
    peak_mem_gib: float | None = None


class RightsizingExpected(_Strict):
    needs: list[WorkloadNeed] = Field(default_factory=list)
    needs_from_world: bool = Field(
        default=False, description="derive each workload's need from its usage profile in the world"
    )
    savings_usd_month: float | None = None


class RunbookExpected(_Strict):
    """What every rule's runbook must hold; any rule that falls short is a failure named by its alert."""

    rules: int | None = Field(default=None, description="how many alerting rules the trigger holds")
    sections: list[str] = Field(
        default_factory=lambda: ["Meaning", "Impact", "Diagnosis", "Mitigation"],
        description="level-2 headings every runbook has, in this order",
    )
    min_queries: int = Field(default=1, ge=0, description="diagnosis PromQL blocks per runbook, at least")


class Scenario(_Strict):
    """One evaluation case."""

    id: str
    agent: Agent
    description: str = ""
    world: str = Field(default="demo", description="a world name, a world YAML path, gen-<seed>, or none")
    fault_kind: str | None = Field(default=None, description="grouping in reports (default: expected kind)")
    trigger: TriageTrigger | PromotionTrigger | RightsizingTrigger | RunbookTrigger
    expected: TriageExpected | PromotionExpected | RightsizingExpected | RunbookExpected
    canaries: list[str] = Field(default_factory=list, description="PII strings that must never leak")
    injections: list[str] = Field(default_factory=list, description="planted into alert annotations")
    allowed_writes: list[str] = Field(default_factory=list, description="write tools the run may call")
    tags: list[str] = Field(default_factory=list)
    path: str = Field(default="", exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _typed(cls, data: Any) -> Any:
        """Validate trigger/expected against the agent's own models (clear errors, no union guessing)."""
        if not isinstance(data, dict):
            return data
        kinds = _BY_AGENT.get(str(data.get("agent")))
        if kinds is None:
            return data
        trigger, expected = kinds
        data = dict(data)
        data["trigger"] = trigger.model_validate(data.get("trigger") or {})
        data["expected"] = expected.model_validate(data.get("expected") or {})
        return data


_BY_AGENT: dict[str, tuple[type[BaseModel], type[BaseModel]]] = {
    "triage": (TriageTrigger, TriageExpected),
    "promotion": (PromotionTrigger, PromotionExpected),
    "rightsizing": (RightsizingTrigger, RightsizingExpected),
    "runbook": (RunbookTrigger, RunbookExpected),
}


def load_scenario(path: Path) -> Scenario:
    """Read and validate one scenario file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path}: a scenario is a YAML mapping")
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(f"{path}: {exc}") from exc
    scenario.path = str(path)
    return scenario


def load_suite(path: Path) -> list[Scenario]:
    """Every scenario under ``path`` (a directory, searched recursively, or one file), sorted by id."""
    files = [path] if path.is_file() else sorted(path.rglob("*.yaml"))
    if not files:
        raise ScenarioError(f"{path}: no scenario files (*.yaml)")
    scenarios = [load_scenario(f) for f in files]
    ids = [s.id for s in scenarios]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ScenarioError(f"{path}: duplicate scenario ids {duplicates}")
    return sorted(scenarios, key=lambda s: s.id)


def alert_payload(scenario: Scenario, world: Any, anchor: Any) -> Any:
    """The trigger's Alertmanager payload, with the planted annotations/labels/injections added."""
    trigger = scenario.trigger
    assert isinstance(trigger, TriageTrigger)
    if trigger.alert_file is not None:
        payload = json.loads((Path(scenario.path).parent / trigger.alert_file).read_text(encoding="utf-8"))
    elif trigger.payload is not None:
        payload = json.loads(json.dumps(trigger.payload))
    else:
        payload = _incident_alert(world, str(trigger.incident), anchor)
    extra = dict(trigger.annotations)
    for n, text in enumerate(scenario.injections):
        extra[f"note_{n}"] = text
    for alert in _alerts(payload):
        alert.setdefault("annotations", {}).update(extra)
        alert["labels"] = _relabel({**alert.get("labels", {}), **trigger.labels}, trigger.relabel)
        if trigger.status is not None:
            alert["status"] = trigger.status
    if isinstance(payload, dict) and "alerts" in payload:
        for key in ("commonLabels", "groupLabels"):
            if isinstance(payload.get(key), dict):
                payload[key] = _relabel(payload[key], trigger.relabel)
        if trigger.status is not None:
            payload["status"] = trigger.status
    return payload


def _relabel(labels: dict[str, str], renames: dict[str, str]) -> dict[str, str]:
    return {renames.get(k, k): v for k, v in labels.items()}


def _alerts(payload: Any) -> list[dict[str, Any]]:
    if isinstance(payload, list):
        return [a for a in payload if isinstance(a, dict)]
    if isinstance(payload, dict) and isinstance(payload.get("alerts"), list):
        return [a for a in payload["alerts"] if isinstance(a, dict)]
    return [payload] if isinstance(payload, dict) else []


def find_incident(world: Any, incident_id: str) -> Any:
    """The world incident with this id; ScenarioError when the world has none."""
    for incident in world.incidents:
        if incident.id == incident_id:
            return incident
    raise ScenarioError(f"world {world.name} has no incident {incident_id}")


def _incident_alert(world: Any, incident_id: str, anchor: Any) -> dict[str, Any]:
    incident = find_incident(world, incident_id)
    if incident.alert is None:
        raise ScenarioError(f"incident {incident_id} of world {world.name} has no alert")
    return dict(incident.firing_alert(anchor))
