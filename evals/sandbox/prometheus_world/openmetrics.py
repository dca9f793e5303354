"""A world rendered as OpenMetrics (one file, or one per ``promtool`` block window) and backfilled with ``promtool``.

Samples run from ``anchor - world.history`` to ``anchor + world.future`` every ``world.step``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import numpy as np

from evals.sandbox.processes import SandboxError
from evals.sandbox.prometheus_world.clock import Clock
from evals.sandbox.prometheus_world.families import Families
from evals.sandbox.prometheus_world.models import drift_series, freshness_series, traffic_series
from evals.sandbox.prometheus_world.workloads import pod_series
from evals.worlds.schema import World

BLOCK_S = 162 * 3600  # promtool block length for --max-block-duration=336h (2h * 3^4)
_EXPORTERS = (
    ("kube-state-metrics", "kube-state-metrics.monitoring:8080"),
    ("kubelet", "kubelet.kube-system:10250"),
    ("dcgm-exporter", "dcgm-exporter:9400"),
    ("feast-exporter", "feast-exporter.feature-store:8000"),
)


def build(world: World, anchor: datetime) -> Families:
    """Every series of the world on its sample grid around ``anchor``, in catalogue order."""
    step = int(world.step.total_seconds())
    a = int(anchor.timestamp())
    ts = np.arange(a - int(world.history.total_seconds()), a + int(world.future.total_seconds()) + 1, step)
    clock = Clock(ts=ts, anchor=a, step_s=step)
    out = Families(clock)
    for w in world.workloads:
        pod_series(out, world, w, clock)
    for w in world.workloads:
        if w.traffic_rps > 0:
            traffic_series(out, world, w, clock)
    for model in world.models:
        drift_series(out, world, model, clock)
    freshness_series(out, world, clock)
    for job, instance in _EXPORTERS:
        out.add("up", "gauge", "up", {"job": job, "instance": instance}, np.ones(clock.n))
    return out


def render_openmetrics(world: World, anchor: datetime, out_path: Path) -> int:
    """Write the world's series as one OpenMetrics file for ``promtool``; return the number of samples."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    return build(world, anchor).write(out_path)


def render_openmetrics_chunks(world: World, anchor: datetime, out_dir: Path) -> list[Path]:
    """Like :func:`render_openmetrics`, one file per ``promtool`` block window.

    ``promtool`` re-reads its whole input once per block window; files that each fall inside one
    window are read once, and can be backfilled in parallel.
    """
    out = build(world, anchor)
    out_dir.mkdir(parents=True, exist_ok=True)
    ts = out.clock.ts
    paths = []
    for lo in range(int(ts[0]) // BLOCK_S * BLOCK_S, int(ts[-1]) + 1, BLOCK_S):
        path = out_dir / f"world-{lo}.om"
        if out.write(path, lo, lo + BLOCK_S):
            paths.append(path)
    return paths


def backfill(openmetrics: Path | Sequence[Path], data_dir: Path, *, parallel: int = 2) -> None:
    """Turn OpenMetrics file(s) into TSDB blocks in ``data_dir`` with ``promtool``, ``parallel`` at a time."""
    data_dir.mkdir(parents=True, exist_ok=True)
    pending = [openmetrics] if isinstance(openmetrics, Path) else list(openmetrics)
    while pending:
        batch, pending = pending[:parallel], pending[parallel:]
        running = [_promtool(path, data_dir) for path in batch]
        for proc in running:
            _, err = proc.communicate()
            if proc.returncode != 0:
                raise SandboxError(f"promtool backfill failed ({proc.returncode}): {err[-2000:]}")


def _promtool(path: Path, data_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            "promtool",
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            "--quiet",
            "--max-block-duration=336h",
            str(path),
            str(data_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
