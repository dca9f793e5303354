"""Per-pod series of a workload: labels, resource requests/limits, CPU, memory, OOM restarts, ``up``, GPUs.

Pods are ``<workload>-<stable hash>-<i>`` (:func:`pod_names`), owned (``kube_pod_owner``) by the
ReplicaSet ``<workload>-<stable hash>`` of the Deployment ``<workload>`` (``kube_replicaset_owner``), or by
the Job ``<workload>`` for batch and training workloads; the container is ``container`` or the workload name. ``oom`` incidents make memory climb to the
limit, get OOMKilled and restart; ``cpu_saturation`` pins usage at the limit with >50% throttled periods;
``idle_gpu`` drops DCGM utilization to ~0 while the GPU request stays; ``failed_job`` sets
``kube_job_status_failed`` of a batch, training or feature-pipeline Job to 1; a ``traffic_surge``
multiplies CPU usage by its magnitude (throttled at the limit). Deployments carry
``kube_deployment_metadata_generation`` / ``kube_deployment_status_observed_generation``; a
``crash_loop_after_rollout`` bumps both at its start, and the new ReplicaSet's pod restarts every 10
minutes, waiting in ``CrashLoopBackOff`` in between (the old pods keep running: the rollout stalls).
"""

from __future__ import annotations

import math

import numpy as np

from evals.sandbox.prometheus_world.clock import Clock
from evals.sandbox.prometheus_world.families import Families
from evals.sandbox.prometheus_world.signals import matching_incidents, seeded_rng, stable_hash, usage_profile
from evals.worlds.schema import UsageProfile, WorkloadSpec, World

GIB = 2**30
_GPU = {"nvidia-a10g": ("NVIDIA A10G", 23028.0), "nvidia-t4": ("Tesla T4", 15360.0)}


def pod_names(world: World, workload: WorkloadSpec) -> list[str]:
    """Stable pod names of a workload: ``<workload>-<hash>-<i>`` for each replica."""
    return [
        f"{workload.name}-{stable_hash(world.seed, workload.name)[:9]}-{i}" for i in range(workload.replicas)
    ]


def rollout_pod_name(world: World, workload: str, rollout: str) -> str:
    """The pod of the new ReplicaSet a ``crash_loop_after_rollout`` incident (id ``rollout``) creates."""
    return f"{workload}-{stable_hash(world.seed, workload, rollout)[:9]}-0"


def pod_series(out: Families, world: World, w: WorkloadSpec, clock: Clock) -> None:
    """Every series of each of the workload's pods (and their GPUs)."""
    _owner_series(out, world, w, clock)
    if w.kind in ("batch", "training", "feature-pipeline"):
        _job_series(out, world, w, clock)
    if w.kind not in ("batch", "training"):
        _deployment_series(out, world, w, clock)
    for i, pod in enumerate(pod_names(world, w)):
        rng = seeded_rng(world.seed, w.name, i)
        base = {"namespace": w.namespace, "pod": pod, "container": w.container or w.name}
        out.add("kube_pod_labels", "gauge", "kube_pod_labels", _pod_labels(w, pod), np.ones(clock.n))
        _resources(out, w, base, clock)
        cpu = usage_profile(w.cpu_usage, clock, rng)
        mem, restarts, oomed = _memory(world, w, clock, rng)
        cpu, throttled = _cpu_saturation(world, w, clock, cpu, rng)
        cpu, throttled = _surge(world, w, clock, cpu, throttled, rng)
        _cpu_series(out, w, base, clock, cpu, throttled)
        _container_status(out, w, base, mem, restarts, oomed)
        if w.gpus:
            _gpu_series(out, world, w, i, base, clock)


def _owner_series(out: Families, world: World, w: WorkloadSpec, clock: Clock) -> None:
    """kube-state-metrics owner references: pod → ReplicaSet → Deployment (batch/training pods → Job)."""
    ones = np.ones(clock.n)
    job = w.kind in ("batch", "training")
    replicaset = f"{w.name}-{stable_hash(world.seed, w.name)[:9]}"
    for pod in pod_names(world, w):
        owner = (
            {"owner_kind": "Job", "owner_name": w.name}
            if job
            else {"owner_kind": "ReplicaSet", "owner_name": replicaset}
        )
        labels = {"namespace": w.namespace, "pod": pod, "owner_is_controller": "true"} | owner
        out.add("kube_pod_owner", "gauge", "kube_pod_owner", labels, ones)
    if not job:
        labels = {
            "namespace": w.namespace,
            "replicaset": replicaset,
            "owner_kind": "Deployment",
            "owner_name": w.name,
        }
        out.add(
            "kube_replicaset_owner",
            "gauge",
            "kube_replicaset_owner",
            labels | {"owner_is_controller": "true"},
            ones,
        )


