"""Build a ready gateway from settings: store migrated, policy loaded, redactor, every configured tool.

A source that is not configured (or fails at start) still has its tools registered, bound to a
stand-in client that answers ``SourceUnavailable("not configured (set REFERENT_…)")`` — so an agent's
report can say which source was missing instead of failing on an unknown tool.

Deadlines: every platform tool's ``timeout_s`` is set here from the one setting
``REFERENT_TOOL_TIMEOUT_S`` (times the tool's ``timeout_scale``), and each client's own timeouts are
derived from it (Prometheus's httpx client, MLflow's HTTP environment), so a client gives up no later
than the gateway does.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from guardrails.approvals import ApprovalStore
from guardrails.audit import AuditLog
from guardrails.gateway import Gateway
from guardrails.policy import Policy
from guardrails.settings import GuardrailSettings
from guardrails.store.db import Database
from tools.base import ToolSpec
from tools.errors import SourceUnavailable
from tools.settings import PlatformSettings

log = logging.getLogger("referent.factory")


@dataclass
class Runtime:
    """The assembled guardrails: what the API, the CLI and the evals hold."""

    settings: GuardrailSettings
    platform: PlatformSettings
    db: Database
    policy: Policy
    audit: AuditLog
    approvals: ApprovalStore
    gateway: Gateway

    def close(self) -> None:
        self.gateway.close()
        self.db.dispose()


def build_redactor(settings: GuardrailSettings, db: Database | None = None) -> Any:
    """The Presidio redactor with its pseudonym vault in the SQL store."""
    from guardrails.redaction import RedactionSettings, Redactor, SqlStorage, Vault

    rs = RedactionSettings(pseudonym_key=settings.resolved_pseudonym_key(), nlp=settings.redaction_nlp)
    return Redactor(rs, vault=Vault(rs.pseudonym_key, storage=SqlStorage(db or Database(settings.db_url))))


class _Unavailable:
    """Stands in for the client of a source that is not configured or failed at start.

    Every method call fails with ``SourceUnavailable(reason)``, so the source's tools stay registered
    and an agent's report can name the missing source instead of failing on an unknown tool.
    """

    def __init__(self, source: str, reason: str) -> None:
        self._source, self._reason = source, reason

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def fail(*_: Any, **__: Any) -> Any:
            raise SourceUnavailable(self._source, self._reason)

        return fail


def _prometheus_http(platform: PlatformSettings) -> Any:
    """An httpx client for Prometheus/Thanos/Mimir, with the bearer token when one is configured."""
    import httpx

    headers = {}
    if platform.prometheus_token is not None:
        headers["Authorization"] = f"Bearer {platform.prometheus_token.get_secret_value()}"
    return httpx.Client(timeout=platform.tool_timeout_s, headers=headers)


def _mlflow_registry(platform: PlatformSettings) -> Any:
    from tools.mlflow_registry import MlflowRegistry

    platform.apply_mlflow_http_env()  # a down MLflow fails within the tool deadline, not after minutes
    return MlflowRegistry.from_uri(platform.mlflow_tracking_uri or "")


def _tools(name: str) -> Any:
    """``tools.<name>``, imported when a source's tools are built (billing: Ibis on its first query)."""
    return importlib.import_module(f"tools.{name}")


