"""Benchmark: the rightsizing query (p95 CPU, max memory over 14 days) for 1,000 and 10,000 workloads.

Generates 14 days of hourly CPU-counter and memory samples for 10,000 synthetic single-pod workloads
spread over 10 namespaces of 1,000, backfills them into a real Prometheus, and times the batched
queries the rightsizing agent sends: one namespace (1,000 workloads) and all of them (10,000). Prints
the median time per batch and the 10k/1k cost ratio (linear growth means ~10).

Run: ``python -m evals.bench.prometheus_bench`` (about 1-3 minutes on 2 cores).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from evals.sandbox import processes
from evals.sandbox.prometheus_world import BLOCK_S, backfill
from tools.prometheus import PrometheusClient

WORKLOADS = 10_000
PER_NAMESPACE = 1_000
DAYS = 14
STEP_S = 3600
CPU_P95 = (
    "max by (namespace, container) (quantile_over_time(0.95, "
    "rate(container_cpu_usage_seconds_total{{{sel}}}[2h])[{days}d:1h]))"
)
MEM_MAX = (
    "max by (namespace, container) (max_over_time(container_memory_working_set_bytes{{{sel}}}[{days}d]))"
)


def _series_matrix(end: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Timestamps, CPU counters and memory bytes (workloads x time) with a diurnal swing and noise."""
    rng = np.random.default_rng(42)
    ts = np.arange(end - DAYS * 86400, end + 1, STEP_S)
    phase = np.sin(2 * np.pi * ((ts % 86400) / 3600 - 12) / 24)
    cpu_mean = rng.uniform(0.05, 4.0, (WORKLOADS, 1))
    cpu = cpu_mean * (1 + 0.4 * phase) * rng.normal(1, 0.05, (WORKLOADS, len(ts)))
    counters = np.cumsum(np.clip(cpu, 0, None) * STEP_S, axis=1)
    mem = rng.uniform(0.2, 16, (WORKLOADS, 1)) * 2**30 * (1 + 0.1 * phase) * rng.normal(1, 0.02, (1, len(ts)))
    return ts, counters, np.round(mem)


def write_openmetrics(out_dir: Path, end: int) -> list[Path]:
    """Write the synthetic series, one file per promtool block window; return the files."""
    ts, counters, mem = _series_matrix(end)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for lo in range(int(ts[0]) // BLOCK_S * BLOCK_S, int(ts[-1]) + 1, BLOCK_S):
        cols = np.flatnonzero((ts >= lo) & (ts < lo + BLOCK_S)).tolist()
        if not cols:
            continue
        path = out_dir / f"bench-{lo}.om"
        with path.open("w") as out:
            for family, kind, name, values in (
                ("container_cpu_usage_seconds", "counter", "container_cpu_usage_seconds_total", counters),
                ("container_memory_working_set_bytes", "gauge", "container_memory_working_set_bytes", mem),
            ):
                out.write(f"# TYPE {family} {kind}\n")
                for w in range(WORKLOADS):
                    prefix = (
                        f'{name}{{namespace="bench-{w // PER_NAMESPACE}",pod="w{w:05d}-0",'
                        f'container="w{w:05d}"}} '
                    )
                    row = values[w].tolist()
                    out.write("".join(f"{prefix}{row[c]:.12g} {ts[c]}\n" for c in cols))
            out.write("# EOF\n")
        paths.append(path)
    return paths


def _start(directory: Path) -> processes.ServerProcess:
    port = processes.free_port()
    config = directory / "prometheus.yml"
    config.write_text("global: {scrape_interval: 1m}\nscrape_configs: []\n")
    argv = [
        "prometheus",
        f"--config.file={config}",
        f"--storage.tsdb.path={directory / 'data'}",
        "--storage.tsdb.retention.time=400d",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    proc = processes.start("prometheus-bench", argv, port=port, log_dir=directory)
    processes.wait_http(f"http://127.0.0.1:{port}/-/ready", timeout_s=120, proc=proc)
    return proc


def _time_batch(client: PrometheusClient, sel: str, at: int, repeats: int = 3) -> tuple[float, int]:
    durations, rows = [], 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        cpu = client.query(CPU_P95.format(sel=sel, days=DAYS), at=at)
        mem = client.query(MEM_MAX.format(sel=sel, days=DAYS), at=at)
        durations.append(time.perf_counter() - t0)
        rows = min(len(cpu), len(mem))
    return statistics.median(durations), rows


def main() -> None:
    end = int(datetime.now(UTC).timestamp()) // STEP_S * STEP_S
    with tempfile.TemporaryDirectory(prefix="prom-bench-") as tmp:
        directory = Path(tmp)
        t0 = time.perf_counter()
        files = write_openmetrics(directory / "om", end)
        t1 = time.perf_counter()
        backfill(files, directory / "data")
        for f in files:
            f.unlink()
        t2 = time.perf_counter()
        proc = _start(directory)
        t3 = time.perf_counter()
        samples = WORKLOADS * 2 * (DAYS * 86400 // STEP_S + 1)
        print(
            f"{WORKLOADS} workloads, {samples:,} samples: render {t1 - t0:.1f}s, "
            f"backfill {t2 - t1:.1f}s, ready {t3 - t2:.1f}s"
        )
        try:
            with PrometheusClient(f"http://127.0.0.1:{proc.port}", timeout_s=120) as client:
                small, n_small = _time_batch(client, 'namespace="bench-0"', end)
                large, n_large = _time_batch(client, 'namespace=~"bench-.*"', end)
        finally:
            processes.stop(proc)
        print(f"batch of {n_small:>6} workloads (p95 CPU + max memory, {DAYS}d): {small:.2f}s")
        print(f"batch of {n_large:>6} workloads (p95 CPU + max memory, {DAYS}d): {large:.2f}s")
        print(f"cost ratio 10k/1k: {large / small:.1f}x for {n_large / max(n_small, 1):.0f}x the workloads")


if __name__ == "__main__":
    main()
