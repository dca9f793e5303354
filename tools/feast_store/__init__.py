"""Feast: feature views, materialization freshness and online/offline parity, through the Feast SDK.

The SDK costs seconds to import, so ``import tools.feast_store`` does not import it: the
``FeatureStore`` is created on the first call (or by an injected ``store_factory``). Feature refs are
``view:feature``. A view's expected materialization cadence is its ``schedule`` tag (``15m``, ``1h``).
Errors are the :mod:`tools.errors` tree with ``source="feast"``.

Modules:
    models: the result models.
    freshness: view descriptions, ``schedule`` parsing and freshness classification (pure).
    parity: comparison of online and offline values of one feature (pure).
    tool: :class:`FeastTool`, the SDK calls and their error mapping.
    tool_specs: the tool input models and :func:`specs`, the ToolSpecs the gateway exposes.
"""

from tools.feast_store.freshness import classify_freshness, parse_schedule
from tools.feast_store.models import (
    FeatureInfo,
    FeatureParity,
    FeatureViewInfo,
    FreshnessReport,
    FreshnessStatus,
    MaterializeResult,
    ParityReport,
    ViewFreshness,
)
from tools.feast_store.parity import compare_feature
from tools.feast_store.tool import SOURCE, FeastTool
from tools.feast_store.tool_specs import FreshnessArgs, MaterializeArgs, NoArgs, ParityArgs, ViewArg, specs

__all__ = [
    "SOURCE",
    "FeastTool",
    "FeatureInfo",
    "FeatureParity",
    "FeatureViewInfo",
    "FreshnessArgs",
    "FreshnessReport",
    "FreshnessStatus",
    "MaterializeArgs",
    "MaterializeResult",
    "NoArgs",
    "ParityArgs",
    "ParityReport",
    "ViewArg",
    "ViewFreshness",
    "classify_freshness",
    "compare_feature",
    "parse_schedule",
    "specs",
]
