"""Deadlines through the gateway, against real local servers that accept and never answer.

A source that timed out is skipped for the rest of its run; the run's deadline refuses later calls
and caps each call; the clients give up when the gateway does (the hung server sees its connection
closed), MLflow included; a subprocess tool leaves no process behind.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ibis
import pytest
from pydantic import BaseModel, SecretStr

from guardrails.calls import CallContext
from guardrails.errors import ToolFailed
from guardrails.factory import Runtime, build_runtime
from guardrails.settings import GuardrailSettings
from tools.base import ActionClass, ToolSpec, run_with_deadline, time_left
from tools.billing.tool import interrupt_at_deadline
from tools.errors import SourceTimeout
from tools.mlflow_registry.client import LazyMlflowClient, load_header_providers
from tools.mlflow_registry.http import http_env, request_budget
from tools.promtool import run_bounded
from tools.settings import PlatformSettings

MARGIN_S = 0.6  # scheduling slack on a busy 2-core machine

POLICY = """
version: 1
rules:
  - name: reads
    principals: ["agent:*"]
    tools: ["prometheus.*", "mlflow.*", "runbooks.*", "proc.*"]
    actions: [read]
    decision: allow
budgets:
  "*": {tool_calls: 100}
"""


class HungServer:
    """A TCP server that accepts connections, reads what comes, and never answers.

    ``accepted`` counts connections; ``open`` is how many the clients have not closed yet, and
    ``closed_at`` when each was closed by its client.
    """

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.accepted = 0
        self.closed_at: list[float] = []
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def open(self) -> int:
        with self._lock:
            return self.accepted - len(self.closed_at)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with self._lock:
                self.accepted += 1
                self._conns.append(conn)
            threading.Thread(target=self._drain, args=(conn,), daemon=True).start()

    def _drain(self, conn: socket.socket) -> None:
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass
        with self._lock:
            self.closed_at.append(time.monotonic())

    def wait_closed(self, within_s: float) -> bool:
        end = time.monotonic() + within_s
        while self.open and time.monotonic() < end:
            time.sleep(0.02)
        return self.open == 0

    def close(self) -> None:
        self._sock.close()
        with self._lock:
            for conn in self._conns:
                conn.close()


class SleepArgs(BaseModel):
    pid_file: str


def _sleeper(args: SleepArgs) -> Any:
    """A subprocess tool: a shell whose child and grandchild sleep for 30 s."""
    script = f"echo $$ > {args.pid_file}; sleep 30 & sleep 30"
    return run_bounded(["sh", "-c", script], time_left(60.0)).returncode


@pytest.fixture
def servers() -> Iterator[tuple[HungServer, HungServer]]:
    prometheus, mlflow = HungServer(), HungServer()
    yield prometheus, mlflow
    prometheus.close()
    mlflow.close()


def _runtime(tmp_path: Path, platform: PlatformSettings) -> Runtime:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    settings = GuardrailSettings(
        state_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'state.db'}",
        policy_file=policy,
        pseudonym_key=SecretStr("test-pseudonym-key-0123456789abcdef"),
        redaction_nlp=False,
    )
    sleeper = ToolSpec(
        "proc.sleep", "Sleeps in a subprocess.", SleepArgs, ActionClass.READ, _sleeper, "proc", timeout_s=0.8
    )
    return build_runtime(settings, platform, extra_specs=[sleeper])


@pytest.fixture
def mlflow_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runtime writes MLflow's HTTP variables into os.environ: restore them after the test."""
    for name in http_env():
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def rt(tmp_path: Path, servers: tuple[HungServer, HungServer], mlflow_env: None) -> Iterator[Runtime]:
    prometheus, mlflow = servers
    platform = PlatformSettings(
        prometheus_url=prometheus.url, mlflow_tracking_uri=mlflow.url, tool_timeout_s=1.5
    )
    runtime = _runtime(tmp_path, platform)
    yield runtime
    runtime.close()


def _ctx(deadline_s: float | None = None) -> CallContext:
    deadline = None if deadline_s is None else time.monotonic() + deadline_s
    return CallContext("agent:triage", f"run-{uuid.uuid4().hex[:8]}", deadline=deadline)


def _timed_call(rt: Runtime, ctx: CallContext, tool: str, args: dict[str, Any]) -> tuple[ToolFailed, float]:
    started = time.monotonic()
    with pytest.raises(ToolFailed) as failed:
        rt.gateway.call(ctx, tool, args)
    return failed.value, time.monotonic() - started


def _outcomes(rt: Runtime, ctx: CallContext) -> list[tuple[str, str]]:
    return [(r.tool, r.outcome) for r in rt.audit.tail(50, run_id=ctx.run_id)]


def test_every_platform_tool_gets_the_one_timeout_setting(rt: Runtime) -> None:
    specs = {s.name: s for s in rt.gateway.specs()}
    assert {specs[n].timeout_s for n in specs if n.startswith(("prometheus.", "mlflow.", "billing."))} == {
        1.5
    }
    assert specs["feast.freshness"].timeout_s == 1.5
    assert specs["feast.materialize"].timeout_s == 1.5 * 20  # a backfill: a declared multiple
    assert specs["promtool.check_queries"].timeout_s == 1.5 * 12
    assert specs["runbooks.find"].timeout_s == 1.5
    assert specs["proc.sleep"].timeout_s == 0.8  # extra specs keep their own


