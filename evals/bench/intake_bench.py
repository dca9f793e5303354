"""Intake benchmark: alerts/s committed durably by ``POST /v1/alerts/alertmanager``, next to a bare
FastAPI echo endpoint on the same machine in the same run, and a storm with lost/duplicate counts.

1. **Throughput.** Two real servers, each in its own process: a bare FastAPI app on uvicorn whose
   endpoint parses the JSON and answers 202, and ``referent serve --api-only`` (it commits incidents and
   enqueues DBOS workflows, on SQLite, but runs none). The same client (``concurrency`` threads, one alert per
   request) posts ``n`` alerts to each. Committed means: the incident row and the DBOS workflow (its
   inputs) are in the databases when the 202 leaves; the bench counts both afterwards. Goal: intake ≥
   50% of the echo's rate.
2. **Storm.** ``storm`` distinct alerts in Alertmanager payloads of ``batch`` alerts, every payload
   delivered twice (an Alertmanager repeat), to the app in role ``both``. The storm's triage is a
   **stand-in** (labelled ``triage: stand-in`` in the output): a function that stores one abstaining
   TriageReport per call instead of running the agent, so 10,000 alerts fit in a benchmark run; the intake,
   the DBOS queue, the workflow ids, the step and the incident updates are the real ones. Lost =
   alerts accepted without an incident holding a report; duplicates = reports beyond one per incident.
   Both must be 0.

Both servers are one process each and run at the same time; the client alternates between them
(``rounds``) so a change of load on the machine hits both alike. Each round's ratio is printed beside
the overall one: their spread is the load's effect.

Usage: ``python -m evals.bench.intake_bench [--n 2000] [--storm 10000] [--batch 100] [--concurrency 8]
[--rounds 3]``
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

TOKEN = "bench-alertmanager-token-0123456789"
KEY = "bench-pseudonym-key-0123456789abcdef"
GOAL_RATIO = 0.5


def _alert(i: int) -> dict[str, Any]:
    return {
        "status": "firing",
        "labels": {"alertname": f"BenchAlert{i % 7}", "namespace": "fraud", "pod": f"scorer-{i}"},
        "annotations": {"summary": f"p99 latency above 300ms on scorer-{i}"},
        "startsAt": "2026-12-06T01:00:00Z",
        "fingerprint": f"{i:016x}",
    }


def _payload(alerts: list[dict[str, Any]]) -> bytes:
    return json.dumps({"version": "4", "status": "firing", "receiver": "referent", "alerts": alerts}).encode()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server:
    """A uvicorn server on a thread of this process."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = _free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 120
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=60)


def _echo_app() -> Any:
    app = FastAPI()

    @app.post("/echo")
    async def echo(request: Request) -> JSONResponse:
        payload = json.loads(await request.body())
        return JSONResponse({"accepted": len(payload["alerts"]), "incidents": []}, status_code=202)

    return app


