"""Feast: feature views, materialization freshness and online/offline parity, through the Feast SDK.

The SDK costs seconds to import, so ``import tools.feast_store`` does not import it: the
``FeatureStore`` is created on the first call (or by an injected ``store_factory``). Feature refs are
``view:feature``. A view's expected materialization cadence is its ``schedule`` tag (``15m``, ``1h``).

Errors map to :mod:`tools.errors` with ``source="feast"``: an unknown view is ``NotFound``, a bad interval
or timestamp ``BadInput``, a repository or registry that cannot be read ``SourceUnavailable``.
"""

from __future__ import annotations

import random
import re
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from tools.base import ActionClass, ToolSpec
from tools.errors import BadInput, NotFound, SourceUnavailable, ToolError

SOURCE = "feast"
FreshnessStatus = Literal["fresh", "late", "stale", "never"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_FUTURE_SLACK = timedelta(minutes=1)


# --- results ---------------------------------------------------------------------------------------


class FeatureInfo(BaseModel):
    name: str
    dtype: str


class FeatureViewInfo(BaseModel):
    """One registered feature view."""

    name: str
    entities: list[str]
    join_keys: list[str]
    features: list[FeatureInfo]
    ttl_s: float | None = Field(description="time to live in seconds; None means no TTL")
    schedule_s: float | None = Field(description="expected materialization cadence (schedule tag), seconds")
    online: bool
    owner: str
    tags: dict[str, str]
    description: str = ""


class ViewFreshness(BaseModel):
    """How long ago a view was last materialized, against its schedule and TTL."""

    feature_view: str
    last_materialized_end: datetime | None
    age_s: float | None
    ttl_s: float | None
    schedule_s: float | None
    status: FreshnessStatus
    reason: str


class FreshnessReport(BaseModel):
    checked_at: datetime
    views: list[ViewFreshness]


class FeatureParity(BaseModel):
    """Online versus point-in-time offline values of one feature over the sampled entity keys."""

    feature: str = Field(description="feature ref view:feature")
    compared: int
    mismatches: int
    mismatch_rate: float
    max_abs_diff: float | None
    missing_online: int
    missing_offline: int
    example_keys: list[str] = Field(description="up to 5 entity keys whose values differ")


class ParityReport(BaseModel):
    feature_view: str
    at: datetime = Field(description="timestamp of the point-in-time offline join")
    tolerance: float
    sampled_keys: int
    features: list[FeatureParity]
    skewed_features: list[str] = Field(description="refs of features with at least one mismatch")


class MaterializeResult(BaseModel):
    feature_view: str
    start: datetime | None = Field(description="interval start; None when Feast chose it (incremental)")
    end: datetime
    freshness: ViewFreshness


# --- inputs ------------------------------------------------------------------------------------------


class NoArgs(BaseModel):
    pass


class ViewArg(BaseModel):
    name: str = Field(description="feature view name")


class FreshnessArgs(BaseModel):
    name: str | None = Field(default=None, description="one feature view, or None for all")


class ParityArgs(BaseModel):
    name: str
    sample_size: int = Field(default=50, ge=1, le=1000)
    at: datetime | None = Field(default=None, description="join time; default: the last materialization end")
    tolerance: float = Field(default=1e-6, ge=0)


class MaterializeArgs(BaseModel):
    name: str
    start: datetime
    end: datetime


# --- pure helpers ------------------------------------------------------------------------------------


def parse_schedule(value: str | None) -> timedelta | None:
    """Parse a ``schedule`` tag (``90s``, ``15m``, ``2h``, ``1d``, ``1w``); None when absent or malformed."""
    match = _DURATION.match(value or "")
    if not match:
        return None
    return timedelta(seconds=float(match.group(1)) * _UNIT_S[match.group(2)])


def classify_freshness(
    age: timedelta | None, ttl: timedelta | None, schedule: timedelta | None
) -> tuple[FreshnessStatus, str]:
    """Status of a view: ``stale`` past its TTL, ``late`` past twice its schedule, else ``fresh``.

    Args:
        age: time since the last materialization end (None: never materialized).
        ttl: the view's TTL (None or zero: no TTL).
        schedule: expected materialization cadence (None: unknown).

    Returns:
        (status, a one-line reason naming the numbers compared).
    """
    if age is None:
        return "never", "no materialization recorded in the registry"
    ttl = ttl if ttl and ttl > timedelta(0) else None
    if ttl is not None and age > ttl:
        return "stale", f"age {_fmt(age)} exceeds ttl {_fmt(ttl)}"
    if schedule is not None and age > 2 * schedule:
        return "late", f"age {_fmt(age)} exceeds 2x schedule {_fmt(schedule)}"
    bound = f"2x schedule {_fmt(schedule)}" if schedule else f"ttl {_fmt(ttl)}" if ttl else "no bound"
    return "fresh", f"age {_fmt(age)} within {bound}"


def _fmt(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _seconds(value: timedelta | None) -> float | None:
    return value.total_seconds() if value is not None else None


def _value(raw: Any) -> Any:
    """A comparable scalar: None/NaN/NaT/NA become None, numpy scalars become Python ones."""
    if hasattr(raw, "item") and not isinstance(raw, str | bytes):
        raw = raw.item()
    try:
        if raw is None or raw != raw:
            return None
    except (TypeError, ValueError):  # pd.NA and friends refuse to be truth-tested
        return None
    return raw


def compare_feature(
    ref: str, keys: list[str], online: list[Any], offline: list[Any], tolerance: float
) -> FeatureParity:
    """Compare aligned online/offline values of one feature (numbers within ``tolerance``, else equality)."""
    mismatches, missing_on, missing_off, max_diff = 0, 0, 0, None
    examples: list[str] = []
    for key, raw_on, raw_off in zip(keys, online, offline, strict=True):
        on, off = _value(raw_on), _value(raw_off)
        missing_on += on is None
        missing_off += off is None
        if on is None or off is None:
            differs = (on is None) != (off is None)
        elif isinstance(on, int | float) and isinstance(off, int | float):
            diff = abs(float(on) - float(off))
            max_diff = diff if max_diff is None else max(max_diff, diff)
            differs = diff > tolerance
        else:
            differs = on != off
        if differs:
            mismatches += 1
            if len(examples) < 5:
                examples.append(key)
    compared = len(keys)
    return FeatureParity(
        feature=ref,
        compared=compared,
        mismatches=mismatches,
        mismatch_rate=mismatches / compared if compared else 0.0,
        max_abs_diff=max_diff,
        missing_online=missing_on,
        missing_offline=missing_off,
        example_keys=examples,
    )


# --- the tool ----------------------------------------------------------------------------------------


class FeastTool:
    """Typed reads and materialization over one Feast repository.

    Args:
        repo_path: directory holding ``feature_store.yaml``.
        store_factory: builds the ``FeatureStore`` from the path (default: ``feast.FeatureStore``).
        clock: current time, UTC (default: the wall clock); freshness ages are measured from it.
    """

    def __init__(
        self,
        repo_path: Path,
        store_factory: Callable[[Path], Any] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.repo_path = Path(repo_path)
        self._factory = store_factory
        self._clock = clock or (lambda: datetime.now(UTC))
        self._store: Any = None
        self._lock = threading.Lock()

    # -- plumbing

    @property
    def store(self) -> Any:
        """The ``FeatureStore``, created (and the SDK imported) on first use."""
        with self._lock:
            if self._store is None:
                with self._errors(f"open repository {self.repo_path}"):
                    self._store = (self._factory or _default_factory)(self.repo_path)
            return self._store

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except ToolError:
            raise
        except Exception as exc:
            if _is_not_found(exc):
                raise NotFound(SOURCE, str(exc)) from exc
            raise SourceUnavailable(SOURCE, f"{doing}: {type(exc).__name__}: {exc}") from exc

    def _view(self, name: str) -> Any:
        store = self.store
        with self._errors(f"read feature view {name}"):
            return store.get_feature_view(name)

    def _views(self) -> list[Any]:
        store = self.store
        with self._errors("list feature views"):
            return sorted(store.list_feature_views(), key=lambda fv: fv.name)

    # -- reads

    def list_feature_views(self) -> list[FeatureViewInfo]:
        """Every registered feature view with entities, join keys, typed features, TTL, schedule and owner."""
        return [_info(fv) for fv in self._views()]

    def feature_view(self, name: str) -> FeatureViewInfo:
        """One feature view by name (NotFound if it is not registered)."""
        return _info(self._view(name))

    def freshness(self, name: str | None = None) -> FreshnessReport:
        """Last materialization end, age and status (fresh / late / stale / never) of one or every view."""
        views = [self._view(name)] if name else self._views()
        now = _utc(self._clock())
        return FreshnessReport(checked_at=now, views=[_freshness(fv, now) for fv in views])

    def parity(
        self, name: str, sample_size: int = 50, at: datetime | None = None, tolerance: float = 1e-6
    ) -> ParityReport:
        """Compare online values with a point-in-time offline join at ``at`` over sampled entity keys.

        ``at`` defaults to the view's last materialization end, where a healthy online store holds exactly
        the offline values. Keys are those with offline rows in the TTL window before ``at`` (one day
        without a TTL), sampled deterministically; entity ids appear in ``example_keys``.
        """
        fv = self._view(name)
        at = _utc(at) if at else fv.most_recent_end_time
        if at is None:
            raise BadInput(SOURCE, f"{name} was never materialized; pass `at`")
        at = _utc(at)
        refs = [f"{fv.name}:{f.name}" for f in fv.features]
        join_keys = [c.name for c in fv.entity_columns]
        rows = self._sample_keys(fv, refs, join_keys, at, sample_size)
        online, offline = self._values(refs, join_keys, rows, at)
        labels = [",".join(f"{k}={row[k]}" for k in join_keys) for row in rows]
        results = [
            compare_feature(ref, labels, online[f.name], offline[f.name], tolerance)
            for ref, f in zip(refs, fv.features, strict=True)
        ]
        return ParityReport(
            feature_view=fv.name,
            at=at,
            tolerance=tolerance,
            sampled_keys=len(rows),
            features=results,
            skewed_features=[r.feature for r in results if r.mismatches],
        )

    def _sample_keys(
        self, fv: Any, refs: list[str], join_keys: list[str], at: datetime, size: int
    ) -> list[dict[str, Any]]:
        window = fv.ttl if fv.ttl and fv.ttl > timedelta(0) else timedelta(days=1)
        with self._errors(f"list entity keys of {fv.name}"):
            frame = self.store.get_historical_features(
                features=refs[:1], start_date=at - window, end_date=at
            ).to_df()
        keys = sorted({tuple(_value(v) for v in row) for row in frame[join_keys].itertuples(index=False)})
        chosen = random.Random(f"{fv.name}@{at.isoformat()}").sample(keys, min(size, len(keys)))
        return [dict(zip(join_keys, key, strict=True)) for key in sorted(chosen)]

    def _values(
        self, refs: list[str], join_keys: list[str], rows: list[dict[str, Any]], at: datetime
    ) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
        """(online, offline) values per feature name, aligned with ``rows``."""
        import pandas as pd

        names = [r.partition(":")[2] for r in refs]
        if not rows:
            return {n: [] for n in names}, {n: [] for n in names}
        with self._errors("read online and offline values"):
            online = self.store.get_online_features(features=refs, entity_rows=rows).to_dict()
            entity_df = pd.DataFrame(rows).assign(event_timestamp=pd.Timestamp(at))
            frame = self.store.get_historical_features(entity_df=entity_df, features=refs).to_df()
        aligned = pd.DataFrame(rows).merge(frame[[*join_keys, *names]], on=join_keys, how="left")
        return (
            {n: list(online[n]) for n in names},
            {n: aligned[n].astype(object).tolist() for n in names},
        )

    # -- writes

    def materialize(self, name: str, start: datetime, end: datetime) -> MaterializeResult:
        """Backfill the online store of ``name`` from the offline store over ``[start, end]``."""
        start, end = _utc(start), _utc(end)
        if start >= end:
            raise BadInput(SOURCE, f"start {start.isoformat()} is not before end {end.isoformat()}")
        self._check_not_future(end)
        self._view(name)
        with self._errors(f"materialize {name}"):
            self.store.materialize(start_date=start, end_date=end, feature_views=[name])
        return MaterializeResult(feature_view=name, start=start, end=end, freshness=self._one(name))

    def materialize_incremental(self, name: str, end: datetime | None = None) -> MaterializeResult:
        """Materialize ``name`` from its last materialization end (or ``end - ttl``) up to ``end`` (now)."""
        end = _utc(end) if end else _utc(self._clock())
        self._check_not_future(end)
        start = self._view(name).most_recent_end_time
        with self._errors(f"materialize {name} incrementally"):
            self.store.materialize_incremental(end_date=end, feature_views=[name])
        return MaterializeResult(
            feature_view=name, start=_utc(start) if start else None, end=end, freshness=self._one(name)
        )

    def _check_not_future(self, end: datetime) -> None:
        if end > _utc(self._clock()) + _FUTURE_SLACK:
            raise BadInput(SOURCE, f"end {end.isoformat()} is in the future")

    def _one(self, name: str) -> ViewFreshness:
        return self.freshness(name).views[0]


def _is_not_found(exc: Exception) -> bool:
    errors = sys.modules.get("feast.errors")  # not imported yet: the error cannot be Feast's
    return errors is not None and isinstance(exc, errors.FeastObjectNotFoundException)


def _default_factory(repo_path: Path) -> Any:
    from feast import FeatureStore

    if not (repo_path / "feature_store.yaml").is_file():
        raise FileNotFoundError(f"no feature_store.yaml in {repo_path}")
    return FeatureStore(repo_path=str(repo_path))


def _info(fv: Any) -> FeatureViewInfo:
    tags = {str(k): str(v) for k, v in (fv.tags or {}).items()}
    ttl = fv.ttl if fv.ttl and fv.ttl > timedelta(0) else None
    return FeatureViewInfo(
        name=fv.name,
        entities=list(fv.entities),
        join_keys=[c.name for c in fv.entity_columns],
        features=[FeatureInfo(name=f.name, dtype=str(f.dtype)) for f in fv.features],
        ttl_s=_seconds(ttl),
        schedule_s=_seconds(parse_schedule(tags.get("schedule"))),
        online=bool(fv.online),
        owner=fv.owner or tags.get("owner", ""),
        tags=tags,
        description=fv.description or "",
    )


def _freshness(fv: Any, now: datetime) -> ViewFreshness:
    info = _info(fv)
    end = fv.most_recent_end_time
    end = _utc(end) if end else None
    age = now - end if end else None
    ttl = timedelta(seconds=info.ttl_s) if info.ttl_s else None
    schedule = timedelta(seconds=info.schedule_s) if info.schedule_s else None
    status, reason = classify_freshness(age, ttl, schedule)
    return ViewFreshness(
        feature_view=fv.name,
        last_materialized_end=end,
        age_s=_seconds(age),
        ttl_s=info.ttl_s,
        schedule_s=info.schedule_s,
        status=status,
        reason=reason,
    )


def specs(tool: FeastTool) -> list[ToolSpec]:
    """The gateway's view of the Feast tool: four reads and one write."""
    return [
        ToolSpec(
            "feast.list_feature_views",
            "List every Feast feature view: entities, join keys, features with dtypes, ttl_s, "
            "schedule_s (expected materialization cadence), online flag, owner and tags.",
            NoArgs,
            ActionClass.READ,
            lambda _a: tool.list_feature_views(),
            SOURCE,
        ),
        ToolSpec(
            "feast.feature_view",
            "Describe one Feast feature view by name (same fields as feast.list_feature_views).",
            ViewArg,
            ActionClass.READ,
            lambda a: tool.feature_view(a.name),
            SOURCE,
        ),
        ToolSpec(
            "feast.freshness",
            "Materialization freshness of one feature view (name) or all: last materialization end, "
            "age_s, ttl_s, schedule_s and status: stale if age > ttl, late if age > 2x schedule, "
            "fresh otherwise, never if it was never materialized.",
            FreshnessArgs,
            ActionClass.READ,
            lambda a: tool.freshness(a.name),
            SOURCE,
        ),
        ToolSpec(
            "feast.parity",
            "Online/offline skew check of one feature view: for sample_size entity keys, compare the "
            "online store values with a point-in-time offline join at `at` (default: the last "
            "materialization end). Per feature: compared, mismatches, mismatch_rate, max_abs_diff, "
            "missing counts and example keys; skewed_features lists refs with mismatches.",
            ParityArgs,
            ActionClass.READ,
            lambda a: tool.parity(a.name, a.sample_size, a.at, a.tolerance),
            SOURCE,
            timeout_s=120.0,
        ),
        ToolSpec(
            "feast.materialize",
            "Load the offline values of one feature view over [start, end] into the online store "
            "(a backfill; end may not be in the future). Returns the view's freshness afterwards.",
            MaterializeArgs,
            ActionClass.WRITE,
            lambda a: tool.materialize(a.name, a.start, a.end),
            SOURCE,
            timeout_s=300.0,
        ),
    ]