def test_hung_prometheus_is_called_once_then_skipped_for_the_run(
    rt: Runtime, servers: tuple[HungServer, HungServer]
) -> None:
    prometheus, _ = servers
    ctx = _ctx()
    first, took = _timed_call(rt, ctx, "prometheus.query", {"promql": "up"})
    assert (first.failure, first.source) == ("timeout", "prometheus")
    assert 1.0 <= took <= 1.5 + MARGIN_S
    assert prometheus.wait_closed(MARGIN_S), "the client still holds the connection after the timeout"

    for tool, args in [("prometheus.query_range", {"promql": "up"}), ("prometheus.alerts", {})]:
        skipped, took = _timed_call(rt, ctx, tool, args)
        assert (skipped.failure, skipped.source) == ("timeout", "prometheus")
        assert skipped.message.startswith("skipped: prometheus timed out earlier in this run")
        assert took < 0.3
    assert prometheus.accepted == 1
    assert _outcomes(rt, ctx) == [
        ("prometheus.query", "error:timeout"),
        ("prometheus.query_range", "skipped:source_timed_out"),
        ("prometheus.alerts", "skipped:source_timed_out"),
    ]
    assert rt.audit.verify().ok

    other_run = _ctx()  # another run asks again
    _timed_call(rt, other_run, "prometheus.query", {"promql": "up"})
    assert prometheus.accepted == 2


def test_run_deadline_caps_the_call_and_refuses_later_ones(
    rt: Runtime, servers: tuple[HungServer, HungServer]
) -> None:
    prometheus, mlflow = servers
    ctx = _ctx(deadline_s=0.7)  # less than the 1.5 s tool timeout
    capped, took = _timed_call(rt, ctx, "prometheus.query", {"promql": "up"})
    assert capped.failure == "timeout"
    assert took <= 0.7 + MARGIN_S
    assert prometheus.wait_closed(MARGIN_S), "the capped call kept its connection open"

    refused, took = _timed_call(rt, ctx, "mlflow.list_models", {})
    assert (refused.failure, refused.source) == ("timeout", "mlflow")
    assert refused.message == "skipped: the run's deadline has passed"
    assert took < 0.3 and mlflow.accepted == 0  # never called
    assert _outcomes(rt, ctx) == [
        ("prometheus.query", "error:timeout"),
        ("mlflow.list_models", "skipped:deadline"),
    ]
    assert rt.gateway.budget(ctx).tool_calls == 1  # a refused call is not charged


def test_mlflow_gives_up_within_the_tool_timeout(rt: Runtime, servers: tuple[HungServer, HungServer]) -> None:
    _, mlflow = servers
    load_header_providers()  # MLflow's import (a second, once per process) is not what is measured here
    timeout, retries = request_budget(1.5, 1)
    assert os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] == str(timeout)
    assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == str(retries)
    ctx = _ctx()
    failed, took = _timed_call(rt, ctx, "mlflow.list_models", {})
    assert (failed.failure, failed.source) == ("timeout", "mlflow")
    assert took <= 1.5 + MARGIN_S
    assert mlflow.accepted >= 1 and mlflow.wait_closed(MARGIN_S), "MLflow's request outlived the call"

    skipped, _ = _timed_call(rt, ctx, "mlflow.get_model", {"model": "fraud-scorer"})
    assert skipped.message.startswith("skipped: mlflow timed out earlier in this run")


def test_request_budget_fits_the_tool_timeout() -> None:
    for tool_timeout in (1.2, 3, 5, 15, 30, 120):
        for wanted in (0, 1, 3):
            timeout, retries = request_budget(tool_timeout, wanted)
            assert timeout >= 1 and 0 <= retries <= wanted
            assert (retries + 1) * timeout <= tool_timeout * 0.9
    assert request_budget(15, 1) == (6, 1)


def _group_alive(pgid: int) -> list[int]:
    """Live (not zombie) processes whose process group is ``pgid``."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(entry.name))
    return alive


def test_a_timed_out_subprocess_tool_leaves_no_process(rt: Runtime, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    failed, took = _timed_call(rt, _ctx(), "proc.sleep", {"pid_file": str(pid_file)})
    assert failed.failure == "timeout" and took <= 0.8 + MARGIN_S
    pgid = int(pid_file.read_text())
    end = time.monotonic() + MARGIN_S
    while _group_alive(pgid) and time.monotonic() < end:
        time.sleep(0.02)
    assert _group_alive(pgid) == []


def test_run_bounded_kills_the_whole_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    with pytest.raises(Exception, match="timed out"):
        run_bounded(["sh", "-c", f"echo $$ > {pid_file}; sleep 30 & sleep 30"], 0.3)
    assert time.monotonic() - started < 0.3 + MARGIN_S
    assert _group_alive(int(pid_file.read_text())) == []


def test_duckdb_query_is_interrupted_at_the_deadline() -> None:
    con = ibis.duckdb.connect()
    slow = con.sql(
        "SELECT count(*) AS n FROM range(100000000) a, range(100000) b WHERE a.range + b.range = -1"
    )

    def run(_: None) -> Any:
        with interrupt_at_deadline(con) as fired:
            try:
                return slow.to_pyarrow()
            except Exception as exc:
                assert fired.is_set()
                raise SourceTimeout("billing", "interrupted") from exc

    started = time.monotonic()
    with pytest.raises(SourceTimeout):
        run_with_deadline(time.monotonic() + 0.5, run, None)
    assert time.monotonic() - started < 0.5 + MARGIN_S
    assert con.sql("SELECT 1 AS one").to_pyarrow().to_pylist() == [{"one": 1}]  # still usable


def test_no_mlflow_request_once_the_call_has_no_time_left(servers: tuple[HungServer, HungServer]) -> None:
    _, mlflow = servers
    client = LazyMlflowClient(mlflow.url)  # built inside the call, as on a first MLflow call
    with pytest.raises(SourceTimeout):
        run_with_deadline(time.monotonic() - 0.1, lambda _: client.search_registered_models(), None)
    assert client.built and mlflow.accepted == 0
