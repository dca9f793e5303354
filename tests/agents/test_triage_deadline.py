"""Triage against a hung Prometheus (a local server that accepts and never answers).

The run finishes within its deadline plus a margin; Prometheus is asked once, then skipped for the
rest of the run (counted in the audit log); the report names the source; past the run's deadline no
tool is called and the report lists the collectors that had not finished.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from agents.deps import AgentDeps
from agents.settings import LLMSettings
from agents.testing import ScriptedChatModel
from agents.triage.render import to_markdown
from agents.triage.run import run_triage
from guardrails.calls import CallContext
from guardrails.factory import Runtime, build_runtime
from guardrails.settings import GuardrailSettings
from tools.settings import PlatformSettings

MARGIN_S = 2.0  # graph scheduling and report building on a busy 2-core machine


class HungServer:
    """Accepts connections and reads them, never answers; counts connections."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.accepted = 0
        self._conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.accepted += 1
            self._conns.append(conn)
            threading.Thread(target=self._drain, args=(conn,), daemon=True).start()

    @staticmethod
    def _drain(conn: socket.socket) -> None:
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass

    def close(self) -> None:
        self._sock.close()
        for conn in self._conns:
            conn.close()


@pytest.fixture
def prometheus() -> Iterator[HungServer]:
    server = HungServer()
    yield server
    server.close()


def _runtime(tmp_path: Path, prometheus: HungServer, tool_timeout_s: float) -> Runtime:
    settings = GuardrailSettings(
        state_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'state.db'}",
        pseudonym_key=SecretStr("test-pseudonym-key-0123456789abcdef"),
        redaction_nlp=False,
    )
    platform = PlatformSettings(prometheus_url=prometheus.url, tool_timeout_s=tool_timeout_s)
    return build_runtime(settings, platform)


def _alert() -> dict[str, object]:
    return {
        "status": "firing",
        "labels": {
            "alertname": "ModelLatencyHigh",
            "model": "fraud-scorer",
            "namespace": "fraud",
            "workload": "fraud-scorer",
            "severity": "critical",
        },
        "annotations": {"summary": "p99 latency of fraud-scorer above 250 ms"},
        "startsAt": "2026-11-27T09:10:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus/graph?g0.expr=up",
    }


def _deps(rt: Runtime, deadline_s: float, **kwargs: object) -> AgentDeps:
    ctx = CallContext("agent:triage", f"triage-{uuid.uuid4().hex[:8]}")
    return AgentDeps(rt.gateway, ctx, llm=LLMSettings(triage_deadline_s=deadline_s), **kwargs)  # type: ignore[arg-type]


def _prometheus_outcomes(rt: Runtime, run_id: str) -> list[str]:
    return [r.outcome for r in rt.audit.tail(500, run_id=run_id) if r.tool.startswith("prometheus.")]


def test_hung_prometheus_is_asked_once_and_named_in_the_report(
    tmp_path: Path, prometheus: HungServer
) -> None:
    rt = _runtime(tmp_path, prometheus, tool_timeout_s=1.5)
    try:
        deps = _deps(rt, deadline_s=60)
        started = time.monotonic()
        report = run_triage(deps, _alert())
        took = time.monotonic() - started
    finally:
        rt.close()
    outcomes = _prometheus_outcomes(rt, deps.ctx.run_id)
    timed_out = [o for o in outcomes if o == "error:timeout"]
    # collectors run in parallel: a few may be waiting on Prometheus when the first times out
    assert 1 <= len(timed_out) <= 3 and prometheus.accepted == len(timed_out)
    assert outcomes.count("skipped:source_timed_out") >= 3
    assert set(outcomes) == {"error:timeout", "skipped:source_timed_out"}
    assert took <= 2 * 1.5 + MARGIN_S  # today: every Prometheus call waited its full timeout
    assert "prometheus" in report.missing_sources
    state = next(s for s in report.sources if s.source == "prometheus")
    assert "timed out" in state.error or "no answer" in state.error
    assert report.unfinished_collectors == []
    assert "prometheus" in to_markdown(report)


def test_run_deadline_stops_further_calls_and_lists_unfinished_collectors(
    tmp_path: Path, prometheus: HungServer
) -> None:
    rt = _runtime(tmp_path, prometheus, tool_timeout_s=30)  # the run deadline is the shorter one
    try:
        deps = _deps(rt, deadline_s=1.0)
        started = time.monotonic()
        report = run_triage(deps, _alert())
        took = time.monotonic() - started
        records = rt.audit.tail(500, run_id=deps.ctx.run_id)
    finally:
        rt.close()
    assert took <= 1.0 + MARGIN_S
    assert prometheus.accepted == 1  # the first call, cut at the deadline
    late = [r for r in records if r.outcome == "skipped:deadline"]
    assert late, "calls after the deadline were not refused"
    assert all(r.outcome.startswith("skipped:") for r in records if r.seq > late[0].seq)
    assert report.unfinished_collectors  # resolve and every collector ran into the deadline
    assert set(report.unfinished_collectors) <= {"resolve", *report.collectors}
    assert "not finished by the triage deadline" in to_markdown(report)


def test_the_model_is_not_asked_after_the_deadline(tmp_path: Path, prometheus: HungServer) -> None:
    rt = _runtime(tmp_path, prometheus, tool_timeout_s=30)
    chat = ScriptedChatModel(script=[])  # any request would fail: the script is empty
    try:
        deps = _deps(rt, deadline_s=0.5, chat=chat)
        report = run_triage(deps, _alert())
        llm_records = [r for r in rt.audit.tail(500, run_id=deps.ctx.run_id) if r.kind == "llm"]
    finally:
        rt.close()
    assert report.llm_stats.get("skipped", "").startswith("the triage deadline passed")
    assert llm_records == [] and chat.received == []
    assert report.hypotheses or report.abstained  # the deterministic answer from what was gathered
