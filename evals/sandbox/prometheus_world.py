"""A world's time series, backfilled into a real Prometheus (and an Alertmanager next to it).

Samples run from ``anchor - world.history`` to ``anchor + world.future`` every ``world.step`` (5m), so
instant queries at "now" keep answering for ``world.future`` after ``sandbox up``. Values are
deterministic for a given world, anchor and ``world.seed``. Because samples are 5m apart, use range
windows of at least 10m (15m recommended) in ``rate()`` / ``increase()``.

Metric catalogue (agents and rules rely on these exact names and labels)::

  kube_pod_labels{namespace,pod,label_app,label_team,label_env[,label_model]}            1
  kube_pod_container_resource_requests{namespace,pod,container,resource,unit}            cpu/core, memory/byte,
  kube_pod_container_resource_limits{namespace,pod,container,resource,unit}                nvidia_com_gpu/integer
  container_cpu_usage_seconds_total{namespace,pod,container}                             counter
  container_memory_working_set_bytes{namespace,pod,container}                            gauge
  container_cpu_cfs_periods_total / container_cpu_cfs_throttled_periods_total{...}       counters (CPU limit set)
  kube_pod_container_status_restarts_total{namespace,pod,container}                      counter
  kube_pod_container_status_last_terminated_reason{namespace,pod,container,reason="OOMKilled"}  0/1
  DCGM_FI_DEV_GPU_UTIL / DCGM_FI_DEV_FB_USED{gpu,UUID,modelName,Hostname,namespace,pod,container}  % / MiB
  model_requests_total{namespace,service,model,version,code}                             counter, code 200|500
  model_request_duration_seconds_bucket|_sum|_count{namespace,service,model,version[,le]}  histogram
  http_requests_total{namespace,service,code}                                            counter (no model)
  http_request_duration_seconds_bucket|_sum|_count{namespace,service[,le]}               histogram
  model_feature_psi{namespace,model,feature_view,feature}                                gauge
  model_prediction_psi{namespace,model}                                                  gauge
  feast_feature_view_last_materialization_timestamp_seconds{feature_view}                unix seconds
  feast_feature_view_materialization_interval_seconds{feature_view}                      expected schedule
  up{job,instance[,namespace,pod]}                                                       1 (0 at OOM restarts)

Pods are ``<workload>-<stable hash>-<i>`` (see :func:`pod_names`), container = workload name,
``label_app`` = workload name, ``service`` = workload name, ``version`` = the model's champion version
at that time (from the alias history). Usage follows ``mean * (1 + diurnal * sin)`` peaking at 15:00
America/Sao_Paulo, with multiplicative noise, a daily batch spike up to ``peak`` and near-zero nights
(20:00-08:00) and weekends for ``off_hours_idle``. Healthy feature views keep materializing on schedule
after the anchor; a ``stale_feature_view`` incident freezes its view from ``start_ago``.

Incidents: ``bad_model_version`` (version label switches, 5xx ratio x magnitude, latency x2, prediction
PSI up), ``stale_feature_view`` (freshness frozen, the view's feature PSI rises slowly),
``online_offline_skew`` (prediction PSI rises to 0.08 x magnitude, the feature's PSI to 0.12),
``input_drift`` (the feature's PSI ramps to magnitude over 1h), ``oom`` (memory climbs to the limit,
OOMKilled, restarts, repeat), ``cpu_saturation`` (usage at the limit, >50% throttled periods, latency x3),
``idle_gpu`` (DCGM utilization ~0 while the GPU request stays).
"""

from __future__ import annotations

import hashlib
import math
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import numpy as np
import yaml

from evals.sandbox import processes
from evals.sandbox.processes import SandboxError, ServerProcess
from evals.worlds.schema import IncidentSpec, ModelSpec, UsageProfile, WorkloadSpec, World

LOCAL_TZ = ZoneInfo("America/Sao_Paulo")
RULES_FILE = Path(__file__).parent / "rules" / "ml-platform.rules.yml"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
GIB = 2**30
BLOCK_S = 162 * 3600  # promtool block length for --max-block-duration=336h (2h * 3^4)
_GPU = {"nvidia-a10g": ("NVIDIA A10G", 23028.0), "nvidia-t4": ("Tesla T4", 15360.0)}
_Z99 = 2.3263
_SIGMA = 0.5


