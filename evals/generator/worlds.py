"""``generate_world(seed)``: a world the agents were not tuned on, drawn from a seed.

The demo world's structure (models, feature views, workloads, incident kinds) is the template; the seed
draws new model, workload and namespace names, which incidents are present (at least three), the
registry flavour (a stock registry without the alias-history tag), and the realism switches of
:mod:`evals.generator.realism` (weak/strong faults, timings, a harmless deploy near an unrelated fault,
a second fault at once, a source down, thin history). The result validates against
:mod:`evals.worlds.schema`; the same seed always gives the same world, named ``gen-<seed>``. Template
incident ids are kept, so scenarios read their expected causes from the world.
"""

from __future__ import annotations

import random
import re
from typing import Any

import yaml

from evals.generator import realism
from evals.worlds.schema import IncidentSpec, World, world_path

PREFIXES = ("pix", "boleto", "nequi", "oxxo", "mercado", "andes", "pampa", "sertao", "caribe", "austral")
NAMESPACE_STYLES = (
    {
        "ml-serving": "inference",
        "ml-batch": "batch-jobs",
        "ml-training": "training",
        "payments-api": "payments",
    },
    {
        "ml-serving": "kserve-prod",
        "ml-batch": "ml-jobs",
        "ml-training": "gpu-train",
        "payments-api": "core-api",
    },
    {"ml-serving": "models-prod", "ml-batch": "scoring", "ml-training": "research", "payments-api": "api"},
)
# kinds whose strength the base draw picks (the realism switches draw the others' from their own stream)
SCALABLE = {"bad_model_version", "online_offline_skew", "input_drift"}


def _replace(value: Any, names: dict[str, str]) -> Any:
    """Every string equal to a known name is renamed; in free text, names are renamed longest first."""
    if isinstance(value, dict):
        return {k: _replace(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, names) for v in value]
    if isinstance(value, str):
        if value in names:
            return names[value]
        if " " in value:  # one pass, longest name first: a renamed name is not renamed again
            pattern = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
            return re.sub(rf"(?<![\w-])(?:{pattern})(?![\w-])", lambda m: names[m.group(0)], value)
    return value


def _names(raw: dict[str, Any], rng: random.Random) -> dict[str, str]:
    """New names for models, the workloads that carry a model's name, and the namespaces."""
    prefix = rng.choice(PREFIXES)
    models = {m["name"]: f"{prefix}-{m['name']}" for m in raw["models"]}
    names = dict(models)
    for w in raw["workloads"]:
        for old, new in models.items():
            if w["name"].startswith(old):
                names[w["name"]] = new + w["name"][len(old) :]
    names.update(rng.choice(NAMESPACE_STYLES))
    return names


def _incidents(raw: dict[str, Any], rng: random.Random) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The incidents kept (template order) and the strength level drawn for the scalable ones."""
    incidents = list(raw["incidents"])
    keep = rng.sample(incidents, rng.randint(3, len(incidents)))
    out, levels = [], {}
    for inc in incidents:
        if inc in keep:
            inc = dict(inc)
            if inc["kind"] in SCALABLE and "magnitude" in inc:
                levels[inc["id"]] = rng.choice(realism.LEVELS)
            out.append(inc)
    return out, levels


def generate_raw(seed: int, template: str = "demo") -> dict[str, Any]:
    """The generated world as plain data (what ``referent eval worlds generate`` prints)."""
    return _generate(seed, template)[0]


def realism_of(seed: int, template: str = "demo") -> realism.Applied:
    """What the realism switches did to the world ``gen-<seed>`` (levels and one note per switch)."""
    return _generate(seed, template)[1]


def dropped_incidents(seed: int, template: str = "demo") -> list[IncidentSpec]:
    """The template's incidents ``gen-<seed>`` left out, renamed like the world (their alerts are false
    alarms there; harmless traces such as a deploy may remain)."""
    raw = yaml.safe_load(world_path(template).read_text(encoding="utf-8"))
    kept = {i.id for i in generate_world(seed, template).incidents}
    names = _names_of(seed, template)
    return [IncidentSpec.model_validate(_replace(i, names)) for i in raw["incidents"] if i["id"] not in kept]


def _names_of(seed: int, template: str) -> dict[str, str]:
    rng = random.Random(seed)
    raw: dict[str, Any] = yaml.safe_load(world_path(template).read_text(encoding="utf-8"))
    raw["incidents"], _ = _incidents(raw, rng)
    return _names(raw, rng)


def _generate(seed: int, template: str) -> tuple[dict[str, Any], realism.Applied]:
    rng = random.Random(seed)
    raw: dict[str, Any] = yaml.safe_load(world_path(template).read_text(encoding="utf-8"))
    raw["incidents"], levels = _incidents(raw, rng)
    names = _names(raw, rng)
    stock = rng.random() < 0.3  # ~30 %: a stock MLflow (current aliases only)
    applied = realism.apply(raw, seed, levels)
    raw = _replace(raw, names)
    raw["name"] = f"gen-{seed}"
    raw["seed"] = seed
    notes = [_replace(n, names) for n in applied.notes.values()]
    raw["description"] = "; ".join([f"generated from {template} with seed {seed}", *notes])
    raw["alias_history_tag"] = not stock
    _rename_pods(raw)
    return raw, applied


def _rename_pods(raw: dict[str, Any]) -> None:
    """A ``pod`` label an alert carries names the pod this world's seed gives (pod hashes are seeded)."""
    from evals.sandbox.prometheus_world import workloads

    rollout_pod = getattr(workloads, "rollout_pod_name", None)
    world = World.model_validate(raw)
    for inc, spec in zip(raw["incidents"], world.incidents, strict=True):
        labels = (inc.get("alert") or {}).get("labels", {})
        if "pod" not in labels or not spec.workload:
            continue
        if spec.kind == "crash_loop_after_rollout" and rollout_pod is not None:
            labels["pod"] = rollout_pod(world, spec.workload, spec.id)
        else:
            labels["pod"] = workloads.pod_names(world, world.workload(spec.workload))[0]


def generate_world(seed: int, template: str = "demo") -> World:
    """The generated world, validated against the world schema."""
    return World.model_validate(generate_raw(seed, template))
