"""The MLflow tools the gateway exposes: their input models and one table of ToolSpecs.

:func:`specs` only captures the registry in closures: nothing on it is called or read until a tool
runs, so the same specs can be bound to a stand-in object for a source that is not configured.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from tools.base import ActionClass, ToolSpec
from tools.mlflow_registry.http import SOURCE
from tools.mlflow_registry.registry import MlflowRegistry

# --- inputs -----------------------------------------------------------------------------------


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


# --- tool table -------------------------------------------------------------------------------

Call = Callable[[MlflowRegistry, Any], Any]
"""Runs one tool: (the registry, the validated input) → result."""


def _set_tag(r: MlflowRegistry, a: SetTagInput) -> BaseModel:
    if a.version is None:
        return r.set_model_tag(a.model, a.key, a.value)
    return r.set_version_tag(a.model, a.version, a.key, a.value)


_READ, _WRITE, _DESTRUCTIVE = ActionClass.READ, ActionClass.WRITE, ActionClass.DESTRUCTIVE

# (name without the "mlflow." prefix, description the model reads, input model, action, call)
_TOOLS: tuple[tuple[str, str, type[BaseModel], ActionClass, Call], ...] = (
    (
        "list_models",
        "List registered models: name, description, tags, aliases (alias -> version).",
        ListModelsInput,
        _READ,
        lambda r, a: r.list_models(a.max_results),
    ),
    (
        "get_model",
        "One registered model: description, tags, aliases and its 5 newest versions.",
        ModelInput,
        _READ,
        lambda r, a: r.get_model(a.model),
    ),
    (
        "get_version",
        "One model version: status, run id, source, description, tags, aliases, "
        "created_at (training time) and registered_at.",
        VersionInput,
        _READ,
        lambda r, a: r.get_version(a.model, a.version),
    ),
    (
        "get_alias",
        "The model version an alias (champion, staging, ...) points at.",
        AliasInput,
        _READ,
        lambda r, a: r.get_alias(a.model, a.alias),
    ),
    (
        "version_metrics",
        "Metrics and params of the training run behind a model version.",
        VersionInput,
        _READ,
        lambda r, a: r.version_metrics(a.model, a.version),
    ),
    (
        "signature",
        "Input and output columns (name, type) of a model version's logged signature.",
        VersionInput,
        _READ,
        lambda r, a: r.signature(a.model, a.version),
    ),
    (
        "alias_history",
        "Every recorded alias move of a model (alias, version, previous_version, at, by), "
        "oldest first, plus the current aliases.",
        AliasHistoryInput,
        _READ,
        lambda r, a: r.alias_history(a.model, a.since_hours),
    ),
    (
        "changes_since",
        "What changed on a model in the last N hours: alias moves and new versions.",
        ChangesInput,
        _READ,
        lambda r, a: r.changes_since(a.model, a.hours),
    ),
    (
        "set_alias",
        "Point an alias at a version; records the move and returns the previous version.",
        SetAliasInput,
        _WRITE,
        lambda r, a: r.set_alias(a.model, a.alias, a.version, a.by),
    ),
    (
        "set_tag",
        "Set a tag on a model, or on one version when version is given (referent.* keys refused).",
        SetTagInput,
        _WRITE,
        _set_tag,
    ),
    (
        "copy_version",
        "Copy a model version into another registered model; returns the new version.",
        CopyVersionInput,
        _WRITE,
        lambda r, a: r.copy_version(a.model, a.version, a.dst_model),
    ),
    (
        "delete_alias",
        "Remove an alias from a model; records the removal and returns the version it named.",
        DeleteAliasInput,
        _DESTRUCTIVE,
        lambda r, a: r.delete_alias(a.model, a.alias, a.by),
    ),
)


def _bind(call: Call, registry: MlflowRegistry) -> Callable[[Any], Any]:
    """``call`` with the registry filled in; the registry is only touched when the tool runs."""
    return lambda a: call(registry, a)


def specs(registry: MlflowRegistry) -> list[ToolSpec]:
    """The MLflow tools the gateway exposes, around one registry."""
    return [
        ToolSpec(
            name=f"mlflow.{name}",
            description=desc,
            input_model=model,
            action=action,
            func=_bind(call, registry),
            source=SOURCE,
            timeout_s=30.0,
        )
        for name, desc, model, action, call in _TOOLS
    ]