def tool_specs(platform: PlatformSettings, only: Collection[str] | None = None) -> list[ToolSpec]:
    """Every platform tool, bound to clients for the configured sources (stand-ins for the others).

    ``only`` names the sources a caller uses (``{"prometheus"}``); the others' tools are neither
    imported nor registered. None: every source.
    """
    prometheus, mlflow_registry = _tools("prometheus"), _tools("mlflow_registry")

    sources: list[tuple[str, str, Any, Callable[[], Any], Callable[[Any], list[ToolSpec]]]] = [
        (
            "prometheus",
            "REFERENT_PROMETHEUS_URL",
            platform.prometheus_url,
            lambda: prometheus.PrometheusClient(
                platform.prometheus_url or "",
                http=_prometheus_http(platform),
                timeout_s=platform.tool_timeout_s,
            ),
            lambda client: prometheus.specs(client, timeout_s=platform.tool_timeout_s),
        ),
        (
            "mlflow",
            "REFERENT_MLFLOW_TRACKING_URI",
            platform.mlflow_tracking_uri,
            lambda: _mlflow_registry(platform),
            mlflow_registry.specs,
        ),
        (
            "feast",
            "REFERENT_FEAST_REPO",
            platform.feast_repo,
            lambda: _tools("feast_store").FeastTool(platform.feast_repo),
            lambda client: _tools("feast_store").specs(client),
        ),
        (
            "billing",
            "REFERENT_BILLING_PATH",
            platform.billing_path,
            lambda: _tools("billing").LazyBillingTool(platform.billing_path or ""),
            lambda client: _tools("billing").specs(client),
        ),
        (
            "slack",
            "REFERENT_SLACK_BOT_TOKEN",
            platform.slack_bot_token,
            lambda: _tools("slack").SlackTool.connect(
                platform.slack_bot_token.get_secret_value() if platform.slack_bot_token else "",
                platform.slack_api_url,
                platform.slack_channel,
                timeout_s=platform.tool_timeout_s,
            ),
            lambda client: _tools("slack").specs(client, timeout_s=platform.tool_timeout_s),
        ),
    ]
    specs: list[ToolSpec] = []
    for source, setting, configured, connect, specs_of in sources:
        if only is not None and source not in only:
            continue
        client: Any = _Unavailable(source, f"not configured (set {setting})")
        if configured:
            try:
                client = connect()
            except Exception as exc:  # a broken source must not stop the others
                log.warning("%s unavailable at start: %s", source, type(exc).__name__)
                client = _Unavailable(source, f"failed at start ({type(exc).__name__}); restart to retry")
        specs += specs_of(client)
    return specs


def local_specs(platform: PlatformSettings, state_dir: Path) -> list[ToolSpec]:
    """Tools that need no remote source: promtool and the runbook library (generated runbooks go to
    ``REFERENT_RUNBOOKS_DIR``, else this runtime's ``state_dir/runbooks``)."""
    from runbooks import LIBRARY_DIR, REFERENCE_DIR
    from tools import promtool, runbook_library

    library = runbook_library.RunbookLibrary(
        platform.runbooks_dir or LIBRARY_DIR,
        [REFERENCE_DIR],
        base_url=platform.public_url,
        locations=runbook_library.RunbookLocations(state_dir=state_dir, runbooks_dir=platform.runbooks_dir),
    )
    return [*promtool.specs(promtool.Promtool()), *runbook_library.specs(library)]


def build_runtime(
    settings: GuardrailSettings | None = None,
    platform: PlatformSettings | None = None,
    *,
    redactor: Any = None,
    extra_specs: list[ToolSpec] | None = None,
    register_platform_tools: bool = True,
    sources: Collection[str] | None = None,
) -> Runtime:
    """Assemble the gateway and its store (opened, hence migrated).

    ``sources`` limits the platform tools to those sources (see :func:`tool_specs`); None: all.
    """
    settings = settings or GuardrailSettings()
    platform = platform or PlatformSettings()
    db = Database(settings.db_url)  # opening the store migrates it
    policy = Policy.load(settings.policy_file)
    audit = AuditLog(db)
    from guardrails.keyfiles import approval_key  # a key the database does not hold

    approvals = ApprovalStore(
        db, approval_key(settings), ttl=timedelta(minutes=settings.approval_ttl_minutes)
    )
    gateway = Gateway(
        policy=policy, audit=audit, approvals=approvals, redactor=redactor or build_redactor(settings, db)
    )
    if register_platform_tools:
        platform_specs = [*tool_specs(platform, sources), *local_specs(platform, settings.state_dir)]
        # one deadline setting for every tool (REFERENT_TOOL_TIMEOUT_S), times each tool's declared scale
        gateway.register_all(spec.with_timeout(platform.tool_timeout_s) for spec in platform_specs)
    gateway.register_all(extra_specs or [])
    return Runtime(settings, platform, db, policy, audit, approvals, gateway)
