"""The MLflow model registry tools: typed reads and writes through an injected ``MlflowClient``.

MLflow keeps no alias history, so Referent records every alias move in the registered-model tag
``referent.alias_history`` and a version's training time in its ``referent.created_at`` tag. Errors are
the :mod:`tools.errors` tree with ``source="mlflow"``.

Importing this package does not import MLflow: the client is built on the first registry call.

Modules:
    client: the lazily built ``MlflowClient`` (:class:`LazyMlflowClient`), loaded without Feast's
        MLflow request-header plugin (:func:`load_header_providers`).
    http: the HTTP deadline environment (:func:`http_env`, :func:`configure_http`) and the mapping of
        MLflow exceptions to tool errors (:func:`to_tool_error`).
    models: the result models.
    registry: :class:`MlflowRegistry` and the ``referent.*`` tag names.
    tool_specs: the tool input models and :func:`specs`, the ToolSpecs the gateway exposes.
"""

from tools.mlflow_registry.client import LazyMlflowClient, load_header_providers
from tools.mlflow_registry.http import SOURCE, configure_http, http_env, to_tool_error
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
from tools.mlflow_registry.registry import CREATED_AT_TAG, HISTORY_TAG, MlflowRegistry
from tools.mlflow_registry.tool_specs import (
    AliasHistoryInput,
    AliasInput,
    ChangesInput,
    CopyVersionInput,
    DeleteAliasInput,
    ListModelsInput,
    ModelInput,
    SetAliasInput,
    SetTagInput,
    VersionInput,
    specs,
)

__all__ = [
    "CREATED_AT_TAG",
    "HISTORY_TAG",
    "SOURCE",
    "AliasHistory",
    "AliasHistoryInput",
    "AliasInput",
    "AliasMove",
    "AliasResult",
    "Changes",
    "ChangesInput",
    "ColumnSpec",
    "CopiedVersion",
    "CopyVersionInput",
    "DeleteAliasInput",
    "LazyMlflowClient",
    "ListModelsInput",
    "MlflowRegistry",
    "ModelDetail",
    "ModelInput",
    "ModelSummary",
    "RunMetrics",
    "SetAliasInput",
    "SetTagInput",
    "Signature",
    "VersionInfo",
    "VersionInput",
    "VersionMetrics",
    "configure_http",
    "http_env",
    "load_header_providers",
    "specs",
    "to_tool_error",
]
