"""Gather what rightsizing needs through the gateway, in a few batched queries.

``prometheus.query`` returns instant vectors only (``query_range`` returns summaries), so usage history
comes as **per-day quantile sketches**: for each day of the window one instant query, evaluated at the
day's end, returns ``quantile_over_time(q, usage[1d:5m])`` for every workload and every level of
:data:`~agents.rightsizing.queries.LEVELS`, and for CPU the day's P99 and maximum of the raw rate. The
sketches feed the decaying histogram; the raw figures find daily peaks. The off-hours detector gets an
hour-of-day profile (weekday mean per hour of the configured time zone, weekend mean) for
non-production workloads from one query. Peaks (raw rate), the raw CPU P99, GPU utilization over the
window and over the recent days, OOM kills, restarts, throttling and traffic are reduced server-side
(see :mod:`agents.rightsizing.queries`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from agents.deps import AgentDeps, collect
from agents.evidence import EvidenceLedger
from agents.rightsizing import queries as Q
from agents.rightsizing.decommission import SCHEDULABLE_ENVS, VersionTraffic
from agents.rightsizing.models import Pricing
from agents.rightsizing.pricing import LIST_PRICES, gpu_key, pricing_from_compute_costs
from agents.rightsizing.settings import BusinessCalendar, RightsizingSettings
from agents.rightsizing.usage import WindowSketch, WorkloadUsage

QUERY_TOOL = "prometheus.query"
RAW_STEP_S = 300.0
PARALLEL_QUERIES = 1  # the audit chain does not take concurrent writers yet (seq collisions)
DAY_S = 86400.0


@dataclass
class Sample:
    """One element of an instant vector answer."""

    labels: dict[str, str]
    value: float

    @property
    def key(self) -> tuple[str, str]:
        return self.labels.get("namespace", ""), self.labels.get("container", "")


def parse_samples(data: Any) -> tuple[list[Sample], bool]:
    """Samples of a ``prometheus.query`` answer ``{samples: [{labels, value, ts}], total, truncated}``."""
    if not isinstance(data, dict):
        return [], False
    out = []
    for row in data.get("samples") or []:
        try:
            value = float(row.get("value"))
        except (TypeError, ValueError):
            continue
        if math.isfinite(value):
            out.append(Sample({str(k): str(v) for k, v in (row.get("labels") or {}).items()}, value))
    return out, bool(data.get("truncated"))


class UsageCollector:
    """Runs the batched queries for one scope and assembles a :class:`WorkloadUsage` per workload."""

    def __init__(
        self,
        deps: AgentDeps,
        ledger: EvidenceLedger,
        *,
        window_days: int = 14,
        namespace: str | None = None,
        workload: str | None = None,
        settings: RightsizingSettings | None = None,
        calendar: BusinessCalendar | None = None,
    ) -> None:
        self.deps, self.ledger = deps, ledger
        self.settings = settings or RightsizingSettings()
        self.calendar = calendar or BusinessCalendar()
        self.raw = Q.RawRate(self.settings.raw_rate_window, self.settings.raw_step)
        self.gpu_recent = f"{self.settings.gpu_recent_days}d"
        self.window_days = window_days
        self.window = f"{window_days}d"
        self.namespace = namespace
        self.scope = Q.selector(namespace, [workload] if workload else None)
        self.usages: dict[tuple[str, str], WorkloadUsage] = {}
        self.notes: list[str] = []

    def query(self, promql: str, summary: str, at: datetime | None = None) -> tuple[list[Sample], str | None]:
        args: dict[str, Any] = {"promql": promql, "max_series": Q.MAX_SERIES}
        if at is not None:
            args["at"] = at.isoformat()
        ev = collect(self.deps, self.ledger, QUERY_TOOL, args, summary=summary, query=promql)
        if ev is None:
            return [], None
        samples, truncated = parse_samples(ev.data)
        if truncated:
            self.notes.append(f"{summary}: answer truncated at {Q.MAX_SERIES} series (narrow the scope)")
        return samples, ev.id

    def _known(
        self, samples: Iterable[Sample], evidence: str | None, kind: str
    ) -> Iterable[tuple[WorkloadUsage, Sample]]:
        for s in samples:
            u = self.usages.get(s.key)
            if u is not None:
                if evidence:
                    u.evidence[kind] = evidence
                yield u, s

    def collect(self) -> list[WorkloadUsage]:
        """Run every query; return the workloads found (those with a CPU request), sorted."""
        signals = Q.signals(self.scope, self.window, with_gpu=False, raw=self.raw)
        requests, ev = self.query(*signals["requests"])
        for s in requests:
            u = self.usages.setdefault(
                s.key, WorkloadUsage(workload=s.key[1], namespace=s.key[0], step_s=RAW_STEP_S)
            )
            _set_resource(u, s.labels.get("resource", ""), s.value, limit=False)
            if ev:
                u.evidence["requests"] = ev
        self.usages = {k: u for k, u in self.usages.items() if u.cpu_request > 0}
        if not self.usages:
            return []
        self._labels()
        self._signals()
        self._sketches()
        self._hour_profiles()
        self._traffic()
        return sorted(self.usages.values(), key=lambda u: u.key)

    def _labels(self) -> None:
        sel = Q.selector(self.namespace, [w for _, w in self.usages], label="label_app")
        samples, _ = self.query(Q.labels_query(sel), "workload labels (team, env, model)")
        for s in samples:
            u = self.usages.get((s.labels.get("namespace", ""), s.labels.get("label_app", "")))
            if u is not None:
                u.env = s.labels.get("label_env") or u.env
                u.team = s.labels.get("label_team") or u.team
                u.model = s.labels.get("label_model") or None

    def _signals(self) -> None:
        with_gpu = any(u.gpus for u in self.usages.values())
        found: dict[str, dict[tuple[str, str], Sample]] = {}
        queries = Q.signals(self.scope, self.window, with_gpu, raw=self.raw, gpu_recent=self.gpu_recent)
        for name, (promql, summary) in queries.items():
            if name == "requests":
                continue
            samples, ev = self.query(promql, f"{summary} per workload over {self.window}")
            if name == "limits":  # one series per resource
                for u, s in self._known(samples, ev, name):
                    _set_resource(u, s.labels.get("resource", ""), s.value, limit=True)
                continue
            found[name] = {u.key: s for u, s in self._known(samples, ev, name)}
        for key, u in self.usages.items():
            u.replicas = int(_val(found, "replicas", key) or 1)
            u.mem_peak_bytes, u.cpu_peak = _val(found, "mem_peak", key), _val(found, "cpu_peak", key)
            u.cpu_p99 = _val(found, "cpu_p99", key)
            u.restarts = round(_val(found, "restarts", key) or 0.0)
            u.oom_events = max(u.restarts, 1) if (_val(found, "oom", key) or 0.0) > 0 else 0
            u.throttled_ratio = _val(found, "throttled", key)
            u.gpu_avg, u.gpu_max = _val(found, "gpu_avg", key), _val(found, "gpu_max", key)
            u.gpu_recent_avg = _val(found, "gpu_recent_avg", key)
            u.gpu_recent_max = _val(found, "gpu_recent_max", key)
            u.gpu_recent_days = self.settings.gpu_recent_days
            gpu = found.get("gpu_avg", {}).get(key)
            if gpu is not None:
                u.gpu_model = gpu_key(gpu.labels.get("modelName")) or None

    def _sketches(self) -> None:
        """One query per kind, day and chunk of workloads; run a few at a time (Prometheus does the work)."""
        now = self.deps.clock()
        names = [w for _, w in self.usages]
        jobs = [
            (kind, Q.selector(self.namespace, chunk), day, now - timedelta(days=day))
            for kind in ("cpu", "memory")
            for chunk in Q.chunks(names, len(Q.LEVELS))
            for day in range(self.window_days)
        ]

        def run(job: tuple[str, str, int, datetime]) -> tuple[list[Sample], str | None]:
            kind, sel, _, end = job
            return self.query(
                Q.day_sketch(kind, sel, self.raw),
                f"{kind} usage quantiles, day ending {end:%Y-%m-%d %H:%M}",
                at=end,
            )

        with ThreadPoolExecutor(max_workers=PARALLEL_QUERIES, thread_name_prefix="rightsizing") as pool:
            for (kind, _, day, end), (samples, ev) in zip(jobs, pool.map(run, jobs), strict=True):
                self._add_sketches(kind, samples, ev, end, day)

    def _add_sketches(
        self, kind: str, samples: list[Sample], ev: str | None, end: datetime, day: int
    ) -> None:
        per, raw = _split_sketch(samples, set(self.usages))
        for key, quantiles in per.items():
            u = self.usages[key]
            sketch = WindowSketch(
                start_ts=end.timestamp() - DAY_S,
                end_ts=end.timestamp(),
                quantiles=tuple(sorted(quantiles)),
                samples=DAY_S / RAW_STEP_S,
                raw_p99=raw.get((key, Q.RAW_P99)),
                raw_max=raw.get((key, Q.RAW_MAX)),
            )
            (u.cpu_days if kind == "cpu" else u.mem_days).append(sketch)
            if ev:
                u.evidence[f"{kind}:{day}"] = ev

    def _hour_profiles(self) -> None:
        names = [u.workload for u in self.usages.values() if u.env in SCHEDULABLE_ENVS]
        if not names:
            return
        tz = self.calendar.timezone
        offset = self.deps.clock().astimezone(ZoneInfo(tz)).utcoffset() or timedelta(0)
        for chunk in Q.chunks(names, 25):
            promql = Q.hour_profile(
                Q.selector(self.namespace, chunk), self.window, int(offset.total_seconds())
            )
            samples, ev = self.query(promql, f"CPU mean per {tz} hour of day (weekdays) and on weekends")
            for u, s in self._known(samples, ev, "hours"):
                u.hour_profile[int(s.labels.get("h", "0"))] = s.value

    def _traffic(self) -> None:
        sel = Q.selector(self.namespace, [w for _, w in self.usages], label="service")
        samples, ev = self.query(
            Q.traffic(sel, self.window), f"requests served per workload over {self.window}"
        )
        for s in samples:
            u = self.usages.get((s.labels.get("namespace", ""), s.labels.get("service", "")))
            if u is not None:
                u.requests_total = s.value
                if ev:
                    u.evidence["traffic"] = ev

    def version_traffic(self) -> list[VersionTraffic]:
        """Requests per served model version over the window and over the last day."""
        sel = Q.selector(self.namespace, [w for _, w in self.usages], label="service")
        window, ev1 = self.query(
            Q.version_traffic(sel, self.window), "requests per model version over the window"
        )
        recent, ev2 = self.query(Q.version_traffic(sel, "1d"), "requests per model version, last day")
        keys = ("namespace", "service", "model", "version")
        recent_by = {tuple(s.labels.get(k, "") for k in keys): s.value for s in recent}
        ids = tuple(e for e in (ev1, ev2) if e)
        return [
            VersionTraffic(
                namespace=s.labels.get("namespace", ""),
                service=s.labels.get("service", ""),
                model=s.labels.get("model", ""),
                version=s.labels.get("version", ""),
                window_requests=s.value,
                recent_requests=recent_by.get(tuple(s.labels.get(k, "") for k in keys), 0.0),
                evidence_ids=ids,
            )
            for s in window
        ]


def _split_sketch(
    samples: list[Sample], known: set[tuple[str, str]]
) -> tuple[dict[tuple[str, str], list[tuple[float, float]]], dict[tuple[tuple[str, str], str], float]]:
    """(quantile levels with their mass per workload, raw P99 / max per workload) of a day sketch answer."""
    mass = dict(Q.LEVELS)
    per: dict[tuple[str, str], list[tuple[float, float]]] = {}
    raw: dict[tuple[tuple[str, str], str], float] = {}
    for s in samples:
        if s.key not in known:
            continue
        label = s.labels.get("q", "")
        if label in (Q.RAW_P99, Q.RAW_MAX):
            raw[(s.key, label)] = s.value
            continue
        try:
            q = float(label)
        except ValueError:
            continue
        if q in mass:
            per.setdefault(s.key, []).append((s.value, mass[q]))
    return per, raw


def _val(found: dict[str, dict[tuple[str, str], Sample]], name: str, key: tuple[str, str]) -> float | None:
    s = found.get(name, {}).get(key)
    return None if s is None else s.value


def _set_resource(u: WorkloadUsage, resource: str, value: float, *, limit: bool) -> None:
    if resource == "cpu":
        if limit:
            u.cpu_limit = value
        else:
            u.cpu_request = value
    elif resource == "memory":
        if limit:
            u.mem_limit_bytes = value
        else:
            u.mem_request_bytes = value
    elif resource == "nvidia_com_gpu" and not limit:
        u.gpus = round(value)


def collect_pricing(deps: AgentDeps, ledger: EvidenceLedger) -> Pricing:
    """Effective unit prices from billing; list prices (with a note saying so) when billing fails."""
    ev = collect(
        deps,
        ledger,
        "billing.compute_costs",
        {},
        summary="CPU, memory and GPU costs per unit (classified from FOCUS columns and the SKU map)",
    )
    if ev is None:
        return LIST_PRICES
    pricing = pricing_from_compute_costs(ev.data, ev.id)
    if pricing is not None:
        return pricing
    return LIST_PRICES.model_copy(
        update={
            "note": "billing has no vCPU-hour / GiB-hour compute lines: savings use public list prices, "
            "not the negotiated rates"
        }
    )
