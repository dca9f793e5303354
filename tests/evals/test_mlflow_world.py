"""The MLflow world loader: alias history semantics (pure) and idempotent loading (real server)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from mlflow.tracking import MlflowClient

from evals.sandbox import processes
from evals.sandbox.mlflow_world import alias_events, final_aliases, load_models, start_mlflow
from evals.worlds.schema import World, load_world
from tools.mlflow_registry import HISTORY_TAG, http_env

ANCHOR = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_alias_events_are_oldest_first_with_previous_versions() -> None:
    spec = load_world("demo").model("fraud-scorer")
    events = alias_events(spec, ANCHOR)
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    champion = [(e["version"], e["previous_version"]) for e in events if e["alias"] == "champion"]
    assert champion == [(1, None), (2, 1), (3, 2), (4, 3)]
    assert events[-1]["at"] == "2026-11-27T09:00:00+00:00"
    assert events[-1]["by"] == "hotfix-deploy (marina.souza)"


@pytest.mark.parametrize("model", [m.name for m in load_world("demo").models])
def test_final_aliases_agree_with_the_world_at_the_anchor(model: str) -> None:
    spec = load_world("demo").model(model)
    expected = {e.alias: spec.alias_at(e.alias, ANCHOR - ANCHOR) for e in spec.alias_history}
    assert final_aliases(spec) == expected
    last = {e["alias"]: e["version"] for e in alias_events(spec, ANCHOR)}
    assert last == expected


# --- against a real server ---------------------------------------------------------------------


@dataclass
class Loaded:
    world: World
    client: MlflowClient
    uri: str


def _small_world() -> World:
    demo = load_world("demo")
    keep = [
        demo.model("chargeback-risk").model_copy(update={"serving_workload": None, "features": []}),
        demo.model("ato-detector").model_copy(update={"serving_workload": None, "features": []}),
    ]
    return World(name="mlflow-test", models=keep)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    world = _small_world()
    with pytest.MonkeyPatch.context() as mp:
        for key, value in http_env(timeout_s=30, max_retries=1).items():
            mp.setenv(key, value)
        proc, uri = start_mlflow(tmp_path_factory.mktemp("mlflow-world"))
        try:
            report = load_models(world, ANCHOR, uri)
            assert report.loaded == [m.name for m in world.models]
            yield Loaded(world, MlflowClient(uri), uri)
        finally:
            processes.stop(proc)
        assert not processes.pid_alive(proc.pid)


@pytest.mark.integration
def test_loaded_aliases_and_history_tag_match_the_world(loaded: Loaded) -> None:
    for spec in loaded.world.models:
        model = loaded.client.get_registered_model(spec.name)
        assert {a: int(v) for a, v in model.aliases.items()} == final_aliases(spec)
        assert json.loads(model.tags[HISTORY_TAG]) == alias_events(spec, ANCHOR)


@pytest.mark.integration
def test_runs_are_back_dated_from_the_anchor(loaded: Loaded) -> None:
    spec = loaded.world.model("ato-detector")
    for v in spec.versions:
        mv = loaded.client.get_model_version(spec.name, str(v.version))
        run = loaded.client.get_run(mv.run_id)
        assert run.info.end_time == int((ANCHOR - v.created_ago).timestamp() * 1000)
        assert run.data.params == v.params


@pytest.mark.integration
def test_second_load_skips_everything(loaded: Loaded) -> None:
    report = load_models(loaded.world, ANCHOR, loaded.uri)
    assert report.loaded == []
    assert report.skipped == [m.name for m in loaded.world.models]
    versions = loaded.client.search_model_versions("name = 'chargeback-risk'")
    assert sorted(int(v.version) for v in versions) == [1, 2, 3]


@pytest.mark.integration
def test_partial_model_is_reloaded(loaded: Loaded) -> None:
    loaded.client.delete_model_version("ato-detector", "2")
    report = load_models(loaded.world, ANCHOR, loaded.uri)
    assert report.loaded == ["ato-detector"]
    assert report.skipped == ["chargeback-risk"]
    versions = loaded.client.search_model_versions("name = 'ato-detector'")
    assert sorted(int(v.version) for v in versions) == [1, 2]
    experiment = loaded.client.get_experiment_by_name("ato-detector-training")
    assert experiment is not None
    assert len(loaded.client.search_runs([experiment.experiment_id])) == 2
