"""Scenario files for generated worlds, expected outcomes read from the world.

Per world: one triage scenario per incident with an alert (the incident's cause, or ``abstain`` when
every source that carries that fault's signal is down: nothing could name the cause); for a second fault
at once, the two alerts in one Alertmanager payload, graded once against each cause; and an alert on a
healthy workload (abstain). Tags say which realism switches touch the scenario.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from evals.generator import realism
from evals.generator.worlds import dropped_incidents, generate_world, realism_of
from evals.worlds.schema import IncidentSpec, World

HEALTHY_ALERT = "../../scenarios/triage/healthy-mlflow-tracking.json"
# a left-out incident's alert is a false alarm when nothing of the fault remains in the world (a stale
# view's spec and an idle GPU's usage profile stay in the template, so those would not be false alarms)
FALSE_ALARM_KINDS = {"bad_model_version", "input_drift", "online_offline_skew", "oom", "cpu_saturation"}

Doc = dict[str, Any]


def scenarios_for(seed: int) -> dict[str, Doc]:
    """File name → scenario document for the world ``gen-<seed>``."""
    world = generate_world(seed)
    applied = realism_of(seed)
    base = _world_tags(world, applied)
    docs: dict[str, Doc] = {}
    for incident in world.incidents:
        if incident.alert is None:
            continue
        sid = f"{world.name}-{incident.id.removeprefix('INC-').lower()}"
        docs[f"{sid}.yaml"] = _incident_doc(world, incident, sid, applied, base)
    for first, second in _pairs(world):
        for target in (first, second):
            sid = f"{world.name}-grouped-{target.id.removeprefix('INC-').lower()}"
            docs[f"{sid}.yaml"] = _grouped_doc(world, (first, second), target, sid, base)
    for incident in dropped_incidents(seed):
        if incident.kind in FALSE_ALARM_KINDS and incident.alert is not None:
            sid = f"{world.name}-false-alarm-{incident.id.removeprefix('INC-').lower()}"
            docs[f"{sid}.yaml"] = _false_alarm_doc(world, incident, sid, base)
    sid = f"{world.name}-healthy"
    docs[f"{sid}.yaml"] = {
        "id": sid,
        "agent": "triage",
        "world": world.name,
        "description": "an alert on a healthy workload of a generated world: abstain",
        "trigger": {"alert_file": HEALTHY_ALERT},
        "expected": {"abstain": True},
        "tags": [*base, "abstention"],
    }
    return docs


def _world_tags(world: World, applied: realism.Applied) -> list[str]:
    tags = ["generated"]
    if not world.alias_history_tag:
        tags.append("stock-registry")
    tags += [f"source-down:{s}" for s in world.sources_down]
    if "thin_history" in applied.notes:
        tags.append("thin-history")
    if "timings" in applied.notes:
        tags.append("timings")
    return tags


def _expected(world: World, incident: IncidentSpec) -> tuple[Doc, str | None]:
    """The incident's cause, or abstention (fault kind ``source_down``) when its signal is unreachable."""
    if realism.hidden(incident.kind, list(world.sources_down)):
        return {"abstain": True}, "source_down"
    return {"from_incident": incident.id}, None


def _incident_doc(
    world: World, incident: IncidentSpec, sid: str, applied: realism.Applied, base: list[str]
) -> Doc:
    expected, fault_kind = _expected(world, incident)
    level = applied.level(incident.id)
    tags = [*base, level] if incident.id in applied.levels else list(base)
    if "-and-" in incident.id:
        tags.append("second-fault")
    deploy = applied.notes.get("harmless_deploy", "")
    if deploy.endswith(f"near {incident.id}"):
        tags.append("harmless-deploy")
    what = f"{incident.kind} ({level}, magnitude {incident.magnitude}, from {incident.start_ago})"
    doc: Doc = {
        "id": sid,
        "agent": "triage",
        "world": world.name,
        "description": f"{what} in generated world {world.name}",
        "trigger": {"incident": incident.id},
        "expected": expected,
        "tags": tags,
    }
    if fault_kind:
        doc["fault_kind"] = fault_kind
        doc["description"] += f"; {', '.join(world.sources_down)} down: its signal is unreachable, abstain"
    return doc


def _pairs(world: World) -> list[tuple[IncidentSpec, IncidentSpec]]:
    """(first fault, the second fault the realism switch added at the same time)."""
    by_id = {i.id: i for i in world.incidents}
    pairs = []
    for incident in world.incidents:
        first_id, sep, _ = incident.id.rpartition("-and-")
        if sep and first_id in by_id and incident.alert and by_id[first_id].alert:
            pairs.append((by_id[first_id], incident))
    return pairs


def _grouped_doc(
    world: World, pair: tuple[IncidentSpec, IncidentSpec], target: IncidentSpec, sid: str, base: list[str]
) -> Doc:
    """One Alertmanager payload with both alerts (no ``startsAt``, as a re-sent group may lack it)."""
    alerts = [_alert_of(incident) for incident in pair]
    expected, fault_kind = _expected(world, target)
    doc: Doc = {
        "id": sid,
        "agent": "triage",
        "world": world.name,
        "description": f"two faults at once in one payload ({pair[0].kind} + {pair[1].kind}); graded on"
        f" {target.kind}",
        "trigger": {
            "payload": {"version": "4", "status": "firing", "receiver": "referent", "alerts": alerts}
        },
        "expected": expected,
        "tags": [*base, "grouped", "second-fault"],
    }
    if fault_kind:
        doc["fault_kind"] = fault_kind
    return doc


def _alert_of(incident: IncidentSpec) -> Doc:
    assert incident.alert is not None
    a = incident.alert
    return {
        "status": "firing",
        "labels": {"alertname": a.alertname, "severity": a.severity, **a.labels},
        "annotations": {"summary": a.summary},
    }


def _false_alarm_doc(world: World, incident: IncidentSpec, sid: str, base: list[str]) -> Doc:
    """The alert of a fault the world does not have: abstain, whatever harmless traces remain."""
    return {
        "id": sid,
        "agent": "triage",
        "world": world.name,
        "description": f"a false {incident.alert.alertname if incident.alert else ''} alert: no {incident.kind}"
        " in this world (a harmless trace may remain, e.g. a deploy of the same model): abstain",
        "trigger": {"payload": {"version": "4", "status": "firing", "alerts": [_alert_of(incident)]}},
        "expected": {"abstain": True},
        "fault_kind": "false_alarm",
        "tags": [*base, "abstention", "competing-evidence"],
    }


def write_suite(seeds: list[int], directory: Path) -> list[Path]:
    """Write the scenarios of every seed's world into ``directory``; return the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for seed in seeds:
        for name, doc in scenarios_for(seed).items():
            path = directory / name
            path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
            written.append(path)
    return written
