"""Build the Feast part of a sandbox world: a real local feature repository.

For a :class:`~evals.worlds.schema.World` and its anchor, :func:`build_feast_repo` writes into a directory::

    feature_store.yaml        project referent_demo, provider local, file offline store,
                              SQLite online store, registry data/registry.db
    feature_definitions.py    one Entity per world entity, one FileSource (Parquet) and one
                              FeatureView per world feature view, with TTL and tags
                              (``schedule``: expected materialization cadence, ``owner``)
    data/<view>.parquet       generated offline history (deterministic from the world seed)
    data/world.json           what was built (world, anchor, fingerprint) so a rebuild can be skipped

and then, in-process through the Feast SDK (the same objects ``feast apply`` would register):

* applies the definitions to the registry;
* materializes each view from the start of its history to ``anchor - last_materialized_ago``, so the
  registry's last materialization end tells the freshness story of the world (a ``stale_feature_view``
  incident is a large ``last_materialized_ago``);
* applies the incidents that live in feature data: ``input_drift`` shifts the named feature's offline
  values after the incident start by ``sqrt(magnitude)`` standard deviations (a mean shift of ``d``
  standard deviations between two normals has a population stability index of about ``d**2``);
  ``online_offline_skew`` overwrites the online values of the named feature for most entities with
  ``offline + magnitude * std``, so online and point-in-time offline values disagree.

Event timestamps fall 17 s past a minute, so no event sits exactly on a materialization boundary
(anchors and world durations are whole minutes).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import runpy
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evals.worlds.schema import FeatureViewSpec, IncidentSpec, World

PROJECT = "referent_demo"
MAX_ROWS_PER_VIEW = 50_000
SKEWED_FRACTION = 0.9
DEFINITIONS_FILE = "feature_definitions.py"
MARKER_FILE = "data/world.json"
_EVENT_SECOND = 17

_FEATURE_STORE_YAML = f"""\
project: {PROJECT}
registry: data/registry.db
provider: local
online_store:
  type: sqlite
  path: data/online_store.db
offline_store:
  type: file
entity_key_serialization_version: 3
auth:
  type: no_auth
