"""``referent serve`` as real processes.

* Restart durability: killed with SIGKILL mid-triage, it triages the alert exactly once after it starts
  again (DBOS recovers the workflow; the step reruns; one report).
* Scale-out: two ``--api-only`` and two ``--workers-only`` processes on one PostgreSQL process a storm
  delivered to both API replicas without double-processing.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration

AM_TOKEN = "am-token-0123456789abcdef"
VIEWER = "viewer-token-0123456789"
REFERENT = str(Path(sys.executable).with_name("referent"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class HangingServer:
    """A TCP server that accepts and never answers: a Prometheus that hangs (counts connections)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)

    def close(self) -> None:
        for conn in self.connections:
            conn.close()
        self.sock.close()


def service_env(state: Path, **extra: str) -> dict[str, str]:
    """Environment of a ``referent serve`` on ``state`` (tokens of the tests; no Slack)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERENT_")}
    env.update(
        REFERENT_STATE_DIR=str(state),
        REFERENT_ALERTMANAGER_TOKEN=AM_TOKEN,
        REFERENT_API_TOKENS=f'{{"{VIEWER}": {{"name": "viewer", "role": "viewer"}}}}',
        REFERENT_PSEUDONYM_KEY="restart-test-pseudonym-key-0123456789",
        REFERENT_REDACTION_NLP="false",
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        FEAST_USAGE="False",
        MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="true",
    )
    env.update(extra)
    return env


class Served:
    """One ``referent serve`` process group (stopped with SIGTERM, or killed with SIGKILL)."""

    def __init__(self, env: dict[str, str], *args: str, port: int | None = None, log: Path) -> None:
        self.port = port
        cmd = [REFERENT, "serve", *args] + ([] if port is None else ["--port", str(port)])
        self.log = log.open("ab")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=self.log, start_new_session=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"referent serve exited with {self.proc.returncode}"
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise TimeoutError("referent serve did not become ready")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.log.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[list[Served]]:
    started: list[Served] = []
    try:
        yield started
    finally:
        for s in started:
            s.kill(signal.SIGTERM)


def wait_for(check: Any, timeout: float = 120, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise TimeoutError(f"timed out waiting for {what}")


def triage_reports(state: Path) -> int:
    """Triage reports stored in the service's SQLite state."""
    from agents.reports import ReportStore
    from guardrails.store.db import Database

    db = Database(f"sqlite:///{state / 'referent.db'}")
    try:
        return len(ReportStore(db).list(kind="triage", limit=1000))
    finally:
        db.dispose()


ALERT = {
    "version": "4",
    "alerts": [
        {
            "status": "firing",
            "labels": {
                "alertname": "FraudScorerHighLatency",
                "service": "fraud-scorer",
                "severity": "critical",
            },
            "annotations": {"summary": "p99 latency above 300ms"},
            "startsAt": "2026-12-06T01:00:00Z",
            "fingerprint": "0123456789abcdef",
        }
    ],
}


def test_kill_mid_triage_then_restart_triages_exactly_once(tmp_path: Path, served: list[Served]):
    hanging = HangingServer()
    state, port = tmp_path / "state", free_port()
    env = service_env(
        state, REFERENT_PROMETHEUS_URL=f"http://127.0.0.1:{hanging.port}", REFERENT_TOOL_TIMEOUT_S="300"
    )
    first = Served(env, port=port, log=tmp_path / "serve.log")
    served.append(first)
    first.wait_ready()
    r = httpx.post(
        f"{first.url}/v1/alerts/alertmanager", json=ALERT, headers={"Authorization": f"Bearer {AM_TOKEN}"}
    )
    assert r.status_code == 202
    iid = r.json()["incidents"][0]
    wait_for(lambda: hanging.connections, what="triage to reach Prometheus")  # mid-triage now
    first.kill(signal.SIGKILL)
    hanging.close()
    assert triage_reports(state) == 0  # killed before any report was stored

    viewer = {"Authorization": f"Bearer {VIEWER}"}
    dead = free_port()  # Prometheus now refuses at once, so the rerun finishes quickly
    second = Served(
        {**env, "REFERENT_PROMETHEUS_URL": f"http://127.0.0.1:{dead}"}, port=port, log=tmp_path / "serve.log"
    )
    served.append(second)
    second.wait_ready()
    incident = wait_for(
        lambda: (
            (got := httpx.get(f"{second.url}/v1/incidents/{iid}", headers=viewer).json())["reports"] and got
        ),
        what="the recovered triage",
    )
    assert incident["status"] == "open" and len(incident["reports"]) == 1
    # the same delivery again (Alertmanager repeats it) attaches to the finished workflow
    again = httpx.post(
        f"{second.url}/v1/alerts/alertmanager", json=ALERT, headers={"Authorization": f"Bearer {AM_TOKEN}"}
    )
    assert again.json()["incidents"] == [iid]
    time.sleep(2)
    second.kill(signal.SIGTERM)
    assert triage_reports(state) == 1


def _alert(i: int) -> dict[str, Any]:
    return {
        "status": "firing",
        "labels": {"alertname": f"StormAlert{i % 5}", "pod": f"scorer-{i}", "severity": "warning"},
        "annotations": {"summary": f"storm alert {i}"},
        "startsAt": "2026-12-06T01:00:00Z",
        "fingerprint": f"{i:016x}",
    }


