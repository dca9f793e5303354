"""Series of the world's models and services: traffic, request counters and latency histograms, drift, freshness.

``version`` is the model's champion version at each sample (from the alias history). ``bad_model_version``
switches the version label, multiplies the 5xx ratio by ``magnitude``, doubles latency and raises prediction
PSI; ``cpu_saturation`` triples latency; ``input_drift``, ``stale_feature_view`` and ``online_offline_skew``
raise feature / prediction PSI; a ``stale_feature_view`` freezes its view's last materialization.
A ``traffic_surge`` multiplies the request rate by ``magnitude`` (errors per version unchanged) and slows
answers with the load; each of a workload's ``dependencies`` gets client-side call latency histograms
(labelled by its ``client_metrics`` convention), and a ``degraded_dependency`` makes one of them ~10x
slower with timeouts, which slows the caller.
"""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np

from evals.sandbox.prometheus_world.clock import Clock
from evals.sandbox.prometheus_world.families import Families
from evals.sandbox.prometheus_world.signals import matching_incidents, seeded_rng
from evals.worlds.schema import ModelSpec, WorkloadSpec, World

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
_Z99 = 2.3263
_SIGMA = 0.5


def _normal_cdf(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.array([math.erf(v / math.sqrt(2)) for v in z.tolist()]))


def _champion_versions(model: ModelSpec, world: World, clock: Clock) -> np.ndarray:
    """The champion version at each sample; a ``bad_model_version`` incident's version inside it."""
    latest = max(v.version for v in model.versions)
    versions = np.array(
        [model.alias_at("champion", timedelta(seconds=clock.anchor - int(t))) or latest for t in clock.ts]
    )
    for inc in matching_incidents(world, "bad_model_version", model=model.name):
        if inc.version is not None:
            versions = np.where(clock.window(inc), inc.version, versions)
    return versions


def traffic_series(out: Families, world: World, w: WorkloadSpec, clock: Clock) -> None:
    """Request counters and latency histograms of a serving workload or service with traffic."""
    rng = seeded_rng(world.seed, w.name, "traffic")
    rps = (
        w.traffic_rps * (1 + 0.35 * np.sin(2 * np.pi * (clock.hour - 9) / 24)) * rng.normal(1, 0.03, clock.n)
    )
    requests = np.clip(rps, 0, None) * clock.step_s
    err = np.clip(w.error_rate * rng.normal(1, 0.05, clock.n), 0, 1)
    slow = np.ones(clock.n)
    model = world.model(w.model) if w.model else None
    if model is not None:
        for inc in matching_incidents(world, "bad_model_version", model=model.name):
            err = np.where(clock.window(inc), np.clip(err * inc.magnitude, 0, 1), err)
            slow = np.where(clock.window(inc), 2.0, slow)
    for inc in matching_incidents(world, "cpu_saturation", workload=w.name):
        slow = np.where(clock.window(inc), 3.0 * max(1.0, inc.magnitude), slow)
    for inc in matching_incidents(world, "traffic_surge", workload=w.name):
        requests = np.where(clock.window(inc), requests * inc.magnitude, requests)
        slow = np.where(clock.window(inc), np.maximum(slow, min(4.0, 1 + 0.3 * (inc.magnitude - 1))), slow)
    for inc in matching_incidents(world, "degraded_dependency", workload=w.name):
        slow = np.where(clock.window(inc), np.maximum(slow, 1 + 2 * inc.magnitude), slow)
    mu = math.log(max(w.latency_p99_ms, 1.0) / 1000) - _Z99 * _SIGMA + np.log(slow)
    for dependency in w.dependencies:
        dependency_series(out, world, w, dependency, requests, clock)
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
    out: Families,
    prefix: str,
    labels: dict[str, str],
    requests: np.ndarray,
    err: np.ndarray,
    mu: np.ndarray,
    mask: np.ndarray | None,
) -> None:
    """``<prefix>_requests_total`` by code and the ``<prefix>_request_duration_seconds`` histogram."""
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