"""

_FEAST_TYPES = {"int64": "Int64", "float64": "Float64", "string": "String"}


def format_duration(value: timedelta) -> str:
    """Write a duration in the world's compact form (``15m``, ``2h``, ``1d``), the largest exact unit."""
    seconds = int(value.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def build_feast_repo(world: World, anchor: datetime, directory: Path) -> Path:
    """Create (or reuse) the world's Feast repository in ``directory`` and return its path.

    An existing repository is reused when it was built for the same world definition and anchor and its
    registry still holds every feature view; otherwise its generated files are replaced.

    Args:
        world: the world whose ``feature_views`` and feature incidents are built.
        anchor: the world's anchor (timezone-aware, UTC); every timestamp derives from it.
        directory: where the repository lives (created if missing).

    Returns:
        The repository path (the directory holding ``feature_store.yaml``).
    """
    directory = directory.resolve()
    marker = {"world": world.name, "anchor": anchor.isoformat(), "fingerprint": _fingerprint(world)}
    if _reusable(directory, world, marker):
        return directory
    _clean(directory)
    (directory / "data").mkdir(parents=True, exist_ok=True)
    (directory / "feature_store.yaml").write_text(_FEATURE_STORE_YAML)
    (directory / DEFINITIONS_FILE).write_text(definitions_source(world))
    frames = {v.name: offline_frame(world, v, anchor) for v in world.feature_views}
    for name, frame in frames.items():
        frame.to_parquet(directory / "data" / f"{name}.parquet", index=False)

    from feast import FeatureStore

    store = FeatureStore(repo_path=str(directory))
    with _quiet():
        store.apply(_definition_objects(directory / DEFINITIONS_FILE))
        for view in world.feature_views:
            end = anchor - view.last_materialized_ago
            start = pd.Timestamp(frames[view.name]["event_timestamp"].min()).to_pydatetime()
            start = min(start, end - view.schedule)  # thin history: the view stopped before it began
            store.materialize(start_date=start, end_date=end, feature_views=[view.name])
        for incident in world.incidents_of("online_offline_skew"):
            _inject_online_skew(store, world, incident, frames, anchor)
    (directory / MARKER_FILE).write_text(json.dumps(marker, indent=2))
    return directory


def definitions_source(world: World) -> str:
    """The Python feature definitions file for the world (what ``feast apply`` reads)."""
    lines = [
        '"""Feature definitions of the sandbox world (generated by evals.sandbox.feast_world)."""',
        "",
        "from datetime import timedelta",
        "",
        "from feast import Entity, FeatureView, Field, FileSource, Project, ValueType",
        "from feast.types import Float64, Int64, String",
        "",
        f"project = Project(name={PROJECT!r}, description={world.description or world.name!r})",
        "",
    ]
    entities: dict[str, str] = {}
    for view in world.feature_views:
        if view.entity not in entities:
            entities[view.entity] = view.join_key
            lines.append(
                f"{view.entity} = Entity(name={view.entity!r}, join_keys=[{view.join_key!r}], "
                "value_type=ValueType.STRING)"
            )
    for view in world.feature_views:
        lines += ["", *_view_source(view)]
    return "\n".join(lines) + "\n"


def _view_source(view: FeatureViewSpec) -> list[str]:
    schema = ", ".join(f"Field(name={f.name!r}, dtype={_FEAST_TYPES[f.dtype]})" for f in view.features)
    tags = {"schedule": format_duration(view.schedule), "owner": view.owner}
    return [
        f"{view.name}_source = FileSource(name={view.name + '_source'!r}, "
        f"path='data/{view.name}.parquet', timestamp_field='event_timestamp')",
        f"{view.name} = FeatureView(",
        f"    name={view.name!r},",
        f"    entities=[{view.entity}],",
        f"    ttl=timedelta(seconds={int(view.ttl.total_seconds())}),",
        f"    schema=[{schema}],",
        "    online=True,",
        f"    source={view.name}_source,",
        f"    owner={view.owner!r},",
        f"    tags={tags!r},",
        ")",
    ]


def offline_frame(world: World, view: FeatureViewSpec, anchor: datetime) -> pd.DataFrame:
    """Generated offline history of one view: ``n_entities`` entities × a regular event grid.

    The cadence is the view's schedule, widened so the frame stays under ``MAX_ROWS_PER_VIEW`` rows
    but never beyond half the TTL (then the history is shortened instead), so that every entity always
    has a value younger than the TTL. Each entity has a stable level plus per-event noise, with the
    feature's mean and standard deviation; counts and non-negative features are clipped at 0.
    """
    cadence, span = _grid(world, view)
    rng = np.random.default_rng([world.seed, _stable_int(view.name)])
    keys = [f"{view.entity}_{i:05d}" for i in range(view.n_entities)]
    offsets = rng.integers(0, max(int(cadence.total_seconds()) // 60, 1), size=view.n_entities)
    n_steps = int(span / cadence)
    first = pd.Timestamp(anchor - n_steps * cadence).value // 1_000_000_000
    seconds = (
        first
        + np.arange(n_steps)[None, :] * int(cadence.total_seconds())
        + offsets[:, None] * 60
        + _EVENT_SECOND
    )
    frame = pd.DataFrame(
        {
            view.join_key: np.repeat(keys, n_steps),
            "event_timestamp": pd.to_datetime(seconds.ravel(), unit="s", utc=True),
        }
    )
    for feature in view.features:
        level = rng.standard_normal(view.n_entities)[:, None]
        noise = rng.standard_normal((view.n_entities, n_steps))
        values = feature.mean + feature.std * (0.8 * level + 0.6 * noise)
        frame[feature.name] = values.ravel()
    _apply_drift(world, view, frame, anchor)
    for feature in view.features:
        if feature.dtype == "string":
            frame[feature.name] = frame[feature.name].round(0).astype("int64").astype(str)
            continue
        if feature.mean >= 0:
            frame[feature.name] = frame[feature.name].clip(lower=0)
        if feature.dtype == "int64":
            frame[feature.name] = frame[feature.name].round(0).astype("int64")
    return frame


def _grid(world: World, view: FeatureViewSpec) -> tuple[timedelta, timedelta]:
    """(cadence, span) of a view's event grid, both whole minutes."""
    budget = MAX_ROWS_PER_VIEW // view.n_entities
    wanted = max(view.schedule, world.history / max(budget, 1))
    cadence = min(wanted, view.ttl / 2)
    cadence = timedelta(minutes=max(1, math.ceil(cadence.total_seconds() / 60)))
    if cadence > view.ttl / 2:
        cadence = timedelta(minutes=max(1, int(view.ttl.total_seconds() // 120)))
    span = min(world.history, cadence * max(budget, 1))
    return cadence, span


def _apply_drift(world: World, view: FeatureViewSpec, frame: pd.DataFrame, anchor: datetime) -> None:
    for incident in world.incidents_of("input_drift"):
        if incident.feature_view != view.name or incident.feature is None:
            continue
        feature = next(f for f in view.features if f.name == incident.feature)
        since = pd.Timestamp(anchor - incident.start_ago)
        after = frame["event_timestamp"] >= since
        frame.loc[after, feature.name] += math.sqrt(incident.magnitude) * feature.std


def _inject_online_skew(
    store: Any, world: World, incident: IncidentSpec, frames: dict[str, pd.DataFrame], anchor: datetime
) -> None:
    """Overwrite online values of the incident's feature for most entities with ``offline + k·std``."""
    if incident.feature_view is None or incident.feature is None:
        return
    view = world.feature_view(incident.feature_view)
    feature = next(f for f in view.features if f.name == incident.feature)
    end = pd.Timestamp(anchor - view.last_materialized_ago)
    frame = frames[view.name]
    served = frame[frame["event_timestamp"] < end].sort_values("event_timestamp")
    latest = served.groupby(view.join_key, as_index=False).tail(1).sort_values(view.join_key)
    rng = np.random.default_rng([world.seed, _stable_int(incident.id)])
    chosen = latest[rng.random(len(latest)) < SKEWED_FRACTION].copy()
    offset = incident.magnitude * feature.std
    if feature.dtype == "int64":
        chosen[feature.name] = chosen[feature.name] + round(offset)
    else:
        chosen[feature.name] = chosen[feature.name] + offset
    store.write_to_online_store(view.name, df=chosen.reset_index(drop=True))


def _definition_objects(path: Path) -> list[Any]:
    """The Feast objects a definitions file declares (what ``feast apply`` would collect)."""
    from feast import Entity, FeatureView, FileSource, Project

    namespace = runpy.run_path(str(path))
    kinds = (Project, Entity, FileSource, FeatureView)
    return [obj for obj in namespace.values() if isinstance(obj, kinds)]


def _reusable(directory: Path, world: World, marker: dict[str, str]) -> bool:
    marker_path = directory / MARKER_FILE
    if not marker_path.exists() or not (directory / "data" / "registry.db").exists():
        return False
    try:
        if json.loads(marker_path.read_text()) != marker:
            return False
        from feast import FeatureStore

        registered = {fv.name for fv in FeatureStore(repo_path=str(directory)).list_feature_views()}
    except Exception:  # a broken or foreign repository is rebuilt
        return False
    return {v.name for v in world.feature_views} <= registered


def _clean(directory: Path) -> None:
    """Remove what a previous build generated (only our own files)."""
    for name in ("feature_store.yaml", DEFINITIONS_FILE):
        (directory / name).unlink(missing_ok=True)
    shutil.rmtree(directory / "data", ignore_errors=True)


def _fingerprint(world: World) -> str:
    feature_incidents = [i for i in world.incidents if i.feature_view]
    payload = {
        "seed": world.seed,
        "history": world.history.total_seconds(),
        "views": [v.model_dump(mode="json") for v in world.feature_views],
        "incidents": [i.model_dump(mode="json") for i in feature_incidents],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def _stable_int(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Swallow Feast's progress bars and banners (stdout and stderr) during the build."""
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        yield
