"""Settings of the agents layer (``REFERENT_LLM_*``): which model, if any, and its limits."""

from __future__ import annotations

import os

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def offline_litellm() -> None:
    """Make litellm load its cost map from the package, never from the network (call before import)."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


class LLMSettings(BaseSettings):
    """No ``model`` means the deterministic reasoner drives the agents."""

    model_config = SettingsConfigDict(env_prefix="REFERENT_LLM_", extra="ignore", populate_by_name=True)

    model: str | None = Field(
        default=None, description="litellm model id, e.g. openai/gpt-4.1-mini, ollama/llama3.1"
    )
    api_base: str | None = Field(default=None, description="OpenAI-compatible endpoint (vLLM, Ollama)")
    api_key: SecretStr | None = None
    temperature: float = Field(default=0.0, ge=0, le=2)
    max_tokens: int = Field(default=2000, ge=1)
    timeout_s: float = Field(default=60.0, gt=0)
    max_tool_rounds: int = Field(default=6, ge=0)
    triage_deadline_s: float = Field(
        default=120.0,
        gt=0,
        validation_alias="REFERENT_TRIAGE_DEADLINE_S",
        description="a triage run ends with the evidence gathered by then; later tool calls are refused",
    )

    @field_validator("api_key")
    @classmethod
    def _no_placeholder(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and v.get_secret_value().strip().lower() in {"", "changeme", "sk-xxx", "xxx"}:
            raise ValueError("REFERENT_LLM_API_KEY is a placeholder")
        return v


class IntakeSettings(BaseSettings):
    """Bounds on an alert payload, for every intake (CLI ``triage --alert``, webhooks): ``REFERENT_MAX_ALERT*``."""

    model_config = SettingsConfigDict(env_prefix="REFERENT_", extra="ignore")

    max_alert_bytes: int = Field(
        default=1024 * 1024, ge=1, description="largest alert payload accepted (bytes)"
    )
    max_alerts: int = Field(default=200, ge=1, description="most alerts accepted in one payload")
