"""The Feast tool: typed reads and materialization over one repository, through the Feast SDK.

The SDK costs seconds to import, so it is imported on the first call that needs the ``FeatureStore``
(or the injected ``store_factory`` builds it). Errors map to :mod:`tools.errors` with ``source="feast"``:
an unknown view is ``NotFound``, a bad interval or timestamp ``BadInput``, a repository or registry that
cannot be read ``SourceUnavailable``.
"""

from __future__ import annotations

import random
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tools.errors import BadInput, NotFound, SourceUnavailable, ToolError
from tools.feast_store.freshness import as_utc, view_freshness, view_info
from tools.feast_store.models import (
    FeatureViewInfo,
    FreshnessReport,
    MaterializeResult,
    ParityReport,
    ViewFreshness,
)
from tools.feast_store.parity import compare_feature, scalar

SOURCE = "feast"
_FUTURE_SLACK = timedelta(minutes=1)


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
        return [view_info(fv) for fv in self._views()]

    def feature_view(self, name: str) -> FeatureViewInfo:
        """One feature view by name (NotFound if it is not registered)."""
        return view_info(self._view(name))

    def freshness(self, name: str | None = None) -> FreshnessReport:
        """Last materialization end, age and status (fresh / late / stale / never) of one or every view."""
        views = [self._view(name)] if name else self._views()
        now = as_utc(self._clock())
        return FreshnessReport(checked_at=now, views=[view_freshness(fv, now) for fv in views])

    def parity(
        self, name: str, sample_size: int = 50, at: datetime | None = None, tolerance: float = 1e-6
    ) -> ParityReport:
        """Compare online values with a point-in-time offline join at ``at`` over sampled entity keys.

        ``at`` defaults to the view's last materialization end, where a healthy online store holds exactly
        the offline values. Keys are those with offline rows in the TTL window before ``at`` (one day
        without a TTL), sampled deterministically; entity ids appear in ``example_keys``.
        """
        fv = self._view(name)
        at = as_utc(at) if at else fv.most_recent_end_time
        if at is None:
            raise BadInput(SOURCE, f"{name} was never materialized; pass `at`")
        at = as_utc(at)
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
        keys = sorted({tuple(scalar(v) for v in row) for row in frame[join_keys].itertuples(index=False)})
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
        start, end = as_utc(start), as_utc(end)
        if start >= end:
            raise BadInput(SOURCE, f"start {start.isoformat()} is not before end {end.isoformat()}")
        self._check_not_future(end)
        self._view(name)
        with self._errors(f"materialize {name}"):
            self.store.materialize(start_date=start, end_date=end, feature_views=[name])
        return MaterializeResult(feature_view=name, start=start, end=end, freshness=self._one(name))

    def materialize_incremental(self, name: str, end: datetime | None = None) -> MaterializeResult:
        """Materialize ``name`` from its last materialization end (or ``end - ttl``) up to ``end`` (now)."""
        end = as_utc(end) if end else as_utc(self._clock())
        self._check_not_future(end)
        start = self._view(name).most_recent_end_time
        with self._errors(f"materialize {name} incrementally"):
            self.store.materialize_incremental(end_date=end, feature_views=[name])
        return MaterializeResult(
            feature_view=name, start=as_utc(start) if start else None, end=end, freshness=self._one(name)
        )

    def _check_not_future(self, end: datetime) -> None:
        if end > as_utc(self._clock()) + _FUTURE_SLACK:
            raise BadInput(SOURCE, f"end {end.isoformat()} is in the future")

    def _one(self, name: str) -> ViewFreshness:
        return self.freshness(name).views[0]


def _is_not_found(exc: Exception) -> bool:
    errors = sys.modules.get("feast.errors")  # not imported yet: the error cannot be Feast's
    return errors is not None and isinstance(exc, errors.FeastObjectNotFoundException)


def _default_factory(repo_path: Path) -> Any:
    if not (repo_path / "feature_store.yaml").is_file():
        raise FileNotFoundError(f"no feature_store.yaml in {repo_path}")
    return import_feature_store()(repo_path=str(repo_path))


def import_feature_store() -> Any:
    """``feast.FeatureStore``, imported without typeguard's instrumentation of Feast's classes.

    Feast decorates its classes with ``typeguard.typechecked``, which re-parses and recompiles every
    decorated module's source at import: about two thirds of the SDK's import time (3 of 5 s on two
    cores). While the SDK is imported the decorator is the identity, as under ``python -O`` (where
    typeguard itself turns it off); it is restored right after, so nothing else loses its checks.
    Feast's behaviour on well-typed calls is unchanged. The warning filters Feast installs at import
    are undone too (they would print every later library's deprecation warnings on the CLI).
    """
    if "feast" in sys.modules:
        from feast import FeatureStore

        return FeatureStore
    import typeguard

    original = typeguard.typechecked
    typeguard.typechecked = _identity_decorator  # type: ignore[assignment]
    try:
        with warnings.catch_warnings():  # Feast sets "once" for every DeprecationWarning of the process
            from feast import FeatureStore
    finally:
        typeguard.typechecked = original
    return FeatureStore


def _identity_decorator(target: Any = None, **_options: Any) -> Any:
    """``@typechecked`` and ``@typechecked(...)`` that return what they decorate."""
    return target if target is not None else (lambda decorated: decorated)