def _hash(*parts: object) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()


def _normal_cdf(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.array([math.erf(v / math.sqrt(2)) for v in z.tolist()]))


def _rng(seed: int, *parts: object) -> np.random.Generator:
    return np.random.default_rng(int(_hash(seed, *parts)[:16], 16))


def pod_names(world: World, workload: WorkloadSpec) -> list[str]:
    """Stable pod names of a workload: ``<workload>-<hash>-<i>`` for each replica."""
    return [f"{workload.name}-{_hash(world.seed, workload.name)[:9]}-{i}" for i in range(workload.replicas)]


@dataclass
class _Clock:
    """The sample grid (unix seconds) and its local-time features."""

    ts: np.ndarray
    anchor: int
    step_s: int
    hour: np.ndarray = field(init=False)
    off_hours: np.ndarray = field(init=False)
    ts_str: list[str] = field(init=False)

    def __post_init__(self) -> None:
        local = [datetime.fromtimestamp(int(t), LOCAL_TZ) for t in self.ts]
        self.hour = np.array([d.hour + d.minute / 60 for d in local])
        weekend = np.array([d.weekday() >= 5 for d in local])
        self.off_hours = weekend | (self.hour < 8) | (self.hour >= 20)
        self.ts_str = [str(int(t)) for t in self.ts]

    @property
    def n(self) -> int:
        return len(self.ts)

    def window(self, inc: IncidentSpec) -> np.ndarray:
        """Mask of the samples inside an incident."""
        start = self.anchor - inc.start_ago.total_seconds()
        end = self.anchor - inc.end_ago.total_seconds() if inc.end_ago is not None else math.inf
        return (self.ts >= start) & (self.ts < end)

    def hours_since(self, inc: IncidentSpec) -> np.ndarray:
        return np.clip((self.ts - (self.anchor - inc.start_ago.total_seconds())) / 3600, 0, None)


@dataclass
class _Series:
    name: str
    labels: dict[str, str]
    values: np.ndarray
    mask: np.ndarray | None = None


class _Families:
    """Metric families in insertion order; written as one OpenMetrics document."""

    def __init__(self, clock: _Clock) -> None:
        self.clock = clock
        self.families: dict[str, tuple[str, list[_Series]]] = {}

    def add(
        self,
        family: str,
        kind: str,
        name: str,
        labels: dict[str, str],
        values: np.ndarray,
        mask: np.ndarray | None = None,
    ) -> None:
        self.families.setdefault(family, (kind, []))[1].append(_Series(name, labels, values, mask))

    def write(self, path: Path, lo: float = -math.inf, hi: float = math.inf) -> int:
        """Write the samples with ``lo <= ts < hi`` to ``path``; return how many were written."""
        total = 0
        ts = self.clock.ts_str
        window = (self.clock.ts >= lo) & (self.clock.ts < hi)
        with path.open("w") as out:
            for family, (kind, series) in self.families.items():
                out.write(f"# TYPE {family} {kind}\n")
                for s in series:
                    labels = ",".join(f'{k}="{v}"' for k, v in s.labels.items())
                    prefix = f"{s.name}{{{labels}}} "
                    idx = np.flatnonzero(window if s.mask is None else window & s.mask).tolist()
                    vals = s.values.tolist()
                    out.write("".join(f"{prefix}{vals[i]:.12g} {ts[i]}\n" for i in idx))
                    total += len(idx)
            out.write("# EOF\n")
        return total


def _profile(p: UsageProfile, clock: _Clock, rng: np.random.Generator) -> np.ndarray:
    """``mean * (1 + diurnal * sin(day phase))`` with noise, daily peaks and off-hours idling."""
    v = p.mean * (1 + p.diurnal * np.sin(2 * np.pi * (clock.hour - 9) / 24))
    v = v * (1 + rng.normal(0, p.noise, clock.n))
    if p.peak is not None:
        day = (clock.ts - clock.ts[0]) // 86400
        for d in np.unique(day):
            idx = np.flatnonzero(day == d)
            start = idx[0] + int(rng.integers(0, max(1, len(idx) - 12)))
            length = int(rng.integers(3, 10))
            v[start : start + length] = p.peak * rng.uniform(0.9, 1.0, len(v[start : start + length]))
    if p.off_hours_idle:
        v = np.where(clock.off_hours, p.mean * 0.02 * rng.uniform(0.5, 1.5, clock.n), v)
    return np.clip(v, 0, None)


