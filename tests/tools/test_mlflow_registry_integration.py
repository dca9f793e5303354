"""MlflowRegistry against a real ``mlflow server`` loaded with the demo world (started once per module)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from evals.sandbox import processes
from evals.sandbox.mlflow_world import final_aliases, load_models, start_mlflow
from evals.worlds.schema import World, anchor_now, load_world
from tools.base import ActionClass
from tools.errors import BadInput, NotFound, SourceAuthError, SourceTimeout, SourceUnavailable
from tools.mlflow_registry import HISTORY_TAG, MlflowRegistry, SetAliasInput, http_env, specs

pytestmark = pytest.mark.integration


@dataclass
class Sandbox:
    uri: str
    world: World
    anchor: datetime
    registry: MlflowRegistry


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    world = load_world("demo")
    anchor = anchor_now(world.step)
    with pytest.MonkeyPatch.context() as mp:
        for key, value in http_env(timeout_s=10, max_retries=1).items():
            mp.setenv(key, value)
        proc, uri = start_mlflow(tmp_path_factory.mktemp("mlflow"))
        try:
            load_models(world, anchor, uri)
            yield Sandbox(uri, world, anchor, MlflowRegistry.from_uri(uri, clock=lambda: anchor))
        finally:
            processes.stop(proc)
        assert not processes.pid_alive(proc.pid), "a process of the mlflow group is still running"


@pytest.fixture
def fast_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in http_env(timeout_s=1, max_retries=0).items():
        monkeypatch.setenv(key, value)


# --- reads ---------------------------------------------------------------------------------------


def test_list_models_names_every_world_model(sandbox: Sandbox) -> None:
    names = [m.name for m in sandbox.registry.list_models()]
    assert names == sorted(m.name for m in sandbox.world.models)


def test_get_model_has_tags_aliases_and_newest_versions_first(sandbox: Sandbox) -> None:
    spec = sandbox.world.model("fraud-scorer")
    model = sandbox.registry.get_model("fraud-scorer")
    assert spec.tags.items() <= model.tags.items()
    assert model.description == spec.description
    assert model.aliases == final_aliases(spec) == {"champion": 4, "staging": 3}
    assert [v.version for v in model.latest_versions] == [4, 3, 2, 1]
    assert model.latest_versions[0].aliases == ["champion"]


def test_get_version_reports_world_tags_and_anchor_relative_creation(sandbox: Sandbox) -> None:
    spec = next(v for v in sandbox.world.model("fraud-scorer").versions if v.version == 4)
    info = sandbox.registry.get_version("fraud-scorer", 4)
    assert spec.tags.items() <= info.tags.items()
    assert info.created_at == sandbox.anchor - spec.created_ago
    assert info.description == spec.description
    assert info.status == "READY"
    assert info.run_id and info.source.startswith("models:/")
    assert info.aliases == ["champion"]


def test_get_alias_returns_the_aliased_version(sandbox: Sandbox) -> None:
    assert sandbox.registry.get_alias("chargeback-risk", "challenger").version == 3
    with pytest.raises(NotFound):
        sandbox.registry.get_alias("chargeback-risk", "no-such-alias")


def test_version_metrics_are_the_runs_metrics_and_params(sandbox: Sandbox) -> None:
    spec = next(v for v in sandbox.world.model("chargeback-risk").versions if v.version == 2)
    got = sandbox.registry.version_metrics("chargeback-risk", 2)
    assert got.metrics == pytest.approx(spec.metrics)
    assert got.params == spec.params
    assert got.status == "FINISHED"
    assert got.end_time == sandbox.anchor - spec.created_ago


def test_signature_comes_from_the_logged_model(sandbox: Sandbox) -> None:
    spec = next(v for v in sandbox.world.model("fraud-scorer").versions if v.version == 4)
    sig = sandbox.registry.signature("fraud-scorer", 4)
    assert sig.has_signature
    assert [(c.name, c.type) for c in sig.inputs] == [(f.name, f.type) for f in spec.inputs]
    assert [(c.name, c.type) for c in sig.outputs] == [(f.name, f.type) for f in spec.outputs]
    assert "txn_amount_sum_24h_cents" not in {
        c.name for c in sandbox.registry.signature("fraud-scorer", 3).inputs
    }


def test_alias_history_is_complete_and_ordered(sandbox: Sandbox) -> None:
    spec = sandbox.world.model("fraud-scorer")
    history = sandbox.registry.alias_history("fraud-scorer")
    assert len(history.events) == len(spec.alias_history)
    assert [e.at for e in history.events] == sorted(e.at for e in history.events)
    assert history.current == final_aliases(spec)
    last = history.events[-1]
    assert (last.alias, last.version, last.previous_version) == ("champion", 4, 3)
    assert last.by == "hotfix-deploy (marina.souza)"
    recent = sandbox.registry.alias_history("fraud-scorer", since_hours=4).events
    assert [(e.alias, e.version) for e in recent] == [("champion", 4)]


def test_changes_since_lists_moves_and_new_versions_in_the_window(sandbox: Sandbox) -> None:
    changes = sandbox.registry.changes_since("fraud-scorer", hours=25)
    assert [(m.alias, m.version, m.previous_version) for m in changes.alias_moves] == [("champion", 4, 3)]
    assert [v.version for v in changes.new_versions] == [4]
    assert sandbox.registry.changes_since("payout-anomaly", hours=25).alias_moves == []


# --- writes (on a copy, so the reads above see the world untouched) -----------------------------


def test_copy_then_set_alias_records_history_and_returns_previous(sandbox: Sandbox) -> None:
    reg = sandbox.registry
    first = reg.copy_version("payout-anomaly", 1, "payout-anomaly-copy")
    second = reg.copy_version("payout-anomaly", 2, "payout-anomaly-copy")
    assert (first.version, second.version) == (1, 2)
    assert reg.version_metrics("payout-anomaly-copy", 2).run_id == reg.get_version("payout-anomaly", 2).run_id

    assert reg.set_alias("payout-anomaly-copy", "champion", 1, by="alice").previous_version is None
    moved = reg.set_alias("payout-anomaly-copy", "champion", 2, by="bob")
    assert moved.previous_version == 1
    assert reg.get_alias("payout-anomaly-copy", "champion").version == 2
    events = reg.alias_history("payout-anomaly-copy").events
    assert [(e.version, e.previous_version, e.by) for e in events] == [(1, None, "alice"), (2, 1, "bob")]

    removed = reg.delete_alias("payout-anomaly-copy", "champion", by="carol")
    assert removed.previous_version == 2
    assert reg.alias_history("payout-anomaly-copy").events[-1].version is None
    with pytest.raises(NotFound):
        reg.delete_alias("payout-anomaly-copy", "champion", by="carol")


def test_set_tags_and_reserved_keys(sandbox: Sandbox) -> None:
    reg = sandbox.registry
    reg.copy_version("ato-detector", 2, "ato-detector-copy")
    assert reg.set_version_tag("ato-detector-copy", 1, "approval", "approved").tags["approval"] == "approved"
    assert reg.set_model_tag("ato-detector-copy", "tier", "2").tags["tier"] == "2"
    with pytest.raises(BadInput):
        reg.set_model_tag("ato-detector-copy", HISTORY_TAG, "[]")


def test_specs_call_through_their_input_models(sandbox: Sandbox) -> None:
    tools = {s.name: s for s in specs(sandbox.registry)}
    assert tools["mlflow.delete_alias"].action is ActionClass.DESTRUCTIVE
    assert {n for n, s in tools.items() if s.action is ActionClass.WRITE} == {
        "mlflow.set_alias",
        "mlflow.set_tag",
        "mlflow.copy_version",
    }
    got = tools["mlflow.get_alias"].func(
        tools["mlflow.get_alias"].input_model(model="fraud-scorer", alias="staging")
    )
    assert got.version == 3
    with pytest.raises(BadInput):
        tools["mlflow.set_alias"].func(SetAliasInput(model="fraud-scorer", alias="latest", version=1))


# --- failures ------------------------------------------------------------------------------------


def test_unknown_model_and_version_are_not_found(sandbox: Sandbox) -> None:
    with pytest.raises(NotFound) as err:
        sandbox.registry.get_model("no-such-model")
    assert err.value.source == "mlflow"
    with pytest.raises(NotFound):
        sandbox.registry.get_version("fraud-scorer", 99)


def test_reserved_alias_name_is_bad_input(sandbox: Sandbox) -> None:
    with pytest.raises(BadInput):
        sandbox.registry.set_alias("fraud-scorer", "v3", 3, by="test")
    assert sandbox.registry.get_model("fraud-scorer").aliases == {"champion": 4, "staging": 3}


@pytest.mark.timeout(60)
@pytest.mark.usefixtures("fast_fail")
def test_down_server_is_unavailable() -> None:
    registry = MlflowRegistry.from_uri(f"http://127.0.0.1:{processes.free_port()}")
    with pytest.raises(SourceUnavailable) as err:
        registry.list_models()
    assert err.value.source == "mlflow"


@pytest.mark.timeout(60)
@pytest.mark.usefixtures("fast_fail")
def test_server_that_never_answers_times_out() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        accepted: list[socket.socket] = []
        stop = threading.Event()

        def accept() -> None:
            listener.settimeout(0.2)
            while not stop.is_set():
                try:
                    accepted.append(listener.accept()[0])
                except OSError:
                    continue

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        try:
            registry = MlflowRegistry.from_uri(f"http://127.0.0.1:{listener.getsockname()[1]}")
            with pytest.raises(SourceTimeout):
                registry.get_model("fraud-scorer")
        finally:
            stop.set()
            thread.join()
            for conn in accepted:
                conn.close()
    assert accepted, "the client never connected"


class _Unauthorized(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(401)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"You are not authenticated.")

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.timeout(60)
@pytest.mark.usefixtures("fast_fail")
def test_401_is_an_auth_error() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Unauthorized)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(SourceAuthError):
            MlflowRegistry.from_uri(f"http://127.0.0.1:{server.server_address[1]}").get_model("x")
    finally:
        server.shutdown()
        server.server_close()