def dependency_series(
    out: Families, world: World, w: WorkloadSpec, dependency: str, requests: np.ndarray, clock: Clock
) -> None:
    """Client-side latency histogram of the calls ``w`` makes to ``dependency`` (one per request), split
    by outcome; ~10x slower with ~3% x magnitude timeouts inside a ``degraded_dependency`` incident."""
    rng = seeded_rng(world.seed, w.name, "dependency", dependency)
    err = np.clip(0.001 * rng.normal(1, 0.1, clock.n), 0, 1)
    slow = np.ones(clock.n)
    for inc in matching_incidents(world, "degraded_dependency", workload=w.name, dependency=dependency):
        slow = np.where(clock.window(inc), 1 + 9 * inc.magnitude, slow)
        err = np.where(clock.window(inc), np.clip(0.03 * inc.magnitude, 0, 1), err)
    p99_s = max(0.005, 0.25 * w.latency_p99_ms / 1000)
    mu = math.log(p99_s) - _Z99 * _SIGMA + np.log(slow)
    if w.client_metrics == "opentelemetry":
        family, caller, target, status = (
            "http_client_request_duration_seconds",
            "job",
            "server_address",
            "http_response_status_code",
        )
        codes = ("200", "504")
    else:
        family, caller, target, status = (
            "dependency_request_duration_seconds",
            "service",
            "dependency",
            "code",
        )
        codes = ("200", "500")
    labels = {"namespace": w.namespace, caller: w.name, target: dependency}
    errors = np.round(requests * err)
    for code, count in ((codes[0], np.round(requests) - errors), (codes[1], errors)):
        _histogram(out, family, labels | {status: code}, count, mu)


def _histogram(out: Families, family: str, labels: dict[str, str], count: np.ndarray, mu: np.ndarray) -> None:
    """A log-normal latency histogram of ``count`` observations per sample (cumulated)."""
    for le in BUCKETS:
        share = _normal_cdf((math.log(le) - mu) / _SIGMA)
        out.add(
            family,
            "histogram",
            f"{family}_bucket",
            labels | {"le": str(le)},
            np.cumsum(np.round(count * share)),
        )
    out.add(family, "histogram", f"{family}_bucket", labels | {"le": "+Inf"}, np.cumsum(count))
    out.add(family, "histogram", f"{family}_sum", labels, np.cumsum(count * np.exp(mu + _SIGMA**2 / 2)))
    out.add(family, "histogram", f"{family}_count", labels, np.cumsum(count))


def drift_series(out: Families, world: World, model: ModelSpec, clock: Clock) -> None:
    """PSI of each of the model's features and of its predictions."""
    ns = world.workload(model.serving_workload).namespace if model.serving_workload else "ml-serving"
    for ref in model.features:
        _feature_psi(out, world, model, ref, ns, clock)
    _prediction_psi(out, world, model, ns, clock)


def _feature_psi(out: Families, world: World, model: ModelSpec, ref: str, ns: str, clock: Clock) -> None:
    """``model_feature_psi`` of one ``<view>:<feature>`` reference."""
    view, _, feature = ref.partition(":")
    rng = seeded_rng(world.seed, model.name, ref)
    psi = rng.uniform(0.01, 0.05) + np.abs(rng.normal(0, 0.004, clock.n))
    for inc in matching_incidents(world, "input_drift", model=model.name, feature=feature):
        psi = psi + np.clip(clock.hours_since(inc), 0, 1) * inc.magnitude * clock.window(inc)
    for inc in matching_incidents(world, "stale_feature_view", feature_view=view):
        psi = psi + np.minimum(0.012 * clock.hours_since(inc), 0.15) * clock.window(inc)
    for inc in matching_incidents(world, "online_offline_skew", model=model.name, feature=feature):
        psi = psi + np.clip(clock.hours_since(inc) / 2, 0, 1) * 0.12 * clock.window(inc)
    out.add(
        "model_feature_psi",
        "gauge",
        "model_feature_psi",
        {"namespace": ns, "model": model.name, "feature_view": view, "feature": feature},
        np.round(psi, 4),
    )


def _prediction_psi(out: Families, world: World, model: ModelSpec, ns: str, clock: Clock) -> None:
    """``model_prediction_psi`` of the model."""
    rng = seeded_rng(world.seed, model.name, "prediction")
    psi = rng.uniform(0.015, 0.04) + np.abs(rng.normal(0, 0.004, clock.n))
    for inc in matching_incidents(world, "bad_model_version", model=model.name):
        psi = psi + np.clip(clock.hours_since(inc) * 4, 0, 1) * 0.12 * clock.window(inc)
    for inc in matching_incidents(world, "online_offline_skew", model=model.name):
        psi = psi + np.clip(clock.hours_since(inc) / 2, 0, 1) * 0.08 * inc.magnitude * clock.window(inc)
    out.add(
        "model_prediction_psi",
        "gauge",
        "model_prediction_psi",
        {"namespace": ns, "model": model.name},
        np.round(psi, 4),
    )


def freshness_series(out: Families, world: World, clock: Clock) -> None:
    """Last materialization time and expected interval of each feature view."""
    for view in world.feature_views:
        schedule = int(view.schedule.total_seconds())
        last = clock.anchor - int(view.last_materialized_ago.total_seconds())
        # the latest point of the materialization grid (last + k * schedule) at or before each sample
        runs = last + np.floor((clock.ts - last) / schedule).astype(np.int64) * schedule
        for inc in matching_incidents(world, "stale_feature_view", feature_view=view.name):
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
