"""The MLflow model registry, read and written through an injected ``MlflowClient``.

Only ``mlflow-skinny`` APIs are used (``mlflow.tracking.MlflowClient``, ``mlflow.artifacts``). MLflow
keeps no alias history, so Referent records every alias move as a JSON list in the registered-model
tag ``referent.alias_history`` (written by the sandbox loader and by :meth:`MlflowRegistry.set_alias`);
a version's training time lives in its ``referent.created_at`` tag when the real creation time is not
the one that matters (the sandbox cannot back-date ``creation_timestamp``).

Errors are the :mod:`tools.errors` tree with ``source="mlflow"``: ``RESOURCE_DOES_NOT_EXIST`` →
NotFound, ``INVALID_PARAMETER_VALUE`` → BadInput, 401/403 → SourceAuthError, a transport timeout →
SourceTimeout, refused connections and server errors → SourceUnavailable.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from pydantic import BaseModel, Field

from tools.base import ActionClass, ToolSpec
from tools.errors import BadInput, NotFound, SourceAuthError, SourceTimeout, SourceUnavailable, ToolError

SOURCE = "mlflow"
HISTORY_TAG = "referent.alias_history"
CREATED_AT_TAG = "referent.created_at"
_RESERVED_TAG_PREFIX = "referent."
_AUTH_CODES = {"UNAUTHENTICATED", "PERMISSION_DENIED", "CUSTOMER_UNAUTHORIZED"}
_BAD_INPUT_CODES = {"INVALID_PARAMETER_VALUE", "BAD_REQUEST", "RESOURCE_ALREADY_EXISTS"}


def http_env(timeout_s: int = 5, max_retries: int = 1, backoff_factor: int = 1) -> dict[str, str]:
    """MLflow client environment variables that make a dead or hung server fail fast.

    MLflow reads these at request time (defaults: 120 s timeout, 7 retries with backoff, i.e.
    minutes). A refused connection fails after ``max_retries`` immediate retries; a server that
    never answers fails after ``(max_retries + 1) * timeout_s`` plus backoff (about 10 s with the
    defaults). The artifact progress bar and telemetry are switched off as well.

    Args:
        timeout_s: per-request connect/read timeout (MLflow only accepts whole seconds).
        max_retries: retries after the first attempt.
        backoff_factor: exponential backoff factor in seconds (urllib3 skips it on the first retry).

    Returns:
        Variable name → value, for the settings layer to apply (see :func:`configure_http`).
    """
    return {
        "MLFLOW_HTTP_REQUEST_TIMEOUT": str(int(timeout_s)),
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": str(int(max_retries)),
        "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": str(int(backoff_factor)),
        "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0.5",
        "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }


def configure_http(environ: MutableMapping[str, str], **kwargs: int) -> None:
    """Write :func:`http_env` into ``environ`` (the settings layer passes ``os.environ``)."""
    environ.update(http_env(**kwargs))


# --- results ----------------------------------------------------------------------------------


class VersionInfo(BaseModel):
    name: str
    version: int
    status: str
    run_id: str | None
    source: str
    description: str
    tags: dict[str, str]
    aliases: list[str]
    created_at: datetime = Field(description="training time: the referent.created_at tag, else registration")
    registered_at: datetime = Field(description="when MLflow registered the version")


class ModelSummary(BaseModel):
    name: str
    description: str
    tags: dict[str, str]
    aliases: dict[str, int]
    updated_at: datetime


class ModelDetail(ModelSummary):
    latest_versions: list[VersionInfo] = Field(description="newest first")


class RunMetrics(BaseModel):
    run_id: str
    status: str
    metrics: dict[str, float]
    params: dict[str, str]
    start_time: datetime | None
    end_time: datetime | None


class VersionMetrics(RunMetrics):
    name: str
    version: int


class ColumnSpec(BaseModel):
    name: str | None
    type: str
    required: bool = True


class Signature(BaseModel):
    name: str
    version: int
    inputs: list[ColumnSpec]
    outputs: list[ColumnSpec]
    has_signature: bool


class AliasMove(BaseModel):
    alias: str
    version: int | None = Field(description="None when the alias was deleted")
    previous_version: int | None
    at: datetime
    by: str


class AliasHistory(BaseModel):
    name: str
    current: dict[str, int]
    events: list[AliasMove] = Field(description="oldest first")


class Changes(BaseModel):
    name: str
    since: datetime
    alias_moves: list[AliasMove]
    new_versions: list[VersionInfo]


class AliasResult(BaseModel):
    name: str
    alias: str
    version: int | None
    previous_version: int | None


class CopiedVersion(BaseModel):
    src_name: str
    src_version: int
    name: str
    version: int


# --- error mapping ----------------------------------------------------------------------------


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        cur = todo.pop()
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        yield cur
        todo += [cur.__cause__, cur.__context__, getattr(cur, "reason", None)]
        todo += [a for a in getattr(cur, "args", ()) if isinstance(a, BaseException)]


def _is_timeout(exc: BaseException) -> bool:
    return isinstance(exc, TimeoutError) or type(exc).__name__ in {
        "Timeout",
        "ReadTimeout",
        "ConnectTimeout",
        "ReadTimeoutError",
        "ConnectTimeoutError",
    }


def to_tool_error(exc: MlflowException) -> ToolError:
    """Map an MLflow client exception to the typed tool error tree."""
    code, message = exc.error_code, exc.message
    if code == "RESOURCE_DOES_NOT_EXIST":
        return NotFound(SOURCE, message)
    if code in _BAD_INPUT_CODES:
        return BadInput(SOURCE, message)
    if code in _AUTH_CODES or exc.get_http_status_code() in (401, 403):
        return SourceAuthError(SOURCE, message)
    chain = list(_chain(exc))
    if any(_is_timeout(e) for e in chain):
        return SourceTimeout(SOURCE, message)
    return SourceUnavailable(SOURCE, message)


@contextmanager
def _mapped() -> Iterator[None]:
    try:
        yield
    except MlflowException as exc:
        raise to_tool_error(exc) from exc


# --- the registry -----------------------------------------------------------------------------


def _ts(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC)


def _parse_time(value: str) -> datetime:
    at = datetime.fromisoformat(value)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


class MlflowRegistry:
    """Typed reads and writes on one MLflow tracking server's model registry.

    Args:
        client: the injected ``MlflowClient``. Set the HTTP deadlines first with
            :func:`configure_http`, or a down server is retried for minutes.
        clock: returns "now" (UTC); windows such as ``changes_since`` are measured from it.
    """

    def __init__(self, client: MlflowClient, clock: Callable[[], datetime] | None = None) -> None:
        # MLflow loads request-header plugins on the first HTTP call; feast registers one whose
        # import takes seconds. Pay it here, at start-up, not inside the first call's deadline.
        import mlflow.tracking.request_header.registry  # noqa: F401

        self._client = client
        self._clock = clock or (lambda: datetime.now(UTC))

    @classmethod
    def from_uri(cls, tracking_uri: str, clock: Callable[[], datetime] | None = None) -> MlflowRegistry:
        """A registry on ``tracking_uri`` (also used as the registry URI)."""
        return cls(MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri), clock=clock)

    # reads ---------------------------------------------------------------------------------

    def list_models(self, max_results: int = 100) -> list[ModelSummary]:
        """Every registered model (name, description, tags, aliases), sorted by name."""
        with _mapped():
            models = self._client.search_registered_models(max_results=max_results)
        return sorted((self._summary(m) for m in models), key=lambda m: m.name)

    def get_model(self, name: str, n_versions: int = 5) -> ModelDetail:
        """A registered model with its tags, aliases and its ``n_versions`` newest versions."""
        with _mapped():
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
        with _mapped():
            return self._version(self._client.get_model_version(name, str(version)))

    def get_alias(self, name: str, alias: str) -> VersionInfo:
        """The version ``alias`` points at; NotFound when the alias is not set on the model."""
        with _mapped():
            aliases = self._client.get_registered_model(name).aliases
        if alias not in aliases:
            raise NotFound(SOURCE, f"alias {alias!r} is not set on model {name!r}")
        return self.get_version(name, int(aliases[alias]))

    def run_metrics(self, run_id: str) -> RunMetrics:
        """Latest metrics and params of one run."""
        with _mapped():
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
        with _mapped(), tempfile.TemporaryDirectory(prefix="referent-mlmodel-") as tmp:
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
        with _mapped():
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
        with _mapped():
            found = self._client.search_model_versions(f"name = '{_quote(name)}'")
        versions = [self._version(v, history.current) for v in found]
        created = sorted((v for v in versions if v.created_at >= since), key=lambda v: v.version)
        return Changes(name=name, since=since, alias_moves=history.events, new_versions=created)

    # writes --------------------------------------------------------------------------------

    def set_alias(self, name: str, alias: str, version: int, by: str) -> AliasResult:
        """Point ``alias`` at ``version``, record the move, return the previous version."""
        with _mapped():
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
        with _mapped():
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
        with _mapped():
            self._client.set_model_version_tag(name, str(version), key, value)
        return self.get_version(name, version)

    def set_model_tag(self, name: str, key: str, value: str) -> ModelSummary:
        """Set a tag on a registered model; ``referent.*`` keys are reserved (BadInput)."""
        _check_tag_key(key)
        with _mapped():
            self._client.set_registered_model_tag(name, key, value)
            return self._summary(self._client.get_registered_model(name))

    def copy_version(self, src_name: str, version: int, dst_name: str) -> CopiedVersion:
        """Copy a version into ``dst_name`` (created if missing) with ``copy_model_version``."""
        with _mapped():
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
        with _mapped():
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


# --- tool specs -------------------------------------------------------------------------------


class ListModelsInput(BaseModel):
    max_results: int = Field(default=100, ge=1, le=1000)


class ModelInput(BaseModel):
    model: str = Field(description="registered model name")


class VersionInput(ModelInput):
    version: int = Field(ge=1)


class AliasInput(ModelInput):
    alias: str = Field(description="e.g. champion (production), staging, challenger")


class AliasHistoryInput(ModelInput):
    since_hours: float | None = Field(default=None, gt=0, description="only moves in the last N hours")


class ChangesInput(ModelInput):
    hours: float = Field(default=24.0, gt=0)


class SetAliasInput(AliasInput):
    version: int = Field(ge=1)
    by: str = Field(default="referent", description="who asked for the move (recorded in the alias history)")


class DeleteAliasInput(AliasInput):
    by: str = "referent"


class SetTagInput(ModelInput):
    key: str
    value: str
    version: int | None = Field(default=None, ge=1, description="tag this version; omit to tag the model")


class CopyVersionInput(VersionInput):
    dst_model: str = Field(description="destination registered model (created if missing)")


def specs(registry: MlflowRegistry) -> list[ToolSpec]:
    """The MLflow tools the gateway exposes, around one registry."""
    r = registry

    def spec(
        name: str, desc: str, model: type[BaseModel], action: ActionClass, func: Callable[[Any], Any]
    ) -> ToolSpec:
        return ToolSpec(
            name=f"mlflow.{name}",
            description=desc,
            input_model=model,
            action=action,
            func=func,
            source=SOURCE,
            timeout_s=30.0,
        )

    read, write = ActionClass.READ, ActionClass.WRITE
    return [
        spec(
            "list_models",
            "List registered models: name, description, tags, aliases (alias -> version).",
            ListModelsInput,
            read,
            lambda a: r.list_models(a.max_results),
        ),
        spec(
            "get_model",
            "One registered model: description, tags, aliases and its 5 newest versions.",
            ModelInput,
            read,
            lambda a: r.get_model(a.model),
        ),
        spec(
            "get_version",
            "One model version: status, run id, source, description, tags, aliases, "
            "created_at (training time) and registered_at.",
            VersionInput,
            read,
            lambda a: r.get_version(a.model, a.version),
        ),
        spec(
            "get_alias",
            "The model version an alias (champion, staging, ...) points at.",
            AliasInput,
            read,
            lambda a: r.get_alias(a.model, a.alias),
        ),
        spec(
            "version_metrics",
            "Metrics and params of the training run behind a model version.",
            VersionInput,
            read,
            lambda a: r.version_metrics(a.model, a.version),
        ),
        spec(
            "signature",
            "Input and output columns (name, type) of a model version's logged signature.",
            VersionInput,
            read,
            lambda a: r.signature(a.model, a.version),
        ),
        spec(
            "alias_history",
            "Every recorded alias move of a model (alias, version, previous_version, at, by), "
            "oldest first, plus the current aliases.",
            AliasHistoryInput,
            read,
            lambda a: r.alias_history(a.model, a.since_hours),
        ),
        spec(
            "changes_since",
            "What changed on a model in the last N hours: alias moves and new versions.",
            ChangesInput,
            read,
            lambda a: r.changes_since(a.model, a.hours),
        ),
        spec(
            "set_alias",
            "Point an alias at a version; records the move and returns the previous version.",
            SetAliasInput,
            write,
            lambda a: r.set_alias(a.model, a.alias, a.version, a.by),
        ),
        spec(
            "set_tag",
            "Set a tag on a model, or on one version when version is given (referent.* keys refused).",
            SetTagInput,
            write,
            _set_tag(r),
        ),
        spec(
            "copy_version",
            "Copy a model version into another registered model; returns the new version.",
            CopyVersionInput,
            write,
            lambda a: r.copy_version(a.model, a.version, a.dst_model),
        ),
        spec(
            "delete_alias",
            "Remove an alias from a model; records the removal and returns the version it named.",
            DeleteAliasInput,
            ActionClass.DESTRUCTIVE,
            lambda a: r.delete_alias(a.model, a.alias, a.by),
        ),
    ]


def _set_tag(registry: MlflowRegistry) -> Callable[[SetTagInput], BaseModel]:
    def call(a: SetTagInput) -> BaseModel:
        if a.version is None:
            return registry.set_model_tag(a.model, a.key, a.value)
        return registry.set_version_tag(a.model, a.version, a.key, a.value)

    return call