def _job_series(out: Families, world: World, w: WorkloadSpec, clock: Clock) -> None:
    """kube-state-metrics Job status: ``failed`` is 1 inside a ``failed_job`` incident, ``succeeded`` outside."""
    failed = np.zeros(clock.n)
    for inc in matching_incidents(world, "failed_job", workload=w.name):
        failed = np.where(clock.window(inc), 1.0, failed)
    labels = {"namespace": w.namespace, "job_name": w.name}
    out.add("kube_job_status_failed", "gauge", "kube_job_status_failed", labels, failed)
    out.add("kube_job_status_succeeded", "gauge", "kube_job_status_succeeded", labels, 1.0 - failed)


def _deployment_series(out: Families, world: World, w: WorkloadSpec, clock: Clock) -> None:
    """The Deployment's generation (spec changes), bumped by each rollout; its crash-looping new pods."""
    generation = np.full(clock.n, 1.0 + int(stable_hash(world.seed, w.name, "generation")[:4], 16) % 40)
    for inc in matching_incidents(world, "crash_loop_after_rollout", workload=w.name):
        win = clock.window(inc)
        generation = generation + (clock.ts >= clock.ts[win][0] if win.any() else 0)
        _crash_looping_pod(out, world, w, inc.id, win, clock)
    labels = {"namespace": w.namespace, "deployment": w.name}
    for name in ("kube_deployment_metadata_generation", "kube_deployment_status_observed_generation"):
        out.add(name, "gauge", name, labels, generation)


def _crash_looping_pod(
    out: Families, world: World, w: WorkloadSpec, rollout: str, win: np.ndarray, clock: Clock
) -> None:
    """The rollout's new ReplicaSet and its pod, restarting every 2 steps and in CrashLoopBackOff."""
    pod = rollout_pod_name(world, w.name, rollout)
    replicaset = pod.rsplit("-", 1)[0]
    ones = np.ones(clock.n)
    rs_labels = {
        "namespace": w.namespace,
        "replicaset": replicaset,
        "owner_kind": "Deployment",
        "owner_name": w.name,
    }
    out.add(
        "kube_replicaset_owner",
        "gauge",
        "kube_replicaset_owner",
        rs_labels | {"owner_is_controller": "true"},
        ones,
        win,
    )
    owner = {
        "namespace": w.namespace,
        "pod": pod,
        "owner_is_controller": "true",
        "owner_kind": "ReplicaSet",
        "owner_name": replicaset,
    }
    out.add("kube_pod_owner", "gauge", "kube_pod_owner", owner, ones, win)
    out.add("kube_pod_labels", "gauge", "kube_pod_labels", _pod_labels(w, pod), ones, win)
    base = {"namespace": w.namespace, "pod": pod, "container": w.container or w.name}
    restarts = np.cumsum(win & (np.cumsum(win) % 2 == 0))
    out.add(
        "kube_pod_container_status_restarts",
        "counter",
        "kube_pod_container_status_restarts_total",
        base,
        restarts.astype(float),
        win,
    )
    reason = "kube_pod_container_status_waiting_reason"
    out.add(reason, "gauge", reason, base | {"reason": "CrashLoopBackOff"}, ones, win)
    last = "kube_pod_container_status_last_terminated_reason"
    out.add(last, "gauge", last, base | {"reason": "Error"}, ones, win)


