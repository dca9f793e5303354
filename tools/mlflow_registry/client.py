"""The ``MlflowClient`` Referent uses: built on first use, without Feast's MLflow plugin.

Importing MLflow takes about a second, so a command that never calls MLflow should not pay it:
:class:`LazyMlflowClient` stands in for the client and builds the real one on the first attribute
access (the first registry call).

Feast registers an MLflow entry point, ``mlflow.request_header_provider = feast``
(``feast.infra.data_sources.mlflow.auth:FeastMLflowHeaderProvider``). MLflow loads every such provider
on its first HTTP request, and loading this one imports the whole Feast SDK (seconds) — and would add a
Kubernetes service-account or ``MLFLOW_TRACKING_TOKEN`` bearer token to Referent's requests. Referent
configures MLflow itself, so :func:`load_header_providers` loads MLflow's provider registry with that
entry point filtered out; Feast is imported only when a Feast tool runs.
"""

from __future__ import annotations

import math
import sys
import threading
from typing import TYPE_CHECKING, Any

from tools.base import time_left
from tools.errors import SourceTimeout

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from mlflow.tracking import MlflowClient

HEADER_PROVIDER_GROUP = "mlflow.request_header_provider"
SKIPPED_PROVIDER_PACKAGES = ("feast",)
_HEADER_REGISTRY = "mlflow.tracking.request_header.registry"
_LOCK = threading.Lock()


def _kept(entry_point: EntryPoint) -> bool:
    return entry_point.value.split(".", 1)[0] not in SKIPPED_PROVIDER_PACKAGES


def load_header_providers() -> None:
    """Load MLflow's request-header provider registry once, skipping the providers of other tools.

    MLflow registers the providers when its registry module is first imported, through
    ``mlflow.utils.plugins.get_entry_points``; that function is filtered for the duration of the
    import only.
    """
    with _LOCK:
        if _HEADER_REGISTRY in sys.modules:
            return
        import mlflow.utils.plugins as plugins

        original = plugins.get_entry_points

        def entry_points(group: str) -> list[EntryPoint]:
            found = list(original(group))
            return [ep for ep in found if _kept(ep)] if group == HEADER_PROVIDER_GROUP else found

        plugins.get_entry_points = entry_points  # type: ignore[assignment]
        try:
            import mlflow.tracking.request_header.registry  # noqa: F401
        finally:
            plugins.get_entry_points = original  # type: ignore[assignment]


def new_client(tracking_uri: str) -> MlflowClient:
    """A real ``MlflowClient`` on ``tracking_uri`` (also the registry URI), header providers loaded."""
    load_header_providers()
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


class LazyMlflowClient:
    """Stands in for an ``MlflowClient`` and builds it (importing MLflow) on first attribute access."""

    def __init__(self, tracking_uri: str) -> None:
        self._tracking_uri = tracking_uri
        self._client: MlflowClient | None = None
        self._lock = threading.Lock()

    @property
    def built(self) -> bool:
        """Whether the real client exists yet."""
        return self._client is not None

    def _real(self) -> MlflowClient:
        with self._lock:
            if self._client is None:
                self._client = new_client(self._tracking_uri)
            return self._client

    def __getattr__(self, name: str) -> Any:
        client = self._real()
        if time_left(math.inf) <= 0:  # the import used up the call: send no request nobody awaits
            raise SourceTimeout("mlflow", "no time left for the request after loading the MLflow client")
        return getattr(client, name)
