"""The MLflow model registry, read and written through an injected ``MlflowClient``.

Only ``mlflow-skinny`` APIs are used (``mlflow.tracking.MlflowClient``, ``mlflow.artifacts``). MLflow
keeps no alias history, so Referent records every alias move as a JSON list in the registered-model
tag ``referent.alias_history`` (written by the sandbox loader and by :meth:`MlflowRegistry.set_alias`);
a version's training time lives in its ``referent.created_at`` tag when the real creation time is not
the one that matters (the sandbox cannot back-date ``creation_timestamp``). Client errors are mapped by
:func:`tools.mlflow_registry.http.to_tool_error`.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from tools.errors import BadInput, NotFound
from tools.mlflow_registry.client import LazyMlflowClient, load_header_providers
from tools.mlflow_registry.http import SOURCE, mapped_errors
from tools.mlflow_registry.models import (
    AliasHistory,
    AliasMove,
    AliasResult,
    Changes,
    ColumnSpec,
    CopiedVersion,
    ModelDetail,
    ModelSummary,
    RunMetrics,
    Signature,
    VersionInfo,
    VersionMetrics,
)

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

HISTORY_TAG = "referent.alias_history"
CREATED_AT_TAG = "referent.created_at"
_RESERVED_TAG_PREFIX = "referent."


def _ts(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC)


def _parse_time(value: str) -> datetime:
    at = datetime.fromisoformat(value)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


class MlflowRegistry:
    """Typed reads and writes on one MLflow tracking server's model registry.

    Args:
        client: the injected ``MlflowClient``. Set the HTTP deadlines first with
            :func:`~tools.mlflow_registry.http.configure_http`, or a down server is retried for minutes.
        clock: returns "now" (UTC); windows such as ``changes_since`` are measured from it.
    """

    def __init__(
        self, client: MlflowClient | LazyMlflowClient, clock: Callable[[], datetime] | None = None
    ) -> None:
        if not isinstance(client, LazyMlflowClient):
            load_header_providers()  # an injected real client: MLflow is loaded already, skip Feast's plugin
        self._client = client
        self._clock = clock or (lambda: datetime.now(UTC))

    @classmethod
    def from_uri(cls, tracking_uri: str, clock: Callable[[], datetime] | None = None) -> MlflowRegistry:
        """A registry on ``tracking_uri`` (also the registry URI); MLflow is imported on the first call."""
        return cls(LazyMlflowClient(tracking_uri), clock=clock)

    # reads ---------------------------------------------------------------------------------

    def list_models(self, max_results: int = 100) -> list[ModelSummary]:
        """Every registered model (name, description, tags, aliases), sorted by name."""
        with mapped_errors():
            models = self._client.search_registered_models(max_results=max_results)
        return sorted((self._summary(m) for m in models), key=lambda m: m.name)

    def get_model(self, name: str, n_versions: int = 5) -> ModelDetail:
        """A registered model with its tags, aliases and its ``n_versions`` newest versions."""
        with mapped_errors():
            model = self._client.get_registered_model(name)
            versions = self._client.search_model_versions(
                f"name = '{_quote(name)}'", max_results=n_versions, order_by=["version_number DESC"]
            )
        summary = self._summary(model)
        return ModelDetail(
            **summary.model_dump(), latest_versions=[self._version(v, summary.aliases) for v in versions]
        )

    def get_version(self, name: str, version: int) -> VersionInfo:
        """One model version: tags, run, status, times, source, description, aliases."""
        with mapped_errors():
            return self._version(self._client.get_model_version(name, str(version)))

    def get_alias(self, name: str, alias: str) -> VersionInfo:
        """The version ``alias`` points at; NotFound when the alias is not set on the model."""
        with mapped_errors():
            aliases = self._client.get_registered_model(name).aliases
        if alias not in aliases:
            raise NotFound(SOURCE, f"alias {alias!r} is not set on model {name!r}")
        return self.get_version(name, int(aliases[alias]))

    def run_metrics(self, run_id: str) -> RunMetrics:
        """Latest metrics and params of one run."""
        with mapped_errors():
            run = self._client.get_run(run_id)
        return RunMetrics(
            run_id=run_id,
            status=run.info.status,
            metrics=dict(run.data.metrics),
            params=dict(run.data.params),
            start_time=_ts(run.info.start_time),
            end_time=_ts(run.info.end_time),
        )

    def version_metrics(self, name: str, version: int) -> VersionMetrics:
        """Metrics and params of the run that produced a model version."""
        info = self.get_version(name, version)
        if not info.run_id:
            raise NotFound(SOURCE, f"model {name} version {version} has no source run")
        return VersionMetrics(**self.run_metrics(info.run_id).model_dump(), name=name, version=version)

    def signature(self, name: str, version: int) -> Signature:
        """Input and output columns from the logged model's MLmodel signature."""
        with mapped_errors(), tempfile.TemporaryDirectory(prefix="referent-mlmodel-") as tmp:
            import mlflow.artifacts  # skinny; imported late to keep tool import cheap

            uri = self._client.get_model_version_download_uri(name, str(version))
            path = mlflow.artifacts.download_artifacts(
                artifact_uri=f"{uri.rstrip('/')}/MLmodel",
                dst_path=tmp,
                tracking_uri=self._client.tracking_uri,
            )
            mlmodel = yaml.safe_load(Path(path).read_text()) or {}
        sig = mlmodel.get("signature") or {}
        return Signature(
            name=name,
            version=version,
            inputs=_columns(sig.get("inputs")),
            outputs=_columns(sig.get("outputs")),
            has_signature=bool(sig),
        )

    def alias_history(self, name: str, since_hours: float | None = None) -> AliasHistory:
        """Recorded alias moves (oldest first), optionally only those of the last ``since_hours``."""
        with mapped_errors():
            model = self._client.get_registered_model(name)
        events = _events(model.tags.get(HISTORY_TAG))
        if since_hours is not None:
            cutoff = self._clock() - timedelta(hours=since_hours)
            events = [e for e in events if e.at >= cutoff]
        return AliasHistory(name=name, current={a: int(v) for a, v in model.aliases.items()}, events=events)

    def changes_since(self, name: str, hours: float) -> Changes:
        """What changed in the last ``hours``: alias moves and versions created in the window."""
        since = self._clock() - timedelta(hours=hours)
        history = self.alias_history(name, since_hours=hours)
        with mapped_errors():
            found = self._client.search_model_versions(f"name = '{_quote(name)}'")
        versions = [self._version(v, history.current) for v in found]
        created = sorted((v for v in versions if v.created_at >= since), key=lambda v: v.version)
        return Changes(name=name, since=since, alias_moves=history.events, new_versions=created)

    # writes --------------------------------------------------------------------------------

    def set_alias(self, name: str, alias: str, version: int, by: str) -> AliasResult:
        """Point ``alias`` at ``version``, record the move, return the previous version."""
        with mapped_errors():
            model = self._client.get_registered_model(name)
            previous = model.aliases.get(alias)
            self._client.set_registered_model_alias(name, alias, str(version))
        self._record(name, model.tags.get(HISTORY_TAG), alias, version, previous, by)
        return AliasResult(
            name=name,
            alias=alias,
            version=version,
            previous_version=None if previous is None else int(previous),
        )

    def delete_alias(self, name: str, alias: str, by: str) -> AliasResult:
        """Remove ``alias`` (NotFound if unset), record the removal, return the version it named."""
        with mapped_errors():
            model = self._client.get_registered_model(name)
            if alias not in model.aliases:
                raise NotFound(SOURCE, f"alias {alias!r} is not set on model {name!r}")
            previous = int(model.aliases[alias])
            self._client.delete_registered_model_alias(name, alias)
        self._record(name, model.tags.get(HISTORY_TAG), alias, None, previous, by)
        return AliasResult(name=name, alias=alias, version=None, previous_version=previous)

    def set_version_tag(self, name: str, version: int, key: str, value: str) -> VersionInfo:
        """Set a tag on a model version; ``referent.*`` keys are reserved (BadInput)."""
        _check_tag_key(key)
        with mapped_errors():
            self._client.set_model_version_tag(name, str(version), key, value)
        return self.get_version(name, version)

    def set_model_tag(self, name: str, key: str, value: str) -> ModelSummary:
        """Set a tag on a registered model; ``referent.*`` keys are reserved (BadInput)."""
        _check_tag_key(key)
        with mapped_errors():
            self._client.set_registered_model_tag(name, key, value)
            return self._summary(self._client.get_registered_model(name))

    def copy_version(self, src_name: str, version: int, dst_name: str) -> CopiedVersion:
        """Copy a version into ``dst_name`` (created if missing) with ``copy_model_version``."""
        with mapped_errors():
            copied = self._client.copy_model_version(f"models:/{src_name}/{version}", dst_name)
        return CopiedVersion(
            src_name=src_name, src_version=version, name=dst_name, version=int(copied.version)
        )

    # helpers -------------------------------------------------------------------------------

    def _record(
        self, name: str, raw: str | None, alias: str, version: int | None, previous: str | int | None, by: str
    ) -> None:
        events = [e.model_dump(mode="json") for e in _events(raw)]
        events.append(
            AliasMove(
                alias=alias,
                version=version,
                previous_version=None if previous is None else int(previous),
                at=self._clock(),
                by=by,
            ).model_dump(mode="json")
        )
        with mapped_errors():
            self._client.set_registered_model_tag(name, HISTORY_TAG, json.dumps(events))

    def _summary(self, model: Any) -> ModelSummary:
        return ModelSummary(
            name=model.name,
            description=model.description or "",
            tags=dict(model.tags or {}),
            aliases={a: int(v) for a, v in (model.aliases or {}).items()},
            updated_at=_ts(model.last_updated_timestamp) or self._clock(),
        )

    def _version(self, mv: Any, model_aliases: dict[str, int] | None = None) -> VersionInfo:
        """``model_aliases`` fills in aliases, which ``search_model_versions`` leaves empty."""
        registered = _ts(mv.creation_timestamp) or self._clock()
        tags = dict(mv.tags or {})
        aliases = list(mv.aliases or [])
        if model_aliases is not None:
            aliases = sorted(a for a, v in model_aliases.items() if v == int(mv.version))
        created = _parse_time(tags[CREATED_AT_TAG]) if CREATED_AT_TAG in tags else registered
        return VersionInfo(
            name=mv.name,
            version=int(mv.version),
            status=str(mv.status),
            run_id=mv.run_id or None,
            source=mv.source or "",
            description=mv.description or "",
            tags=tags,
            aliases=aliases,
            created_at=created,
            registered_at=registered,
        )


def _quote(name: str) -> str:
    return name.replace("'", "\\'")


def _check_tag_key(key: str) -> None:
    if key.startswith(_RESERVED_TAG_PREFIX):
        raise BadInput(SOURCE, f"tag keys starting with {_RESERVED_TAG_PREFIX!r} are reserved for Referent")


def _columns(raw: str | list[Any] | None) -> list[ColumnSpec]:
    cols = json.loads(raw) if isinstance(raw, str) else (raw or [])
    return [
        ColumnSpec(name=c.get("name"), type=str(c.get("type")), required=bool(c.get("required", True)))
        for c in cols
    ]


def _events(raw: str | None) -> list[AliasMove]:
    if not raw:
        return []
    return sorted((AliasMove.model_validate(e) for e in json.loads(raw)), key=lambda e: e.at)