def _incidents(world: World, kind: str, **match: str | None) -> list[IncidentSpec]:
    return [i for i in world.incidents_of(kind) if all(getattr(i, k) == v for k, v in match.items())]


def _pod_series(out: _Families, world: World, w: WorkloadSpec, clock: _Clock) -> None:
    for i, pod in enumerate(pod_names(world, w)):
        rng = _rng(world.seed, w.name, i)
        base = {"namespace": w.namespace, "pod": pod, "container": w.name}
        pod_labels = {
            "namespace": w.namespace,
            "pod": pod,
            "label_app": w.name,
            "label_team": w.team,
            "label_env": w.env,
        } | ({"label_model": w.model} if w.model else {})
        out.add("kube_pod_labels", "gauge", "kube_pod_labels", pod_labels, np.ones(clock.n))
        _resources(out, w, base, clock)
        cpu = _profile(w.cpu_usage, clock, rng)
        mem = _profile(w.mem_usage_gib, clock, rng) * GIB
        restarts = np.zeros(clock.n)
        oomed = np.zeros(clock.n)
        for inc in _incidents(world, "oom", workload=w.name):
            mem, restarts, oomed = _oom(mem, restarts, oomed, w, clock.window(inc), rng)
        throttled = np.clip((cpu / (w.cpu_limit or math.inf) - 0.7) / 0.3, 0, 1) * 0.25
        for inc in _incidents(world, "cpu_saturation", workload=w.name):
            win = clock.window(inc)
            limit = w.cpu_limit or w.cpu_request
            cpu = np.where(win, limit * rng.uniform(0.96, 1.0, clock.n), cpu)
            throttled = np.where(win, rng.uniform(0.55, 0.7, clock.n) * min(1.0, inc.magnitude), throttled)
        if w.cpu_limit:
            cpu = np.minimum(cpu, w.cpu_limit)
            periods = np.full(clock.n, clock.step_s / 0.1)
            out.add(
                "container_cpu_cfs_periods",
                "counter",
                "container_cpu_cfs_periods_total",
                base,
                np.cumsum(periods),
            )
            out.add(
                "container_cpu_cfs_throttled_periods",
                "counter",
                "container_cpu_cfs_throttled_periods_total",
                base,
                np.cumsum(periods * throttled),
            )
        out.add(
            "container_cpu_usage_seconds",
            "counter",
            "container_cpu_usage_seconds_total",
            base,
            np.cumsum(cpu * clock.step_s),
        )
        out.add(
            "container_memory_working_set_bytes",
            "gauge",
            "container_memory_working_set_bytes",
            base,
            np.round(mem),
        )
        out.add(
            "kube_pod_container_status_restarts",
            "counter",
            "kube_pod_container_status_restarts_total",
            base,
            restarts,
        )
        out.add(
            "kube_pod_container_status_last_terminated_reason",
            "gauge",
            "kube_pod_container_status_last_terminated_reason",
            base | {"reason": "OOMKilled"},
            oomed,
        )
        up = np.where(np.diff(restarts, prepend=restarts[0]) > 0, 0.0, 1.0)
        out.add(
            "up",
            "gauge",
            "up",
            {"job": w.name, "instance": f"{pod}:8080", "namespace": w.namespace, "pod": pod},
            up,
        )
        if w.gpus:
            _gpu_series(out, world, w, i, base, clock)


def _resources(out: _Families, w: WorkloadSpec, base: dict[str, str], clock: _Clock) -> None:
    ones = np.ones(clock.n)
    for family, cpu, mem in (
        ("kube_pod_container_resource_requests", w.cpu_request, w.mem_request_gib),
        ("kube_pod_container_resource_limits", w.cpu_limit, w.mem_limit_gib),
    ):
        values = [
            ("cpu", "core", cpu),
            ("memory", "byte", mem * GIB if mem else None),
            ("nvidia_com_gpu", "integer", w.gpus or None),
        ]
        for resource, unit, value in values:
            if value is not None:
                out.add(family, "gauge", family, base | {"resource": resource, "unit": unit}, ones * value)


