"""Scenario files for generated worlds: one triage scenario per incident with an alert, plus an
abstention case (an alert on a healthy workload), expected outcomes read from the world."""

from __future__ import annotations

from pathlib import Path

import yaml

from evals.generator.worlds import generate_world

HEALTHY_ALERT = "../../scenarios/triage/healthy-mlflow-tracking.json"


def scenarios_for(seed: int) -> dict[str, dict[str, object]]:
    """File name → scenario document for the world ``gen-<seed>``."""
    world = generate_world(seed)
    docs: dict[str, dict[str, object]] = {}
    for incident in world.incidents:
        if incident.alert is None:
            continue
        sid = f"{world.name}-{incident.id.removeprefix('INC-').lower()}"
        docs[f"{sid}.yaml"] = {
            "id": sid,
            "agent": "triage",
            "world": world.name,
            "description": f"{incident.kind} (magnitude {incident.magnitude}) in generated world {world.name}",
            "trigger": {"incident": incident.id},
            "expected": {"from_incident": incident.id},
            "tags": ["generated"],
        }
    sid = f"{world.name}-healthy"
    docs[f"{sid}.yaml"] = {
        "id": sid,
        "agent": "triage",
        "world": world.name,
        "description": "an alert on a healthy workload of a generated world: abstain",
        "trigger": {"alert_file": HEALTHY_ALERT},
        "expected": {"abstain": True},
        "tags": ["generated", "abstention"],
    }
    return docs


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
