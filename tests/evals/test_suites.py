"""The committed suites: every scenario validates, and generated scenarios agree with their worlds (no servers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evals.generator import realism
from evals.harness.runner import load_world_named
from evals.harness.scenario import Scenario, TriageExpected, TriageTrigger, find_incident, load_suite

SUITES = Path(__file__).resolve().parents[2] / "evals" / "suites"


@pytest.mark.parametrize("suite", sorted(p.name for p in SUITES.iterdir() if p.is_dir()))
def test_every_suite_validates(suite: str) -> None:
    assert load_suite(SUITES / suite)


def _generated() -> list[Scenario]:
    return [s for name in ("generated", "generated-realism") for s in load_suite(SUITES / name)]


def test_generated_scenarios_name_incidents_their_worlds_have() -> None:
    worlds: dict[str, Any] = {}
    for s in _generated():
        world = worlds.setdefault(s.world, load_world_named(s.world))
        assert isinstance(s.trigger, TriageTrigger) and isinstance(s.expected, TriageExpected)
        if s.trigger.incident:
            incident = find_incident(world, s.trigger.incident)
            # abstention is expected exactly when every source carrying the fault's signal is down
            hidden = realism.hidden(incident.kind, list(world.sources_down))
            assert s.expected.abstain == hidden, s.id
            assert (s.fault_kind == "source_down") == hidden, s.id
        if s.expected.from_incident:
            find_incident(world, s.expected.from_incident)


def test_hard_suites_cover_the_realism_switches() -> None:
    tags = {t for s in _generated() for t in s.tags}
    for tag in ("weak", "strong", "second-fault", "grouped", "harmless-deploy", "thin-history", "timings"):
        assert tag in tags, tag
    assert {t for t in tags if t.startswith("source-down:")} == {
        "source-down:prometheus",
        "source-down:mlflow",
        "source-down:feast",
    }
    kinds = {s.fault_kind for s in _generated()}
    assert {"source_down", "false_alarm"} <= kinds
    hard = load_suite(SUITES / "triage-hard")
    assert {s.fault_kind for s in hard} >= {"competing_evidence"}
    assert any(
        isinstance(s.trigger, TriageTrigger)
        and isinstance(s.trigger.payload, dict)
        and len(s.trigger.payload["alerts"]) == 3
        for s in hard
    )
