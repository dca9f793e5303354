"""Fixtures of the agent tests: small worlds other than the demo, on their own real servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr


@dataclass
class WorldEnv:
    """A world's real Prometheus (and MLflow, when asked) with a runtime pointed at them."""

    runtime: Any
    world: Any
    anchor: datetime
    mlflow_uri: str | None = None


@contextmanager
def _running_world(spec: dict[str, Any], directory: Path, *, mlflow: bool = False) -> Iterator[WorldEnv]:
    from evals.sandbox import mlflow_world, processes
    from evals.sandbox.prometheus_world import start_prometheus
    from evals.worlds.schema import World, anchor_now
    from guardrails.factory import build_runtime
    from guardrails.settings import GuardrailSettings
    from tools.settings import PlatformSettings

    world = World.model_validate(spec)
    anchor = anchor_now(world.step)
    started: list[Any] = []
    try:
        ml_uri = None
        if mlflow:
            ml_proc, ml_uri = mlflow_world.start_mlflow(directory / "mlflow")
            started.append(ml_proc)
        prom = start_prometheus(world, anchor, directory)
        started.append(prom)
        if ml_uri is not None:
            mlflow_world.load_models(world, anchor, ml_uri)
        runtime = build_runtime(
            GuardrailSettings(state_dir=directory / "state", pseudonym_key=SecretStr("k" * 32)),
            PlatformSettings(prometheus_url=f"http://127.0.0.1:{prom.port}", mlflow_tracking_uri=ml_uri),
        )
        try:
            yield WorldEnv(runtime, world, anchor, ml_uri)
        finally:
            runtime.close()
    finally:
        for proc in reversed(started):
            processes.stop(proc)


@pytest.fixture(scope="session")
def running_world() -> Callable[..., AbstractContextManager[WorldEnv]]:
    """``with running_world(spec, directory, mlflow=False) as env:`` — a small world on real servers."""
    return _running_world
