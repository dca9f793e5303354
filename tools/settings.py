"""Where the platform sources are (environment variables prefixed ``REFERENT_``).

Point Referent at real systems with ``REFERENT_PROMETHEUS_URL``, ``REFERENT_MLFLOW_TRACKING_URI``,
``REFERENT_FEAST_REPO`` and ``REFERENT_BILLING_PATH``; or at a running sandbox with
``REFERENT_SANDBOX_DIR`` (its ``endpoints.json`` fills whatever is not set explicitly).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class PlatformSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REFERENT_", extra="ignore")

    sandbox_dir: Path | None = Field(default=None, description="a sandbox whose endpoints.json to use")
    prometheus_url: str | None = None
    prometheus_token: SecretStr | None = Field(
        default=None, description="bearer token for Prometheus/Thanos/Mimir"
    )
    alertmanager_url: str | None = None
    mlflow_tracking_uri: str | None = None
    feast_repo: Path | None = None
    billing_path: str | None = Field(default=None, description="FOCUS files: a directory, file or glob")
    tool_timeout_s: float = Field(
        default=15.0,
        gt=0,
        description="deadline of one tool call, every tool (slow ones such as a backfill get a declared "
        "multiple); each client's own timeouts are derived from it",
    )
    mlflow_http_max_retries: int = Field(
        default=1, ge=0, description="MLflow client retries per request (within the tool timeout)"
    )
    runbooks_dir: Path | None = Field(default=None, description="where generated runbooks are stored")
    public_url: str = Field(
        default="http://127.0.0.1:8080", description="Referent's URL, for runbook_url links"
    )
    slack_bot_token: SecretStr | None = Field(default=None, description="Slack bot token (xoxb-…)")
    slack_api_url: str = Field(
        default="https://slack.com/api/", description="base URL of Slack's Web API (a recorder in tests)"
    )
    slack_channel: str | None = Field(default=None, description="default Slack channel id for posts")

    @model_validator(mode="before")
    @classmethod
    def _fill_from_sandbox(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        directory = data.get("sandbox_dir")
        if not directory:
            return data
        path = Path(directory) / "endpoints.json"
        if not path.exists():
            return data
        endpoints = json.loads(path.read_text())
        mapping = {
            "prometheus_url": "prometheus_url",
            "alertmanager_url": "alertmanager_url",
            "mlflow_tracking_uri": "mlflow_uri",
            "feast_repo": "feast_repo",
            "billing_path": "billing_path",
        }
        for field, key in mapping.items():
            if not data.get(field) and endpoints.get(key):
                data[field] = endpoints[key]
        return data

    def apply_mlflow_http_env(self) -> None:
        """Give the MLflow client our deadlines (it reads them from the environment at request time).

        Without them a down MLflow is retried for minutes (MLflow's defaults: 120 s timeout, 7 retries).
        The per-request timeout and retries are derived from ``tool_timeout_s`` so that the client
        gives up before the gateway does; an operator's ``MLFLOW_HTTP_REQUEST_TIMEOUT`` or retry count
        is kept only when it is no larger.
        """
        from tools.mlflow_registry.http import configure_http, request_budget

        timeout_s, retries = request_budget(self.tool_timeout_s, self.mlflow_http_max_retries)
        configure_http(os.environ, timeout_s=timeout_s, max_retries=retries)
