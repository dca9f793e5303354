"""Realism switches of the world generator, each drawn from the seed.

Every switch edits the raw world (plain data, template names) and says what it did in one line; the
generator appends those lines to the world's description. The switches:

* ``severity`` — each incident weak, normal or strong: a multiplier/level for the model-level faults and
  CPU saturation, the fault's duration for OOM kills (one kill vs. many), idle GPUs (just over the alert's
  24 h vs. the whole history) and stale views (just past the TTL vs. days);
* ``timings`` — fault onsets moved (a bad version's alias move moves with it), and the alert starting
  some minutes after the fault (``alert.lag``);
* ``harmless_deploy`` — a new, healthy champion of a model that has an unrelated fault, deployed near
  the fault's onset (the deploy distance is drawn);
* ``second_fault`` — a second fault (CPU saturation or OOM kills) on the workload of an existing fault,
  at about the same time, with its own alert;
* ``source_down`` — Prometheus, MLflow or Feast unreachable for the whole world (``sources_down``);
* ``thin_history`` — hours instead of two weeks of samples (``history``).

The registry flavour (``alias_history_tag``) is drawn in :mod:`evals.generator.worlds`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from evals.worlds.schema import parse_duration

Raw = dict[str, Any]
Switch = Callable[[Raw, random.Random], str | None]

LEVELS = ("weak", "normal", "strong")
# the magnitude of each level, for the kinds whose effect scales with it (normal: the template's)
MAGNITUDE = {
    "bad_model_version": {"weak": 3.0, "strong": 30.0},  # 5xx ratio multiplier
    "online_offline_skew": {"weak": 1.0, "strong": 5.0},  # online offset in feature standard deviations
    "input_drift": {"weak": 0.22, "strong": 0.7},  # PSI added to the drifted feature
    "cpu_saturation": {"weak": 0.45, "strong": 1.6},  # throttled share (<1) / latency factor (>1)
}
# the duration of each level, for the kinds whose strength is how long they have lasted
DURATION = {"oom": {"weak": "45m", "strong": "10h"}, "idle_gpu": {"weak": "26h", "strong": "14d"}}
STRENGTH_KINDS = {*MAGNITUDE, *DURATION, "stale_feature_view"}
# onsets the timings switch draws from, per kind
ONSETS = {
    "bad_model_version": ("40m", "3h", "9h"),
    "input_drift": ("2h", "6h", "26h"),
    "online_offline_skew": ("4h", "20h", "2d"),
    "cpu_saturation": ("25m", "90m", "5h"),
}
ALERT_LAGS = ("0s", "5m", "20m", "1h")
DEPLOY_DISTANCES = (7200, 1800, 600, -900)  # seconds before the fault's onset (negative: after it)
THIN_HISTORIES = ("6h", "12h", "1d", "2d")
DOWN_SOURCES = ("prometheus", "mlflow", "feast")
# the sources that carry a fault kind's own signal; with all of them down, nothing shows the cause
SIGNAL_SOURCES = {
    "bad_model_version": ("prometheus", "mlflow"),  # 5xx by version / the alias move and signature
    "stale_feature_view": ("prometheus", "feast"),  # freshness gauges / the registry's materializations
    "online_offline_skew": ("feast",),  # online vs. offline values (PSI alone reads as drift)
    "input_drift": ("prometheus", "feast"),  # feature PSI / shifted offline values
}
DEFAULT_SIGNAL_SOURCES = ("prometheus",)  # workload faults: OOM kills, throttling, GPU use, Job status


def _s(value: Any) -> float:
    return parse_duration(value).total_seconds()


def _dur(seconds: float) -> str:
    return f"{round(seconds / 60)}m"


def severity(raw: Raw, rng: random.Random, levels: dict[str, str]) -> str | None:
    """Apply each incident's level (``levels``: incident id → weak/normal/strong)."""
    done = []
    for inc in raw["incidents"]:
        level = levels.get(inc["id"], "normal")
        kind = inc["kind"]
        if level == "normal":
            continue
        if kind in MAGNITUDE:
            inc["magnitude"] = MAGNITUDE[kind][level]
        elif kind in DURATION:
            inc["start_ago"] = DURATION[kind][level]
        elif kind == "stale_feature_view":
            _stale_for(raw, inc, level)
        else:
            continue
        done.append(f"{inc['id']} {level}")
    return f"severity: {', '.join(done)}" if done else None