def _post_all(url: str, bodies: list[bytes], concurrency: int) -> tuple[float, list[int]]:
    """Post every body (``concurrency`` client threads); return the wall time and the status codes."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    local = threading.local()

    def send(body: bytes) -> int:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(timeout=120)
        response = client.post(url, content=body, headers=headers)
        if response.status_code != 202:
            print(f"{url}: {response.status_code} {response.text[:200]}", file=sys.stderr)
        return response.status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        codes = list(pool.map(send, bodies))
    return time.perf_counter() - started, codes


def _services(state: Path, **settings: Any) -> Any:
    from pydantic import SecretStr

    from api.service.services import build_services
    from api.settings import ServiceSettings
    from guardrails.factory import build_runtime
    from guardrails.settings import GuardrailSettings
    from tools.settings import PlatformSettings

    guard = GuardrailSettings(state_dir=state, pseudonym_key=SecretStr(KEY), redaction_nlp=False)
    platform = PlatformSettings(
        prometheus_url=None, mlflow_tracking_uri=None, feast_repo=None, billing_path=None
    )
    runtime = build_runtime(guard, platform)
    return build_services(ServiceSettings(alertmanager_token=SecretStr(TOKEN), **settings), runtime)


class _Process:
    """A server in its own process group (so the client's threads do not share its interpreter)."""

    def __init__(self, argv: list[str], port: int, env: dict[str, str], log: Path) -> None:
        self.port = port
        self._log = log.open("ab")
        self.proc = subprocess.Popen(
            argv, env=env, stdout=self._log, stderr=self._log, start_new_session=True
        )
        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{argv[0]} did not start (see {log})")
            try:
                if httpx.get(self.url("/healthz"), timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=60)
        self._log.close()


def _serve_echo(port: int) -> None:
    import uvicorn

    app = _echo_app()
    app.get("/healthz")(lambda: {"status": "ok"})
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def _referent_env(state: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERENT_")}
    env.update(
        REFERENT_STATE_DIR=str(state),
        REFERENT_ALERTMANAGER_TOKEN=TOKEN,
        REFERENT_PSEUDONYM_KEY=KEY,
        REFERENT_REDACTION_NLP="false",
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        FEAST_USAGE="False",
    )
    return env


def _count(db_file: Path, sql: str) -> int:
    with sqlite3.connect(db_file) as conn:
        return int(conn.execute(sql).fetchone()[0])


def throughput(workdir: Path, n: int, concurrency: int, rounds: int = 3) -> dict[str, Any]:
    """Echo vs. durable intake (``referent serve --api-only``), ``n`` single-alert requests each.

    Both servers run at once (one process each); the client alternates between them in ``rounds``
    rounds of ``n / rounds`` requests, so a change of load on the machine hits both alike.
    """
    bodies = [_payload([_alert(i)]) for i in range(n)]
    warm = [_payload([_alert(10_000_000 + i)]) for i in range(min(200, n))]
    echo_port, port, state = _free_port(), _free_port(), workdir / "throughput"
    referent = str(Path(sys.executable).with_name("referent"))
    echo = _Process(
        [sys.executable, "-m", "evals.bench.intake_bench", "--serve-echo", str(echo_port)],
        echo_port,
        dict(os.environ),
        workdir / "echo.log",
    )
    try:
        server = _Process(
            [referent, "serve", "--api-only", "--port", str(port)],
            port,
            _referent_env(state),
            workdir / "serve.log",
        )
    except BaseException:
        echo.stop()
        raise
    echo_s = intake_s = 0.0
    codes: list[int] = []
    round_ratios: list[float] = []  # intake/echo rate of each round: the spread under the machine's load
    try:
        _post_all(echo.url("/echo"), warm, concurrency)
        _post_all(server.url("/v1/alerts/alertmanager"), warm, concurrency)
        step = -(-n // max(1, rounds))
        for start in range(0, n, step):
            part = bodies[start : start + step]
            echo_round, echo_codes = _post_all(echo.url("/echo"), part, concurrency)
            echo_s, codes = echo_s + echo_round, codes + echo_codes
            seconds, intake_codes = _post_all(server.url("/v1/alerts/alertmanager"), part, concurrency)
            intake_s, codes = intake_s + seconds, codes + intake_codes
            round_ratios.append(round(echo_round / seconds, 3))
    finally:
        server.stop()
        echo.stop()
    committed = _count(state / "referent.db", "SELECT COUNT(*) FROM incidents")
    enqueued = _count(
        state / "dbos.sqlite", "SELECT COUNT(*) FROM workflow_status WHERE workflow_uuid LIKE 'triage-%'"
    )
    echo_rate, intake_rate = n / echo_s, n / intake_s
    return {
        "alerts": n,
        "concurrency": concurrency,
        "rounds": rounds,
        "server_processes": {"echo": 1, "intake": 1},
        "echo_alerts_per_s": round(echo_rate, 1),
        "intake_alerts_per_s": round(intake_rate, 1),
        "ratio": round(intake_rate / echo_rate, 3),
        "round_ratios": round_ratios,
        "goal_ratio": GOAL_RATIO,
        "goal_met": intake_rate / echo_rate >= GOAL_RATIO,
        "all_202": all(c == 202 for c in codes),
        "incidents_committed": committed,
        "workflows_enqueued": enqueued,
        "expected_committed": n + len(warm),
    }


def _summary(t: dict[str, Any]) -> str:
    """The throughput result in one line: both rates, the ratio and whether the goal is met."""
    return (
        f"intake throughput: echo {t['echo_alerts_per_s']} alerts/s, intake {t['intake_alerts_per_s']} alerts/s "
        f"(committed durably), ratio {t['ratio']:.2f} (rounds {min(t['round_ratios']):.2f}–"
        f"{max(t['round_ratios']):.2f}), goal >= {t['goal_ratio']}: {'met' if t['goal_met'] else 'NOT met'}"
    )


def _stand_in(services: Any, alert: Any, *, scope: str | None = None, **_: Any) -> Any:
    """Triage stand-in for the storm: store one abstaining TriageReport, as the real agent's store would."""
    from datetime import UTC, datetime

    from agents.triage import TriageReport, to_markdown

    now = datetime.now(UTC)
    report = TriageReport(
        run_id=f"storm-{scope}",
        mode="deterministic",
        alert=alert,
        created_at=now,
        window_start=now,
        window_end=now,
        abstained=True,
        abstain_reason="benchmark stand-in: the agent is not run",
    )
    report.report_id = services.reports.save(
        kind="triage",
        run_id=report.run_id,
        subject=f"{alert.alertname}:{alert.fingerprint}",
        body_json=report.model_dump_json(),
        markdown=to_markdown(report),
    )
    return report


def storm(workdir: Path, n: int, batch: int, concurrency: int, timeout_s: float) -> dict[str, Any]:
    """``n`` alerts in payloads of ``batch``, each payload twice; wait for every triage; count."""
    from sqlalchemy import text

    from api.app import create_app

    services = _services(workdir / "storm", triage_concurrency=32)
    services.run_triage = _stand_in
    # Slack is not configured here: the post step fails softly, one warning per incident; keep errors only
    logging.getLogger("referent.triage").setLevel(logging.ERROR)
    bodies = [_payload([_alert(i) for i in range(s, min(s + batch, n))]) for s in range(0, n, batch)]
    server = _Server(create_app(services, role="both"))
    try:
        started = time.perf_counter()
        intake_s, codes = _post_all(server.url("/v1/alerts/alertmanager"), bodies + bodies, concurrency)
        deadline = time.monotonic() + timeout_s
        with services.runtime.db.engine.connect() as conn:
            while time.monotonic() < deadline:
                done = conn.execute(text("SELECT COUNT(*) FROM incidents WHERE status = 'open'")).scalar_one()
                if done >= n:
                    break
                time.sleep(0.5)
            total_s = time.perf_counter() - started
            reports = conn.execute(
                text("SELECT subject, COUNT(*) FROM reports WHERE kind = 'triage' GROUP BY subject")
            ).all()
            incidents = conn.execute(text("SELECT report_ids FROM incidents")).scalars().all()
    finally:
        server.stop()
        services.close()
    with_report = sum(1 for ids in incidents if json.loads(ids))
    return {
        "triage": "stand-in (stores one abstaining TriageReport; the agent is not run)",
        "alerts": n,
        "deliveries": 2 * len(bodies),
        "all_202": all(c == 202 for c in codes),
        "intake_s": round(intake_s, 1),
        "all_triaged_s": round(total_s, 1),
        "incidents": len(incidents),
        "lost": n - with_report,
        "duplicate_triages": sum(c for _, c in reports) - len(reports),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m evals.bench.intake_bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--n", type=int, default=2000, help="alerts for the throughput comparison")
    parser.add_argument("--storm", type=int, default=10_000, help="alerts in the storm (0 to skip)")
    parser.add_argument("--batch", type=int, default=100, help="alerts per storm payload")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument(
        "--rounds", type=int, default=3, help="echo/intake alternations of the throughput run"
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for the storm's triages")
    parser.add_argument("--serve-echo", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_echo is not None:
        _serve_echo(args.serve_echo)
        return 0
    with tempfile.TemporaryDirectory(prefix="referent-intake-bench-") as tmp:
        result = {"throughput": throughput(Path(tmp), args.n, args.concurrency, args.rounds)}
        print(json.dumps(result, indent=2), flush=True)
        print(_summary(result["throughput"]), flush=True)
        if args.storm:
            result["storm"] = storm(Path(tmp), args.storm, args.batch, args.concurrency, args.timeout)
            print(json.dumps({"storm": result["storm"]}, indent=2), flush=True)
            s = result["storm"]
            print(
                f"storm: {s['alerts']} alerts ({s['deliveries']} deliveries), lost {s['lost']}, "
                f"duplicate triages {s['duplicate_triages']} (triage: stand-in)",
                flush=True,
            )
    t = result["throughput"]
    ok = t["all_202"] and t["goal_met"] and t["incidents_committed"] == t["expected_committed"]
    ok = ok and t["workflows_enqueued"] == t["expected_committed"]
    if "storm" in result:
        s = result["storm"]
        ok = ok and s["all_202"] and s["lost"] == 0 and s["duplicate_triages"] == 0
    print(f"intake bench: {'ok' if ok else 'FAILED'}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
