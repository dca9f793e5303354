"""The generator's realism switches: each turned on by some seeds, seed-driven, and valid worlds (no servers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from evals.generator import realism
from evals.generator.worlds import dropped_incidents, generate_raw, generate_world, realism_of
from evals.sandbox import world as sandbox
from evals.sandbox.processes import ServerProcess
from evals.worlds import load_world
from evals.worlds.schema import World

SEEDS = range(1, 61)
WORLDS = {seed: generate_world(seed) for seed in SEEDS}
APPLIED = {seed: realism_of(seed) for seed in SEEDS}
DEMO = load_world("demo")


def _on(switch: str) -> list[int]:
    return [s for s in SEEDS if switch in APPLIED[s].notes]


@pytest.mark.parametrize("switch", [*realism.SWITCHES, "severity"])
def test_every_switch_is_on_for_some_seeds_and_off_for_others(switch: str) -> None:
    on = _on(switch)
    assert 0 < len(on) < len(SEEDS), switch
    assert generate_raw(on[0]) == generate_raw(on[0])  # the seed alone decides
    assert all(APPLIED[s].notes[switch].split(":")[0] in WORLDS[s].description for s in on)


def test_severity_levels_move_each_kind_both_ways() -> None:
    template = {i.kind: i for i in DEMO.incidents}
    seen: dict[str, set[str]] = {}
    for seed in SEEDS:
        for inc in WORLDS[seed].incidents:
            level = APPLIED[seed].levels.get(inc.id)
            if level is None or "-and-" in inc.id:
                continue
            seen.setdefault(inc.kind, set()).add(level)
            normal = template[inc.kind]
            if inc.kind in realism.MAGNITUDE and level != "normal":
                assert (inc.magnitude < normal.magnitude) == (level == "weak"), (seed, inc.id)
            if inc.kind in ("oom", "idle_gpu") and level == "weak":
                assert inc.start_ago < timedelta(days=2)
            if inc.kind == "stale_feature_view":  # the view stopped when the fault started
                view = WORLDS[seed].feature_view(str(inc.feature_view))
                assert view.last_materialized_ago == inc.start_ago > view.ttl
    for kind in (*realism.MAGNITUDE, *realism.DURATION, "stale_feature_view"):
        assert {"weak", "strong"} <= seen[kind], kind


def test_timings_move_the_bad_deploy_with_the_fault_and_lag_the_alert() -> None:
    anchor = datetime(2026, 12, 1, tzinfo=UTC)
    lags = set()
    for seed in _on("timings"):
        world = WORLDS[seed]
        for inc in world.incidents:
            if inc.alert is None:
                continue
            lags.add(inc.alert.lag)
            assert inc.alert.lag <= inc.start_ago / 2
            starts = datetime.fromisoformat(inc.firing_alert(anchor)["startsAt"])
            assert starts == anchor - inc.start_ago + inc.alert.lag
            if inc.kind == "bad_model_version":
                model = world.model(str(inc.model))
                assert model.alias_at("champion", inc.start_ago) == inc.version
                assert model.alias_at("champion", inc.start_ago + timedelta(minutes=5)) != inc.version
    assert len(lags) >= 3
    onsets = {i.start_ago for s in _on("timings") for i in WORLDS[s].incidents if i.kind == "cpu_saturation"}
    assert len(onsets) >= 2


def test_harmless_deploy_is_a_healthy_champion_near_an_unrelated_fault() -> None:
    for seed in _on("harmless_deploy"):
        world = WORLDS[seed]
        near = APPLIED[seed].notes["harmless_deploy"].rsplit("near ", 1)[1]
        fault = next(i for i in world.incidents if i.id == near)
        model = world.model(str(fault.model))
        assert not [i for i in world.incidents if i.kind == "bad_model_version" and i.model == model.name]
        newest = max(model.versions, key=lambda v: v.version)
        move = next(e for e in model.alias_history if e.version == newest.version)
        assert move.alias == "champion" and model.alias_at("champion", timedelta(0)) == newest.version
        before = model.alias_at("champion", move.ago + timedelta(minutes=1))
        previous = next(v for v in model.versions if v.version == before)
        assert newest.inputs == previous.inputs and newest.tags == previous.tags  # same signature, approved
        assert abs((move.ago - fault.start_ago).total_seconds()) <= 2 * 3600 or move.ago == timedelta(
            minutes=5
        )


def test_second_fault_hits_the_first_faults_workload_at_about_the_same_time() -> None:
    kinds = set()
    for seed in _on("second_fault"):
        world = WORLDS[seed]
        second = next(i for i in world.incidents if "-and-" in i.id)
        first = next(i for i in world.incidents if i.id == second.id.rpartition("-and-")[0])
        target = first.workload or world.model(str(first.model)).serving_workload
        assert second.workload == target and second.alert is not None
        assert second.alert.labels["workload"] == target
        assert abs(
            (second.start_ago - first.start_ago).total_seconds()
        ) <= 20 * 60 or second.start_ago == timedelta(minutes=50)
        kinds.add(second.kind)
    assert kinds == {"oom", "cpu_saturation"}


def test_source_down_and_thin_history_are_world_fields() -> None:
    down = {s for seed in _on("source_down") for s in WORLDS[seed].sources_down}
    assert down == {"prometheus", "mlflow", "feast"}
    assert all(not WORLDS[s].sources_down for s in SEEDS if s not in _on("source_down"))
    for seed in _on("thin_history"):
        assert WORLDS[seed].history <= timedelta(days=2) and WORLDS[seed].billing.days <= 2
    assert all(WORLDS[s].history == DEMO.history for s in SEEDS if s not in _on("thin_history"))


def test_hidden_only_when_every_source_of_the_signal_is_down() -> None:
    assert realism.hidden("oom", ["prometheus"]) and not realism.hidden("oom", ["mlflow"])
    assert not realism.hidden("bad_model_version", ["prometheus"])
    assert realism.hidden("bad_model_version", ["prometheus", "mlflow"])
    assert realism.hidden("online_offline_skew", ["feast"]) and not realism.hidden("input_drift", ["feast"])
    assert realism.hidden("some_new_kind", ["prometheus"])  # unknown kinds: a Prometheus signal


def test_dropped_incidents_are_renamed_and_absent_from_the_world() -> None:
    for seed in (1, 3, 4):
        world = WORLDS[seed]
        dropped = dropped_incidents(seed)
        assert dropped and not {i.id for i in dropped} & {i.id for i in world.incidents}
        names = {m.name for m in world.models} | {w.name for w in world.workloads}
        for inc in dropped:
            assert {x for x in (inc.model, inc.workload) if x} <= names


def test_a_down_source_is_advertised_where_nothing_answers(tmp_path: Path) -> None:
    procs = [
        ServerProcess(name=n, pid=0, port=p, log="") for n, p in (("alertmanager", 1), ("prometheus", 2))
    ]
    sources = sandbox._Sources(procs[0], procs[1], tmp_path / "feast", tmp_path / "billing")
    anchor = datetime(2026, 12, 1, tzinfo=UTC)
    up = sandbox._endpoints(DEMO, anchor, tmp_path, "http://127.0.0.1:3", sources, 0.0)
    assert up["prometheus_url"].endswith(":2") and up["sources_down"] == []
    world = World.model_validate({**DEMO.model_dump(), "sources_down": ["prometheus", "feast"]})
    down = sandbox._endpoints(world, anchor, tmp_path, "http://127.0.0.1:3", sources, 0.0)
    assert down["prometheus_url"] == sandbox._UNREACHABLE and down["mlflow_uri"].endswith(":3")
    assert not Path(down["feast_repo"]).exists() and down["sources_down"] == ["feast", "prometheus"]