def _stale_for(raw: Raw, inc: dict[str, Any], level: str) -> None:
    """A stale view's last materialization just past its TTL (weak) or days ago (strong)."""
    view = next(v for v in raw["feature_views"] if v["name"] == inc["feature_view"])
    ago = _s(view["ttl"]) + 20 * 60 if level == "weak" else 3 * 86400
    inc["start_ago"] = view["last_materialized_ago"] = _dur(ago)


def draw_levels(raw: Raw, rng: random.Random, given: dict[str, str]) -> dict[str, str]:
    """A level per incident: ``given`` ones kept, the others drawn."""
    return {inc["id"]: given.get(inc["id"]) or rng.choice(LEVELS) for inc in raw["incidents"]}


def timings(raw: Raw, rng: random.Random) -> str:
    """New onsets for the kinds in :data:`ONSETS` and an alert lag for every alert."""
    done = []
    for inc in raw["incidents"]:
        if inc["kind"] in ONSETS:
            inc["start_ago"] = rng.choice(ONSETS[inc["kind"]])
            if inc["kind"] == "bad_model_version":
                _move_bad_deploy(raw, inc)
        if inc.get("alert"):
            lag = min(_s(rng.choice(ALERT_LAGS)), _s(inc["start_ago"]) / 2)
            inc["alert"]["lag"] = _dur(lag)
            done.append(f"{inc['id']} from {inc['start_ago']} (alert +{_dur(lag)})")
    return f"timings: {', '.join(done)}"


def _move_bad_deploy(raw: Raw, inc: dict[str, Any]) -> None:
    """The champion move to the bad version happens when the fault starts."""
    model = next(m for m in raw["models"] if m["name"] == inc["model"])
    for event in model["alias_history"]:
        if event["alias"] == "champion" and event["version"] == inc["version"]:
            event["ago"] = inc["start_ago"]


def harmless_deploy(raw: Raw, rng: random.Random) -> str | None:
    """A healthy new champion of a faulty model, near the fault's onset (not the fault's cause)."""
    bad_models = {i.get("model") for i in raw["incidents"] if i["kind"] == "bad_model_version"}
    candidates = [
        i
        for i in raw["incidents"]
        if i.get("model") and i["model"] not in bad_models and i["kind"] != "bad_model_version"
    ]
    if not candidates:
        return None
    inc = rng.choice(candidates)
    model = next(m for m in raw["models"] if m["name"] == inc["model"])
    distance = rng.choice(DEPLOY_DISTANCES)
    ago = max(300.0, _s(inc["start_ago"]) + distance)
    champion = _champion_now(model)
    new = dict(champion)
    new["version"] = max(v["version"] for v in model["versions"]) + 1
    new["created_ago"] = _dur(ago + 3 * 3600)
    new["description"] = "scheduled retrain on fresh data, same features and signature"
    new["metrics"] = {
        k: round(float(v) * (1 + rng.uniform(-0.004, 0.004)), 4) for k, v in new["metrics"].items()
    }
    model["versions"].append(new)
    model["alias_history"].append({"alias": "champion", "version": new["version"], "ago": _dur(ago)})
    return f"harmless_deploy: {model['name']} v{new['version']} champion {_dur(ago)} ago, near {inc['id']}"


def _champion_now(model: dict[str, Any]) -> dict[str, Any]:
    events = sorted(
        (e for e in model["alias_history"] if e["alias"] == "champion"), key=lambda e: -_s(e["ago"])
    )
    version = events[-1]["version"] if events else max(v["version"] for v in model["versions"])
    return dict(next(v for v in model["versions"] if v["version"] == version))