def _surge(
    world: World,
    w: WorkloadSpec,
    clock: Clock,
    cpu: np.ndarray,
    throttled: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """CPU usage scaled by a ``traffic_surge``'s magnitude; throttled when that reaches the limit."""
    for inc in matching_incidents(world, "traffic_surge", workload=w.name):
        win = clock.window(inc)
        cpu = np.where(win, cpu * inc.magnitude, cpu)
        if w.cpu_limit:
            hot = win & (cpu >= 0.9 * w.cpu_limit)
            throttled = np.where(hot, rng.uniform(0.3, 0.5, clock.n), throttled)
    return cpu, throttled


def _pod_labels(w: WorkloadSpec, pod: str) -> dict[str, str]:
    return {
        "namespace": w.namespace,
        "pod": pod,
        "label_app": w.name,
        "label_team": w.team,
        "label_env": w.env,
    } | ({"label_model": w.model} if w.model else {})


def _resources(out: Families, w: WorkloadSpec, base: dict[str, str], clock: Clock) -> None:
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


def _memory(
    world: World, w: WorkloadSpec, clock: Clock, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Working-set bytes, restart counter and the OOMKilled flag, with the workload's ``oom`` incidents."""
    mem = usage_profile(w.mem_usage_gib, clock, rng) * GIB
    restarts = np.zeros(clock.n)
    oomed = np.zeros(clock.n)
    for inc in matching_incidents(world, "oom", workload=w.name):
        mem, restarts, oomed = _oom(mem, restarts, oomed, w, clock.window(inc), rng)
    return mem, restarts, oomed


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


def _cpu_saturation(
    world: World, w: WorkloadSpec, clock: Clock, cpu: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """CPU usage and the throttled share of CFS periods, pinned at the limit in ``cpu_saturation``."""
    throttled = np.clip((cpu / (w.cpu_limit or math.inf) - 0.7) / 0.3, 0, 1) * 0.25
    for inc in matching_incidents(world, "cpu_saturation", workload=w.name):
        win = clock.window(inc)
        limit = w.cpu_limit or w.cpu_request
        cpu = np.where(win, limit * rng.uniform(0.96, 1.0, clock.n), cpu)
        throttled = np.where(win, rng.uniform(0.55, 0.7, clock.n) * min(1.0, inc.magnitude), throttled)
    return cpu, throttled


def _cpu_series(
    out: Families, w: WorkloadSpec, base: dict[str, str], clock: Clock, cpu: np.ndarray, throttled: np.ndarray
) -> None:
    """CPU usage counter; CFS period counters when the container has a CPU limit."""
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


def _container_status(
    out: Families,
    w: WorkloadSpec,
    base: dict[str, str],
    mem: np.ndarray,
    restarts: np.ndarray,
    oomed: np.ndarray,
) -> None:
    """Memory working set, restarts, last terminated reason and the pod's ``up`` (0 at restarts)."""
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
    pod = base["pod"]
    out.add(
        "up",
        "gauge",
        "up",
        {"job": w.name, "instance": f"{pod}:8080", "namespace": w.namespace, "pod": pod},
        up,
    )


def _gpu_series(
    out: Families, world: World, w: WorkloadSpec, i: int, base: dict[str, str], clock: Clock
) -> None:
    """DCGM utilization and framebuffer use of each GPU of pod ``i``; ~0 utilization in ``idle_gpu``."""
    model_name, fb_total = _GPU.get(w.gpu_type, (w.gpu_type.upper(), 16384.0))
    host = _host(w, i)
    profile = w.gpu_util_pct or UsageProfile(mean=50.0)
    for g in range(w.gpus):
        rng = seeded_rng(world.seed, w.name, i, "gpu", g)
        util = np.clip(usage_profile(profile, clock, rng), 0, 100)
        for inc in matching_incidents(world, "idle_gpu", workload=w.name):
            util = np.where(clock.window(inc), np.abs(rng.normal(0, 0.2, clock.n)), util)
        h = stable_hash(world.seed, w.name, i, g)
        labels = {
            "gpu": str(g),
            "UUID": f"GPU-{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}",
            "modelName": model_name,
            "Hostname": host,
        } | base
        out.add("DCGM_FI_DEV_GPU_UTIL", "gauge", "DCGM_FI_DEV_GPU_UTIL", labels, np.round(util, 1))
        fb = fb_total * (0.02 + 0.6 * util / 100) * rng.uniform(0.98, 1.02, clock.n)
        out.add("DCGM_FI_DEV_FB_USED", "gauge", "DCGM_FI_DEV_FB_USED", labels, np.round(fb))


def _host(w: WorkloadSpec, i: int) -> str:
    h = stable_hash(w.name, i)
    return f"ip-10-42-{int(h[:2], 16)}-{int(h[2:4], 16)}.sa-east-1.compute.internal"
