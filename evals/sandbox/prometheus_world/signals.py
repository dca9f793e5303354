"""Building blocks shared by the series: stable hashes, seeded generators, usage profiles, incident lookup.

Every generator is seeded from ``world.seed`` and the series' identity, so values are deterministic for a
given world and anchor.
"""

from __future__ import annotations

import hashlib

import numpy as np

from evals.sandbox.prometheus_world.clock import Clock
from evals.worlds.schema import IncidentSpec, UsageProfile, World


def stable_hash(*parts: object) -> str:
    """Hex SHA-256 of the parts joined with ``:``."""
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()


def seeded_rng(seed: int, *parts: object) -> np.random.Generator:
    """A generator seeded from the world seed and the parts naming a series."""
    return np.random.default_rng(int(stable_hash(seed, *parts)[:16], 16))


def usage_profile(p: UsageProfile, clock: Clock, rng: np.random.Generator) -> np.ndarray:
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


def matching_incidents(world: World, kind: str, **match: str | None) -> list[IncidentSpec]:
    """The world's incidents of ``kind`` whose fields equal every ``match`` value."""
    return [i for i in world.incidents_of(kind) if all(getattr(i, k) == v for k, v in match.items())]