def second_fault(raw: Raw, rng: random.Random) -> str | None:
    """CPU saturation or OOM kills on the workload of an existing fault, at about the same time."""
    options = []
    for inc in raw["incidents"]:
        if inc["kind"] in ("idle_gpu", "failed_job") or not inc.get("alert"):
            continue
        workload = inc.get("workload") or _serving_workload(raw, inc.get("model"))
        spec = next((w for w in raw["workloads"] if w["name"] == workload), None)
        if spec is None:
            continue
        taken = {i["kind"] for i in raw["incidents"] if i.get("workload") == workload}
        for kind in ("cpu_saturation", "oom"):
            if kind not in taken and (kind != "cpu_saturation" or spec.get("cpu_limit")):
                options.append((inc, spec, kind))
    if not options:
        return None
    first, spec, kind = rng.choice(options)
    start = max(_s("50m"), _s(first["start_ago"]) + rng.choice((-1200, 0, 1200)))
    raw["incidents"].append(_fault_on(spec, kind, f"{first['id']}-and-{kind.split('_')[0]}", _dur(start)))
    return f"second_fault: {kind} on {spec['name']} from {_dur(start)}, with {first['id']}"


def _serving_workload(raw: Raw, model: str | None) -> str | None:
    return next((m.get("serving_workload") for m in raw["models"] if m["name"] == model), None)


def _fault_on(spec: dict[str, Any], kind: str, incident_id: str, start: str) -> dict[str, Any]:
    name, ns = spec["name"], spec["namespace"]
    labels = {"namespace": ns, "workload": name, "container": spec.get("container") or name}
    if kind == "cpu_saturation":
        alert = {"alertname": "CpuThrottlingHigh", "summary": f"{name} CPU throttled above 25%"}
        what = f"{name} pinned at its CPU limit and throttled"
    else:
        alert = {"alertname": "KubernetesContainerOomKiller", "summary": "container OOMKilled"}
        what = f"{name} memory grows to its limit and is OOMKilled"
    return {
        "id": incident_id,
        "kind": kind,
        "workload": name,
        "start_ago": start,
        "magnitude": 1.0,
        "description": f"a second fault at the same time: {what}",
        "alert": {**alert, "severity": "warning", "labels": labels},
    }


def source_down(raw: Raw, rng: random.Random) -> str:
    source = rng.choice(DOWN_SOURCES)
    raw["sources_down"] = [source]
    return f"source_down: {source}"


def thin_history(raw: Raw, rng: random.Random) -> str:
    history = rng.choice(THIN_HISTORIES)
    raw["history"] = history
    raw["billing"] = {**raw.get("billing", {}), "days": max(1, round(_s(history) / 86400))}
    return f"thin_history: {history}"


# switch name → (probability that a seed turns it on, the switch)
SWITCHES: dict[str, tuple[float, Switch]] = {
    "timings": (0.5, timings),
    "harmless_deploy": (0.5, harmless_deploy),
    "second_fault": (0.4, second_fault),
    "source_down": (0.25, source_down),
    "thin_history": (0.25, thin_history),
}


@dataclass(frozen=True)
class Applied:
    """What the switches did to one world: each incident's level, and a line per switch turned on."""

    levels: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def level(self, incident_id: str) -> str:
        return self.levels.get(incident_id, "normal")


def apply(raw: Raw, seed: int, levels: dict[str, str] | None = None) -> Applied:
    """Turn the seed's switches on (in a fixed order); ``levels`` fixes some incidents' strength."""
    rng = random.Random(f"realism:{seed}")
    on = [name for name, (p, _) in SWITCHES.items() if rng.random() < p]
    drawn = draw_levels(raw, rng, levels or {})
    kinds = {i["id"]: i["kind"] for i in raw["incidents"]}
    drawn = {i: lvl for i, lvl in drawn.items() if kinds[i] in STRENGTH_KINDS}
    notes = {}
    if note := severity(raw, rng, drawn):
        notes["severity"] = note
    for name in on:
        if note := SWITCHES[name][1](raw, rng):
            notes[name] = note
    return Applied(levels=drawn, notes=notes)


def hidden(kind: str, sources_down: list[str]) -> bool:
    """True when every source that carries this kind's signal is down: no evidence can name the cause."""
    return set(SIGNAL_SOURCES.get(kind, DEFAULT_SIGNAL_SOURCES)) <= set(sources_down)
