"""``sandbox up`` / ``sandbox down``: the real servers of a world, started, loaded and stopped.

``up`` starts a real ``mlflow server`` (SQLite backend) and, while it boots, renders and backfills the
world's history into a real Prometheus (plus Alertmanager), builds and materializes the local Feast
repository and writes the FOCUS billing files; then it loads the models into MLflow. It returns (and
writes to ``<dir>/endpoints.json``) the endpoints. A second ``up`` on the same directory reuses a running
world whose history still covers "now"; ``down`` stops every process group recorded in ``state.json``.
"""

from __future__ import annotations

import json
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from evals.sandbox import processes
from evals.worlds.schema import World, anchor_now

log = logging.getLogger("referent.sandbox")

DEFAULT_DIR = Path(".sandbox")


def _reusable(state: dict[str, Any], world: World) -> bool:
    if state.get("world") != world.name or not state.get("endpoints"):
        return False
    servers = processes.servers_from_state(state)
    if not servers or not all(s.alive() for s in servers):
        return False
    anchor = datetime.fromisoformat(str(state["anchor"]))
    return anchor + world.future - timedelta(hours=1) > datetime.now(UTC)


def up(
    world: World,
    directory: Path = DEFAULT_DIR,
    *,
    webhook_url: str | None = None,
    webhook_token: str | None = None,
) -> dict[str, Any]:
    """Start (or reuse) the world's servers; return the endpoints once every source answers."""
    directory = directory.resolve()
    state = processes.read_state(directory)
    if _reusable(state, world):
        return cast(dict[str, Any], state["endpoints"])
    down(directory)
    return _fresh_up(world, directory, webhook_url, webhook_token)


@dataclass(frozen=True)
class _Sources:
    """What ``up`` starts or builds in parallel once MLflow is booting."""

    alertmanager: processes.ServerProcess
    prometheus: processes.ServerProcess
    feast_repo: Path
    billing_path: Path


def _fresh_up(
    world: World, directory: Path, webhook_url: str | None, webhook_token: str | None
) -> dict[str, Any]:
    from evals.sandbox import mlflow_world
    from tools.mlflow_registry import configure_http

    configure_http(os.environ)  # a down MLflow fails fast instead of retrying for minutes
    started = time.monotonic()
    anchor = anchor_now(world.step)
    directory.mkdir(parents=True, exist_ok=True)
    state: dict[str, Any] = {"world": world.name, "anchor": anchor.isoformat(), "servers": {}}
    try:
        ml_proc, ml_uri = mlflow_world.start_mlflow(directory / "mlflow")
        _record(directory, state, ml_proc)
        sources = _start_sources(world, anchor, directory, state, webhook_url, webhook_token)
        mlflow_world.load_models(world, anchor, ml_uri)
    except BaseException:
        down(directory)
        raise
    endpoints = _endpoints(world, anchor, directory, ml_uri, sources, started)
    state["endpoints"] = endpoints
    processes.write_state(directory, state)
    (directory / "endpoints.json").write_text(json.dumps(endpoints, indent=2))
    return endpoints


def _start_sources(
    world: World,
    anchor: datetime,
    directory: Path,
    state: dict[str, Any],
    webhook_url: str | None,
    webhook_token: str | None,
) -> _Sources:
    """Start Alertmanager, then Prometheus, Feast and the billing files in parallel; record each server."""
    from evals.sandbox import billing_world, feast_world, prometheus_world

    with ThreadPoolExecutor(max_workers=3) as pool:
        am = pool.submit(
            prometheus_world.start_alertmanager, directory / "alertmanager", webhook_url, webhook_token
        )
        am_proc = am.result()
        _record(directory, state, am_proc)
        prom = pool.submit(
            prometheus_world.start_prometheus,
            world,
            anchor,
            directory / "prometheus",
            alertmanager_port=am_proc.port,
        )
        feast = pool.submit(feast_world.build_feast_repo, world, anchor, directory / "feast")
        billing = pool.submit(billing_world.write_billing, world, anchor, directory / "billing")
        prom_proc = prom.result()
        _record(directory, state, prom_proc)
        feast_repo, billing_path = feast.result(), billing.result()
    return _Sources(am_proc, prom_proc, feast_repo, billing_path)


def _endpoints(
    world: World, anchor: datetime, directory: Path, ml_uri: str, sources: _Sources, started: float
) -> dict[str, Any]:
    """The endpoints ``up`` returns; ``startup_s`` counts from ``started`` (a monotonic time) to now.

    A source in ``world.sources_down`` is loaded but advertised where nothing answers (an outage)."""
    down = set(world.sources_down)
    return {
        "world": world.name,
        "anchor": anchor.isoformat(),
        "dir": str(directory),
        "mlflow_uri": _UNREACHABLE if "mlflow" in down else ml_uri,
        "prometheus_url": _UNREACHABLE
        if "prometheus" in down
        else f"http://127.0.0.1:{sources.prometheus.port}",
        "alertmanager_url": f"http://127.0.0.1:{sources.alertmanager.port}",
        "feast_repo": str(directory / "feast-unreachable") if "feast" in down else str(sources.feast_repo),
        "billing_path": str(sources.billing_path),
        "sources_down": sorted(down),
        "startup_s": round(time.monotonic() - started, 1),
    }


_UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens there on a sandbox host


def _record(directory: Path, state: dict[str, Any], proc: processes.ServerProcess) -> None:
    state["servers"][proc.name] = processes.server_record(proc)
    processes.write_state(directory, state)


def down(directory: Path = DEFAULT_DIR) -> list[str]:
    """Stop every server recorded for ``directory``; return the names stopped."""
    directory = directory.resolve()
    state = processes.read_state(directory)
    stopped = []
    for proc in processes.servers_from_state(state):
        if proc.alive():
            processes.stop(proc)
            stopped.append(proc.name)
    if state:
        state["servers"] = {}
        state.pop("endpoints", None)
        processes.write_state(directory, state)
    (directory / "endpoints.json").unlink(missing_ok=True)
    return stopped


def status(directory: Path = DEFAULT_DIR) -> dict[str, Any]:
    state = processes.read_state(directory.resolve())
    servers = {p.name: p.alive() for p in processes.servers_from_state(state)}
    return {
        "world": state.get("world"),
        "anchor": state.get("anchor"),
        "servers": servers,
        "endpoints": state.get("endpoints"),
    }