def test_two_apis_two_workers_on_postgres_process_a_storm_once(
    tmp_path: Path, served: list[Served], postgres_server
):
    import psycopg

    url = postgres_server.new_database()
    base = service_env(tmp_path / "state", REFERENT_DATABASE_URL=url)
    # the first process migrates both schemas (ours and DBOS's); the others start on a migrated database
    apis = [Served(base, "--api-only", port=free_port(), log=tmp_path / "api0.log")]
    served.extend(apis)
    apis[0].wait_ready()
    apis.append(Served(base, "--api-only", port=free_port(), log=tmp_path / "api1.log"))
    workers = [
        Served(
            {**base, "REFERENT_EXECUTOR_ID": f"worker-{i}"}, "--workers-only", log=tmp_path / f"worker{i}.log"
        )
        for i in range(2)
    ]
    served.extend(apis[1:] + workers)
    apis[1].wait_ready()
    auth = {"Authorization": f"Bearer {AM_TOKEN}"}
    storm = [{"version": "4", "alerts": [_alert(i), _alert(i + 1)]} for i in range(0, 50, 2)]
    ids: set[str] = set()
    with httpx.Client(timeout=60) as client:
        for payload in storm:  # every delivery reaches both replicas
            answers = [
                client.post(f"{api.url}/v1/alerts/alertmanager", json=payload, headers=auth) for api in apis
            ]
            assert [a.status_code for a in answers] == [202, 202]
            assert answers[0].json() == answers[1].json()
            ids.update(answers[0].json()["incidents"])
    assert len(ids) == 50
    viewer = {"Authorization": f"Bearer {VIEWER}"}

    def all_open() -> bool:
        listed = httpx.get(f"{apis[0].url}/v1/incidents?limit=500", headers=viewer).json()["incidents"]
        return len(listed) == 50 and all(i["status"] == "open" for i in listed)

    wait_for(all_open, timeout=300, what="50 incidents triaged")
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        reports = conn.execute(
            "SELECT subject, COUNT(*) FROM reports WHERE kind = 'triage' GROUP BY subject"
        ).fetchall()
        runs = conn.execute(
            "SELECT executor_id, COUNT(*) FROM dbos.workflow_status WHERE name = 'referent.triage' GROUP BY executor_id"
        ).fetchall()
    assert len(reports) == 50 and all(n == 1 for _, n in reports)
    by_executor = dict(runs)
    assert sum(by_executor.values()) == 50
    assert set(by_executor) <= {"worker-0", "worker-1"}, by_executor  # the API processes ran nothing


def test_prometheus_rule_fires_alertmanager_posts_service_triages_and_slack_gets_the_thread(
    tmp_path: Path, served: list[Served], demo_sandbox: dict[str, Any]
):
    """End to end on real servers: the world's Prometheus rule fires (``for: 0s``), the real Alertmanager
    posts to ``referent serve`` with the bearer token, triage runs on the demo world, the report is
    stored, and the Slack recorder gets the incident's root message and the report in its thread."""
    from datetime import datetime

    from evals.sandbox import processes
    from evals.sandbox.prometheus_world import start_alertmanager, start_prometheus
    from evals.sandbox.slack_recorder import SlackRecorder
    from evals.worlds import load_world

    port = free_port()
    with SlackRecorder(token="xoxb-test-token") as slack:
        env = service_env(
            tmp_path / "state",
            REFERENT_SANDBOX_DIR=demo_sandbox["dir"],
            REFERENT_SLACK_BOT_TOKEN="xoxb-test-token",
            REFERENT_SLACK_API_URL=slack.api_url,
            REFERENT_SLACK_CHANNEL="C0INCIDENTS",
            REFERENT_PUBLIC_URL=f"http://127.0.0.1:{port}",
        )
        started: list[Any] = []
        try:
            am = start_alertmanager(
                tmp_path / "am", f"http://127.0.0.1:{port}/v1/alerts/alertmanager", AM_TOKEN
            )
            started.append(am)
            anchor = datetime.fromisoformat(demo_sandbox["anchor"])
            prom = start_prometheus(
                load_world("demo"), anchor, tmp_path / "prom", alertmanager_port=am.port, alert_for="0s"
            )
            started.append(prom)
            env["REFERENT_PROMETHEUS_URL"] = f"http://127.0.0.1:{prom.port}"
            service = Served(env, port=port, log=tmp_path / "serve.log")
            served.append(service)
            service.wait_ready()
            viewer = {"Authorization": f"Bearer {VIEWER}"}

            def triaged() -> dict[str, Any] | None:
                listed = httpx.get(f"{service.url}/v1/incidents?limit=100", headers=viewer).json()[
                    "incidents"
                ]
                for item in listed:
                    if item["alertname"] == "ModelServingErrorRateHigh" and item["slack_ts"]:
                        return dict(
                            httpx.get(f"{service.url}/v1/incidents/{item['id']}", headers=viewer).json()
                        )
                return None

            incident = wait_for(triaged, timeout=300, what="the firing rule to be triaged")
            [report] = incident["reports"]
            assert report["alert"]["labels"]["model"] == "fraud-scorer"
            assert incident["source"] == "alertmanager" and incident["status"] == "open"

            def thread() -> list[dict[str, Any]]:
                posts = slack.requests("chat.postMessage")
                return [p for p in posts if p["body"].get("thread_ts") == incident["slack_ts"]]

            [reply] = wait_for(thread, timeout=60, what="the threaded Slack message")
            root = next(
                p for p in slack.requests("chat.postMessage") if p["response"]["ts"] == incident["slack_ts"]
            )
            assert root["body"]["channel"] == "C0INCIDENTS" and incident["id"] in root["body"]["text"]
            assert reply["authorized"] and reply["body"]["blocks"]
            assert f"/incidents/{incident['id']}" in reply["body"]["text"]
        finally:
            for proc in reversed(started):
                processes.stop(proc)
