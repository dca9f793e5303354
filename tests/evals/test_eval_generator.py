"""World generator and the eval CLI's input errors (no servers)."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from api.cli import app
from evals.generator.suites import scenarios_for
from evals.generator.worlds import generate_raw, generate_world
from evals.harness.scenario import Scenario
from evals.worlds import load_world
from evals.worlds.schema import World


def test_generated_worlds_are_valid_deterministic_and_differ() -> None:
    demo = load_world("demo")
    worlds = [generate_world(seed) for seed in range(1, 9)]
    assert generate_world(3) == worlds[2]
    assert len({w.models[0].name for w in worlds}) > 1
    assert len({w.workload(w.models[0].serving_workload or "").namespace for w in worlds}) > 1
    assert len({tuple(i.id for i in w.incidents) for w in worlds}) > 1
    demo_ids = {i.id for i in demo.incidents}
    for w in worlds:
        assert w.name.startswith("gen-") and len(w.incidents) >= 3
        # template incidents, plus a second fault the realism switch adds next to one of them
        assert {i.id.split("-and-")[0] for i in w.incidents} <= demo_ids
        assert not {m.name for m in w.models} & {m.name for m in demo.models}
        for incident in w.incidents:  # the alert names what the incident hits, renamed consistently
            labels = incident.alert.labels if incident.alert else {}
            if incident.model and "model" in labels:
                assert labels["model"] == incident.model
    assert {w.alias_history_tag for w in worlds} == {True, False}


def test_generated_scenarios_validate() -> None:
    docs = scenarios_for(5)
    world = generate_world(5)
    alerts = [i for i in world.incidents if i.alert]
    single = [d for d in docs.values() if "incident" in d["trigger"]]  # type: ignore[operator]
    assert len(single) == len(alerts)
    assert sum(1 for d in docs.values() if d["expected"] == {"abstain": True}) >= 1
    for doc in docs.values():
        Scenario.model_validate(doc)


def test_cli_generate_prints_a_valid_world() -> None:
    result = CliRunner().invoke(app, ["eval", "worlds", "generate", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert World.model_validate(yaml.safe_load(result.output)).name == "gen-2"
    assert yaml.safe_load(result.output) == generate_raw(2)


def test_cli_run_rejects_bad_input(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["eval", "run", "--suite", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "no such suite" in missing.output
    (tmp_path / "bad.yaml").write_text("id: x\nagent: triage\ntrigger: {}\nexpected: {abstain: true}\n")
    invalid = runner.invoke(app, ["eval", "run", "--suite", str(tmp_path)])
    assert invalid.exit_code == 2 and "exactly one" in invalid.output
