"""Settings of the billing tools (environment variables prefixed ``REFERENT_BILLING_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class BillingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REFERENT_BILLING_", extra="ignore")

    sku_map: Path | None = Field(
        default=None, description="YAML SKU map added in front of the defaults (tools/billing/sku_map.yaml)"
    )