def _oom(
    mem: np.ndarray,
    restarts: np.ndarray,
    oomed: np.ndarray,
    w: WorkloadSpec,
    win: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Within ``win``: memory climbs to the limit over 8 steps, is OOMKilled, restarts; repeat."""
    limit = (w.mem_limit_gib or w.mem_request_gib) * GIB
    mem, events = mem.copy(), np.zeros(len(mem))
    idx = np.flatnonzero(win)
    for k, j in enumerate(idx):
        phase = k % 8
        mem[j] = mem[j] + (limit - mem[j]) * (phase / 7) * rng.uniform(0.97, 1.0)
        if phase == 7:
            mem[j] = limit
            if j + 1 < len(mem):
                events[j + 1] = 1
    return mem, restarts + np.cumsum(events), np.maximum(oomed, win.astype(float))


def _gpu_series(
    out: _Families, world: World, w: WorkloadSpec, i: int, base: dict[str, str], clock: _Clock
) -> None:
    model_name, fb_total = _GPU.get(w.gpu_type, (w.gpu_type.upper(), 16384.0))
    host = f"ip-10-42-{int(_hash(w.name, i)[:2], 16)}-{int(_hash(w.name, i)[2:4], 16)}.sa-east-1.compute.internal"
    profile = w.gpu_util_pct or UsageProfile(mean=50.0)
    for g in range(w.gpus):
        rng = _rng(world.seed, w.name, i, "gpu", g)
        util = np.clip(_profile(profile, clock, rng), 0, 100)
        for inc in _incidents(world, "idle_gpu", workload=w.name):
            util = np.where(clock.window(inc), np.abs(rng.normal(0, 0.2, clock.n)), util)
        h = _hash(world.seed, w.name, i, g)
        labels = {
            "gpu": str(g),
            "UUID": f"GPU-{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}",
            "modelName": model_name,
            "Hostname": host,
        } | base
        out.add("DCGM_FI_DEV_GPU_UTIL", "gauge", "DCGM_FI_DEV_GPU_UTIL", labels, np.round(util, 1))
        fb = fb_total * (0.02 + 0.6 * util / 100) * rng.uniform(0.98, 1.02, clock.n)
        out.add("DCGM_FI_DEV_FB_USED", "gauge", "DCGM_FI_DEV_FB_USED", labels, np.round(fb))


def _champion_versions(model: ModelSpec, world: World, clock: _Clock) -> np.ndarray:
    latest = max(v.version for v in model.versions)
    versions = np.array(
        [model.alias_at("champion", timedelta(seconds=clock.anchor - int(t))) or latest for t in clock.ts]
    )
    for inc in _incidents(world, "bad_model_version", model=model.name):
        if inc.version is not None:
            versions = np.where(clock.window(inc), inc.version, versions)
    return versions


def _traffic_series(out: _Families, world: World, w: WorkloadSpec, clock: _Clock) -> None:
    """Request counters and latency histograms of a serving workload or service with traffic."""
    rng = _rng(world.seed, w.name, "traffic")
    rps = (
        w.traffic_rps * (1 + 0.35 * np.sin(2 * np.pi * (clock.hour - 9) / 24)) * rng.normal(1, 0.03, clock.n)
    )
    requests = np.clip(rps, 0, None) * clock.step_s
    err = np.clip(w.error_rate * rng.normal(1, 0.05, clock.n), 0, 1)
    slow = np.ones(clock.n)
    model = world.model(w.model) if w.model else None
    if model is not None:
        for inc in _incidents(world, "bad_model_version", model=model.name):
            err = np.where(clock.window(inc), np.clip(err * inc.magnitude, 0, 1), err)
            slow = np.where(clock.window(inc), 2.0, slow)
    for inc in _incidents(world, "cpu_saturation", workload=w.name):
        slow = np.where(clock.window(inc), 3.0 * max(1.0, inc.magnitude), slow)
    mu = math.log(max(w.latency_p99_ms, 1.0) / 1000) - _Z99 * _SIGMA + np.log(slow)
    labels = {"namespace": w.namespace, "service": w.name}
    if model is None:
        _request_families(out, "http", labels, requests, err, mu, None)
        return
    versions = _champion_versions(model, world, clock)
    for v in np.unique(versions):
        mask = versions == v
        _request_families(
            out,
            "model",
            labels | {"model": model.name, "version": str(int(v))},
            np.where(mask, requests, 0),
            err,
            mu,
            mask,
        )


def _request_families(
    out: _Families,
    prefix: str,
    labels: dict[str, str],
    requests: np.ndarray,
    err: np.ndarray,
    mu: np.ndarray,
    mask: np.ndarray | None,
) -> None:
    errors = np.round(requests * err)
    for code, count in (("200", np.round(requests) - errors), ("500", errors)):
        out.add(
            f"{prefix}_requests",
            "counter",
            f"{prefix}_requests_total",
            labels | {"code": code},
            np.cumsum(count),
            mask,
        )
    family = f"{prefix}_request_duration_seconds"
    total = np.round(requests)
    for le in BUCKETS:
        share = _normal_cdf((math.log(le) - mu) / _SIGMA)
        out.add(
            family,
            "histogram",
            f"{family}_bucket",
            labels | {"le": str(le)},
            np.cumsum(np.round(total * share)),
            mask,
        )
    out.add(family, "histogram", f"{family}_bucket", labels | {"le": "+Inf"}, np.cumsum(total), mask)
    out.add(family, "histogram", f"{family}_sum", labels, np.cumsum(total * np.exp(mu + _SIGMA**2 / 2)), mask)
    out.add(family, "histogram", f"{family}_count", labels, np.cumsum(total), mask)


def _drift_series(out: _Families, world: World, model: ModelSpec, clock: _Clock) -> None:
    ns = world.workload(model.serving_workload).namespace if model.serving_workload else "ml-serving"
    for ref in model.features:
        view, _, feature = ref.partition(":")
        rng = _rng(world.seed, model.name, ref)
        psi = rng.uniform(0.01, 0.05) + np.abs(rng.normal(0, 0.004, clock.n))
        for inc in _incidents(world, "input_drift", model=model.name, feature=feature):
            psi = psi + np.clip(clock.hours_since(inc), 0, 1) * inc.magnitude * clock.window(inc)
        for inc in _incidents(world, "stale_feature_view", feature_view=view):
            psi = psi + np.minimum(0.012 * clock.hours_since(inc), 0.15) * clock.window(inc)
        for inc in _incidents(world, "online_offline_skew", model=model.name, feature=feature):
            psi = psi + np.clip(clock.hours_since(inc) / 2, 0, 1) * 0.12 * clock.window(inc)
        out.add(
            "model_feature_psi",
            "gauge",
            "model_feature_psi",
            {"namespace": ns, "model": model.name, "feature_view": view, "feature": feature},
            np.round(psi, 4),
        )
    rng = _rng(world.seed, model.name, "prediction")
    psi = rng.uniform(0.015, 0.04) + np.abs(rng.normal(0, 0.004, clock.n))
    for inc in _incidents(world, "bad_model_version", model=model.name):
        psi = psi + np.clip(clock.hours_since(inc) * 4, 0, 1) * 0.12 * clock.window(inc)
    for inc in _incidents(world, "online_offline_skew", model=model.name):
        psi = psi + np.clip(clock.hours_since(inc) / 2, 0, 1) * 0.08 * inc.magnitude * clock.window(inc)
    out.add(
        "model_prediction_psi",
        "gauge",
        "model_prediction_psi",
        {"namespace": ns, "model": model.name},
        np.round(psi, 4),
    )


def _freshness_series(out: _Families, world: World, clock: _Clock) -> None:
    for view in world.feature_views:
        schedule = int(view.schedule.total_seconds())
        last = clock.anchor - int(view.last_materialized_ago.total_seconds())
        # the latest point of the materialization grid (last + k * schedule) at or before each sample
        runs = last + np.floor((clock.ts - last) / schedule).astype(np.int64) * schedule
        for inc in _incidents(world, "stale_feature_view", feature_view=view.name):
            start = clock.anchor - int(inc.start_ago.total_seconds())
            frozen = last + math.floor((start - last) / schedule) * schedule
            runs = np.where(clock.window(inc), np.minimum(runs, frozen), runs)
        labels = {"feature_view": view.name}
        out.add(
            "feast_feature_view_last_materialization_timestamp_seconds",
            "gauge",
            "feast_feature_view_last_materialization_timestamp_seconds",
            labels,
            runs.astype(float),
        )
        out.add(
            "feast_feature_view_materialization_interval_seconds",
            "gauge",
            "feast_feature_view_materialization_interval_seconds",
            labels,
            np.full(clock.n, schedule),
        )


def _build(world: World, anchor: datetime) -> _Families:
    step = int(world.step.total_seconds())
    a = int(anchor.timestamp())
    ts = np.arange(a - int(world.history.total_seconds()), a + int(world.future.total_seconds()) + 1, step)
    clock = _Clock(ts=ts, anchor=a, step_s=step)
    out = _Families(clock)
    for w in world.workloads:
        _pod_series(out, world, w, clock)
    for w in world.workloads:
        if w.traffic_rps > 0:
            _traffic_series(out, world, w, clock)
    for model in world.models:
        _drift_series(out, world, model, clock)
    _freshness_series(out, world, clock)
    for job, instance in (
        ("kube-state-metrics", "kube-state-metrics.monitoring:8080"),
        ("kubelet", "kubelet.kube-system:10250"),
        ("dcgm-exporter", "dcgm-exporter:9400"),
        ("feast-exporter", "feast-exporter.feature-store:8000"),
    ):
        out.add("up", "gauge", "up", {"job": job, "instance": instance}, np.ones(clock.n))
    return out


def render_openmetrics(world: World, anchor: datetime, out_path: Path) -> int:
    """Write the world's series as one OpenMetrics file for ``promtool``; return the number of samples."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    return _build(world, anchor).write(out_path)


def render_openmetrics_chunks(world: World, anchor: datetime, out_dir: Path) -> list[Path]:
    """Like :func:`render_openmetrics`, one file per ``promtool`` block window.

    ``promtool`` re-reads its whole input once per block window; files that each fall inside one
    window are read once, and can be backfilled in parallel.
    """
    out = _build(world, anchor)
    out_dir.mkdir(parents=True, exist_ok=True)
    ts = out.clock.ts
    paths = []
    for lo in range(int(ts[0]) // BLOCK_S * BLOCK_S, int(ts[-1]) + 1, BLOCK_S):
        path = out_dir / f"world-{lo}.om"
        if out.write(path, lo, lo + BLOCK_S):
            paths.append(path)
    return paths


# --- servers --------------------------------------------------------------------------------------


def backfill(openmetrics: Path | Sequence[Path], data_dir: Path, *, parallel: int = 2) -> None:
    """Turn OpenMetrics file(s) into TSDB blocks in ``data_dir`` with ``promtool``, ``parallel`` at a time."""
    data_dir.mkdir(parents=True, exist_ok=True)
    pending = [openmetrics] if isinstance(openmetrics, Path) else list(openmetrics)
    while pending:
        batch, pending = pending[:parallel], pending[parallel:]
        running = [
            subprocess.Popen(
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
            for path in batch
        ]
        for proc in running:
            _, err = proc.communicate()
            if proc.returncode != 0:
                raise SandboxError(f"promtool backfill failed ({proc.returncode}): {err[-2000:]}")


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
    shutil.rmtree(home / "data", ignore_errors=True)
    chunks = render_openmetrics_chunks(world, anchor, home / "openmetrics")
    backfill(chunks, home / "data")
    shutil.rmtree(home / "openmetrics")
    port = port or processes.free_port()
    rules = render_rules(
        home / "rules" / RULES_FILE.name, runbook_base_url=runbook_base_url, alert_for=alert_for
    )
    config = home / "prometheus.yml"
    config.write_text(yaml.safe_dump(prometheus_config(port, rules, alertmanager_port), sort_keys=False))
    argv = [
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
    proc = processes.start("prometheus", argv, port=port, log_dir=directory)
    url = f"http://127.0.0.1:{port}"
    try:
        processes.wait_http(f"{url}/-/ready", timeout_s=ready_timeout_s, proc=proc)
        processes.wait_http(
            f"{url}/api/v1/query?query=count(kube_pod_labels)",
            timeout_s=ready_timeout_s,
            proc=proc,
            ok=_has_data,
        )
    except SandboxError:
        processes.stop(proc)
        raise
    return proc


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
