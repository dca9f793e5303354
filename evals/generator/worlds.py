"""``generate_world(seed)``: a world the agents were not tuned on, drawn from a seed.

The demo world's structure (models, feature views, workloads, incident kinds) is the template; the seed
draws new model, workload and namespace names, which incidents are present (at least three), their
magnitudes (weak to strong), and realism switches (a stock registry without the alias-history tag).
The result validates against :mod:`evals.worlds.schema`; the same seed always gives the same world,
named ``gen-<seed>``. Incident ids are kept, so scenarios read their expected causes from the world.
"""

from __future__ import annotations

import random
from typing import Any

import yaml

from evals.worlds.schema import World, world_path

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
# kinds whose magnitude is a multiplier/level the generator may scale (weak: 0.7x, strong: 1.6x)
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
        if " " in value:
            for old in sorted(names, key=len, reverse=True):
                value = value.replace(old, names[old])
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


def _incidents(raw: dict[str, Any], rng: random.Random) -> list[dict[str, Any]]:
    incidents = list(raw["incidents"])
    keep = rng.sample(incidents, rng.randint(3, len(incidents)))
    out = []
    for inc in incidents:  # keep the template's order
        if inc in keep:
            inc = dict(inc)
            if inc["kind"] in SCALABLE and "magnitude" in inc:
                inc["magnitude"] = round(float(inc["magnitude"]) * rng.choice((0.7, 1.0, 1.6)), 3)
            out.append(inc)
    return out


def generate_raw(seed: int, template: str = "demo") -> dict[str, Any]:
    """The generated world as plain data (what ``referent eval worlds generate`` prints)."""
    rng = random.Random(seed)
    raw: dict[str, Any] = yaml.safe_load(world_path(template).read_text(encoding="utf-8"))
    raw["incidents"] = _incidents(raw, rng)
    names = _names(raw, rng)
    raw = _replace(raw, names)
    raw["name"] = f"gen-{seed}"
    raw["seed"] = seed
    raw["description"] = f"generated from {template} with seed {seed}"
    raw["alias_history_tag"] = rng.random() >= 0.3  # ~30 %: a stock MLflow (current aliases only)
    return raw


def generate_world(seed: int, template: str = "demo") -> World:
    """The generated world, validated against the world schema."""
    return World.model_validate(generate_raw(seed, template))
