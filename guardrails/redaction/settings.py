"""Settings of the redaction layer (environment prefix ``REFERENT_REDACTION_``)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_KEYS = frozenset(
    {"changeme", "change-me", "change_me", "secret", "password", "placeholder", "default", "test", "example",
     "xxx", "todo", "none", "null", "key", "pseudonym-key", "your-key-here"}
)  # fmt: skip
MIN_KEY_LENGTH = 16


class RedactionSettings(BaseSettings):
    """How Referent redacts.

    Attributes:
        pseudonym_key: Secret behind the pseudonyms (HMAC digests) and the vault's encryption key.
            Empty, placeholder (``changeme``…) and short (< 16 characters) values are refused.
        nlp: Use spaCy NER for person names when the ``en_core_web_sm`` model is installed.
        score_threshold: Findings scoring below this are ignored.
    """

    model_config = SettingsConfigDict(env_prefix="REFERENT_REDACTION_", extra="ignore")

    pseudonym_key: SecretStr
    nlp: bool = True
    score_threshold: float = Field(default=0.5, ge=0.0, le=1.0)

    @field_validator("pseudonym_key")
    @classmethod
    def _refuse_placeholder(cls, value: SecretStr) -> SecretStr:
        raw = value.get_secret_value().strip()
        if not raw:
            raise ValueError(
                "REFERENT_REDACTION_PSEUDONYM_KEY is empty: set a random secret (e.g. 32 bytes, base64)"
            )
        if raw.lower() in PLACEHOLDER_KEYS:
            raise ValueError(
                "REFERENT_REDACTION_PSEUDONYM_KEY is a placeholder value: set a real random secret"
            )
        if len(raw) < MIN_KEY_LENGTH:
            raise ValueError(f"REFERENT_REDACTION_PSEUDONYM_KEY is shorter than {MIN_KEY_LENGTH} characters")
        return value
