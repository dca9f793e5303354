"""The service part of ``referent demo``: Alertmanager → ``referent serve`` → triage → Slack.

Starts a local recorder standing in for Slack's Web API and ``referent serve`` (its own process
group) on the demo world, points the sandbox's real Alertmanager at the service (bearer token,
``/-/reload``), sends one demo incident's alert to Alertmanager's API, waits for the incident to be
triaged and posted, prints the Slack thread and the incident page's URL, then stops the service and
restores Alertmanager's configuration.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml

SCENARIO = Path(__file__).resolve().parents[2] / "evals" / "scenarios" / "triage" / "fraud-bad-version.json"
KEEP_RUNNING = "REFERENT_SANDBOX_DIR=.sandbox .venv/bin/referent serve"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(check: Callable[[], Any], timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            value = check()
        except httpx.HTTPError:
            value = None
        if value:
            return value
        time.sleep(0.5)
    raise TimeoutError(f"timed out after {timeout_s:.0f}s waiting for {what}")


def _alertmanager_config(sandbox_dir: Path) -> Path:
    return sandbox_dir / "alertmanager" / "alertmanager" / "alertmanager.yml"


def _point_alertmanager(am_url: str, config: Path, webhook: str | None, token: str | None) -> None:
    """Rewrite the sandbox Alertmanager's receiver (webhook + bearer, or none) and reload it."""
    from evals.sandbox.prometheus_world.servers import alertmanager_config

    doc = alertmanager_config(webhook, token)
    doc["route"]["group_wait"] = "1s"  # type: ignore[index]
    config.write_text(yaml.safe_dump(doc, sort_keys=False))
    httpx.post(f"{am_url}/-/reload", timeout=10).raise_for_status()


def _demo_alert() -> list[dict[str, Any]]:
    """The demo's bad-version incident as Alertmanager's API takes it (``startsAt`` now)."""
    payload = json.loads(SCENARIO.read_text())
    alert = payload["alerts"][0]
    # a fresh label per run: Alertmanager does not notify again for a group it notified within 4 h
    labels = {**payload.get("commonLabels", {}), **alert["labels"], "demo_run": secrets.token_hex(4)}
    now = datetime.now(UTC).isoformat()
    return [{"labels": labels, "annotations": alert.get("annotations", {}), "startsAt": now}]


def _serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    referent = str(Path(sys.executable).with_name("referent"))
    with log.open("ab") as out:
        return subprocess.Popen(
            [referent, "serve", "--port", str(port)], env=env, stdout=out, stderr=out, start_new_session=True
        )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _show(recorder: Any, incident: dict[str, Any], echo: Callable[[str], None]) -> None:
    thread = incident["slack_ts"]
    for post in recorder.requests("chat.postMessage"):
        body = post["body"]
        if thread not in (post["response"].get("ts"), body.get("thread_ts")):
            continue  # another alert Alertmanager already held (the world's rules fire too)
        where = (
            f"thread {body['thread_ts']}"
            if body.get("thread_ts")
            else f"new message ts {post['response']['ts']}"
        )
        echo(f"Slack chat.postMessage → {body.get('channel')} ({where}): {body.get('text')}")
        for block in (body.get("blocks") or [])[:6]:
            text = block.get("text", {}).get("text") if isinstance(block.get("text"), dict) else None
            if text:
                echo("    | " + text.replace("\n", "\n    | "))
    echo(
        f"incident {incident['id']}: status {incident['status']}, {len(incident['reports'])} triage report(s)"
    )


def service_walkthrough(endpoints: dict[str, Any], echo: Callable[[str], None] = print) -> None:
    """Run the service on the demo world, send one alert through Alertmanager, show Slack and the page."""
    from evals.sandbox.slack_recorder import SlackRecorder

    sandbox_dir = Path(endpoints["dir"])
    port, am_token, viewer = _free_port(), secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    url = f"http://127.0.0.1:{port}"
    config = _alertmanager_config(sandbox_dir)
    original = config.read_text()
    with SlackRecorder(token="xoxb-demo-token") as recorder:
        env = {
            **os.environ,
            "REFERENT_SANDBOX_DIR": str(sandbox_dir),
            "REFERENT_ALERTMANAGER_TOKEN": am_token,
            "REFERENT_API_TOKENS": json.dumps({viewer: {"name": "demo", "role": "viewer"}}),
            "REFERENT_SLACK_BOT_TOKEN": "xoxb-demo-token",
            "REFERENT_SLACK_API_URL": recorder.api_url,
            "REFERENT_SLACK_CHANNEL": "C0DEMOINCIDENTS",
            "REFERENT_PUBLIC_URL": url,
        }
        proc = _serve(env, port, sandbox_dir / "referent-serve.log")
        try:
            _wait(lambda: httpx.get(f"{url}/readyz", timeout=2).status_code == 200, 120, "referent serve")
            echo(f"referent serve is up at {url} (API + DBOS workers, one process)")
            _point_alertmanager(
                endpoints["alertmanager_url"], config, f"{url}/v1/alerts/alertmanager", am_token
            )
            alert = _demo_alert()
            httpx.post(
                f"{endpoints['alertmanager_url']}/api/v2/alerts", json=alert, timeout=10
            ).raise_for_status()
            echo(
                f"sent {alert[0]['labels']['alertname']} ({alert[0]['labels'].get('model')}) to Alertmanager"
            )
            headers = {"Authorization": f"Bearer {viewer}"}

            sent = alert[0]["labels"]["alertname"]

            def posted() -> dict[str, Any] | None:
                """Our alert's incident once triaged and threaded in Slack (the sandbox's Prometheus may
                fire other real alerts meanwhile: those are triaged too, but not shown here)."""
                listed = httpx.get(f"{url}/v1/incidents", headers=headers, timeout=10).json()["incidents"]
                done = [
                    i
                    for i in listed
                    if i["alertname"] == sent and i["slack_ts"] and i["status"] != "triaging"
                ]
                threads = {p["body"].get("thread_ts") for p in recorder.requests("chat.postMessage")}
                if not done or done[0]["slack_ts"] not in threads:
                    return None
                return dict(
                    httpx.get(f"{url}/v1/incidents/{done[0]['id']}", headers=headers, timeout=10).json()
                )

            try:
                incident = _wait(posted, 240, "Alertmanager → triage → Slack")
            except TimeoutError:
                listed = httpx.get(f"{url}/v1/incidents", headers=headers, timeout=10).json()["incidents"]
                echo(f"incidents so far: {[(i['alertname'], i['status'], i['slack_ts']) for i in listed]}")
                echo(f"Slack posts so far: {len(recorder.requests('chat.postMessage'))}")
                raise
            _show(recorder, incident, echo)
            echo(f"incident page: {url}/incidents/{incident['id']} (served while the service runs)")
        finally:
            _stop(proc)
            config.write_text(original)
            httpx.post(f"{endpoints['alertmanager_url']}/-/reload", timeout=10)
    echo(f"service stopped. Keep it running on the demo world with:\n    {KEEP_RUNNING}")
