"""The sandbox's Prometheus and Alertmanager: their configs, the ML alert rules, and starting them.

:func:`start_prometheus` renders a world, backfills it and serves it with the rules from
``evals/sandbox/rules/ml-platform.rules.yml``; :func:`start_alertmanager` routes every alert to one webhook.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import httpx
import yaml

from evals.sandbox import processes
from evals.sandbox.processes import SandboxError, ServerProcess
from evals.sandbox.prometheus_world.openmetrics import backfill, render_openmetrics_chunks
from evals.worlds.schema import World

RULES_FILE = Path(__file__).parent.parent / "rules" / "ml-platform.rules.yml"


def render_rules(out_path: Path, *, runbook_base_url: str, alert_for: str | None = None) -> Path:
    """Copy the ML alert rules with ``runbook_url`` pointing at ``<runbook_base_url>/<AlertName>``.

    Args:
        out_path: where to write the rules file.
        runbook_base_url: base of the runbook links (the Referent API's ``/runbooks``).
        alert_for: when given, replaces every rule's ``for`` (e.g. ``"0s"`` to fire at the first
            evaluation in end-to-end tests).
    """
    doc = yaml.safe_load(RULES_FILE.read_text())
    for group in doc["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                rule.setdefault("annotations", {})["runbook_url"] = (
                    f"{runbook_base_url.rstrip('/')}/{rule['alert']}"
                )
                if alert_for is not None:
                    rule["for"] = alert_for
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return out_path


def prometheus_config(port: int, rules_path: Path, alertmanager_port: int | None) -> dict[str, object]:
    """``prometheus.yml``: scrape itself, load the rules, send alerts to Alertmanager when given.

    The out-of-order window lets the self-scrape and the rule results land in the head even though the
    backfilled blocks already reach ``world.future`` past now.
    """
    config: dict[str, object] = {
        "global": {"scrape_interval": "15s", "evaluation_interval": "15s"},
        "rule_files": [str(rules_path)],
        "scrape_configs": [
            {"job_name": "prometheus", "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}
        ],
        "storage": {"tsdb": {"out_of_order_time_window": "2d"}},
    }
    if alertmanager_port is not None:
        config["alerting"] = {
            "alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{alertmanager_port}"]}]}]
        }
    return config


def start_prometheus(
    world: World,
    anchor: datetime,
    directory: Path,
    *,
    port: int | None = None,
    alertmanager_port: int | None = None,
    runbook_base_url: str = "http://127.0.0.1:8080/runbooks",
    alert_for: str | None = None,
    ready_timeout_s: float = 60.0,
) -> ServerProcess:
    """Render the world, backfill it and start Prometheus on 127.0.0.1; wait until it answers with data.

    Everything lives under ``directory / "prometheus"`` (a previous TSDB there is replaced); the log is
    ``directory / "prometheus.log"``. The caller stops the returned process with ``processes.stop``.
    """
    home = directory / "prometheus"
    _backfill_world(world, anchor, home)
    port = port or processes.free_port()
    rules = render_rules(
        home / "rules" / RULES_FILE.name, runbook_base_url=runbook_base_url, alert_for=alert_for
    )
    config = home / "prometheus.yml"
    config.write_text(yaml.safe_dump(prometheus_config(port, rules, alertmanager_port), sort_keys=False))
    proc = processes.start("prometheus", _prometheus_argv(config, home, port), port=port, log_dir=directory)
    try:
        _wait_for_data(f"http://127.0.0.1:{port}", proc, ready_timeout_s)
    except SandboxError:
        processes.stop(proc)
        raise
    return proc


def _backfill_world(world: World, anchor: datetime, home: Path) -> None:
    """Replace the TSDB in ``home / "data"`` with the world's series (via temporary OpenMetrics chunks)."""
    shutil.rmtree(home / "data", ignore_errors=True)
    chunks = render_openmetrics_chunks(world, anchor, home / "openmetrics")
    backfill(chunks, home / "data")
    shutil.rmtree(home / "openmetrics")


def _prometheus_argv(config: Path, home: Path, port: int) -> list[str]:
    return [
        "prometheus",
        f"--config.file={config}",
        f"--storage.tsdb.path={home / 'data'}",
        "--storage.tsdb.retention.time=400d",
        f"--web.listen-address=127.0.0.1:{port}",
        "--web.enable-admin-api",
        "--web.enable-lifecycle",
        "--query.lookback-delta=10m",
        # firing alerts are re-sent every 15s (default 1m), so the ones evaluated before
        # Alertmanager was discovered reach it quickly
        "--rules.alert.resend-delay=15s",
    ]


def _wait_for_data(url: str, proc: ServerProcess, timeout_s: float) -> None:
    """Wait until Prometheus is ready and answers a query over the backfilled series."""
    processes.wait_http(f"{url}/-/ready", timeout_s=timeout_s, proc=proc)
    processes.wait_http(
        f"{url}/api/v1/query?query=count(kube_pod_labels)",
        timeout_s=timeout_s,
        proc=proc,
        ok=_has_data,
    )


def _has_data(resp: httpx.Response) -> bool:
    return resp.status_code == 200 and bool(resp.json().get("data", {}).get("result"))


def alertmanager_config(webhook_url: str | None, bearer_token: str | None) -> dict[str, object]:
    """Route every alert to one webhook receiver (bearer auth when given), or to nowhere."""
    receiver: dict[str, object] = {"name": "referent"}
    if webhook_url:
        hook: dict[str, object] = {"url": webhook_url, "send_resolved": True}
        if bearer_token:
            hook["http_config"] = {"authorization": {"type": "Bearer", "credentials": bearer_token}}
        receiver["webhook_configs"] = [hook]
    return {
        "route": {
            "receiver": "referent",
            "group_by": ["alertname", "namespace"],
            "group_wait": "5s",
            "group_interval": "1m",
            "repeat_interval": "4h",
        },
        "receivers": [receiver],
    }


def start_alertmanager(
    directory: Path,
    webhook_url: str | None,
    bearer_token: str | None,
    *,
    port: int | None = None,
    ready_timeout_s: float = 30.0,
) -> ServerProcess:
    """Start Alertmanager (no clustering) on 127.0.0.1 with a webhook receiver; wait until ready."""
    home = directory / "alertmanager"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "alertmanager.yml"
    config.touch(mode=0o600)
    config.write_text(yaml.safe_dump(alertmanager_config(webhook_url, bearer_token), sort_keys=False))
    port = port or processes.free_port()
    argv = [
        "prometheus-alertmanager",
        f"--config.file={config}",
        f"--storage.path={home / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
    ]
    proc = processes.start("alertmanager", argv, port=port, log_dir=directory)
    try:
        processes.wait_http(f"http://127.0.0.1:{port}/-/ready", timeout_s=ready_timeout_s, proc=proc)
    except SandboxError:
        processes.stop(proc)
        raise
    return proc
