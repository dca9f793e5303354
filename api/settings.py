"""Settings of the service (``referent serve``): webhooks, API tokens, routing, schedules.

Environment variables are prefixed ``REFERENT_``. Secrets are ``SecretStr``. With
``REFERENT_ENV=production`` the service refuses to start while a secret it needs is missing or a
well-known placeholder (``changeme``…); in development missing secrets only disable what needs them
(an unset Alertmanager token refuses every Alertmanager delivery, it never opens the route).

API tokens are stored as SHA-256 hex digests (a raw token is hashed when the settings load), so the
process never keeps a usable token after start; a presented token is hashed and compared to each
digest in constant time.

Errors::

    ValueError (pydantic ValidationError at load)
    ├── placeholder or short secret in production
    ├── a Slack app token that is not app-level (xapp-…), or Socket Mode asked without one
    ├── malformed REFERENT_API_TOKENS (role unknown, name missing)
    └── malformed routes (see guardrails.routing: bad matcher, bad regex, channel missing)
"""

from __future__ import annotations

import hashlib
import hmac
import re
from enum import IntEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from guardrails.routing import Route, first_channel

if TYPE_CHECKING:
    from guardrails.policy import Policy

PLACEHOLDERS = {"", "changeme", "change-me", "changethis", "secret", "password", "xxx", "todo", "placeholder"}
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class Role(IntEnum):
    """API roles, ordered: each role may do what the roles below it may."""

    viewer = 1
    operator = 2
    approver = 3
    admin = 4


class ApiToken(BaseModel):
    """One API token's owner: ``name`` becomes the policy principal ``token:<name>``."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.@-]+$")
    role: Literal["viewer", "operator", "approver", "admin"] = "viewer"

    @property
    def principal(self) -> str:
        return f"token:{self.name}"

    @property
    def level(self) -> Role:
        return Role[self.role]


def token_digest(token: str) -> str:
    """SHA-256 hex digest of an API token (what REFERENT_API_TOKENS stores)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _is_placeholder(value: SecretStr | None) -> bool:
    if value is None:
        return True
    raw = value.get_secret_value()
    return raw.strip().lower() in PLACEHOLDERS or len(raw) < 16


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REFERENT_", extra="ignore")

    env: Literal["development", "production"] = Field(default="development")
    alertmanager_token: SecretStr | None = Field(default=None, description="bearer of Alertmanager")
    pagerduty_secrets: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list, description="PagerDuty v3 webhook secrets, comma-separated, newest first"
    )
    slack_signing_secret: SecretStr | None = Field(default=None, description="Slack app signing secret")
    slack_app_token: SecretStr | None = Field(
        default=None, description="Slack app-level token (xapp-…, scope connections:write) for Socket Mode"
    )
    slack_mode: Literal["http", "socket"] | None = Field(
        default=None,
        description="http (POST /slack/events) or socket; default socket when an app token is set",
    )
    finops_cron: str = Field(default="0 8 * * 1", description="FinOps report schedule (cron, UTC)")
    audit_checkpoint_cron: str = Field(
        default="*/15 * * * *", description="signed audit checkpoint schedule (cron, UTC)"
    )
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="largest accepted webhook body")
    api_tokens: dict[str, ApiToken] = Field(
        default_factory=dict, description='JSON {"<sha256 hex of token, or token>": {"name", "role"}}'
    )
    routes: list[Route] = Field(
        default_factory=list,
        description='JSON list of routing rules {"matchers": ["team=~\\"fraud.*\\""], "channel": "C…"}, '
        "read before the policy file's routes",
    )
    slack_channel: str = Field(default="#referent", description="channel when no route matches")
    public_url: str = Field(default="http://127.0.0.1:8080", description="Referent's public URL")
    triage_concurrency: int = Field(default=4, ge=1, description="triage runs at once per worker")
    executor_id: str = Field(default="local", description="DBOS executor id (recovery key) of this process")
    sqlite_synchronous: Literal["NORMAL", "FULL"] = Field(
        default="NORMAL", description="DBOS on SQLite: NORMAL survives process crashes, FULL also power loss"
    )

    @field_validator("pagerduty_secrets", mode="before")
    @classmethod
    def _split_secrets(cls, v: Any) -> Any:
        if isinstance(v, str):
            return [s.strip() for s in v.split(",") if s.strip()]
        return v

    @field_validator("api_tokens", mode="after")
    @classmethod
    def _hash_tokens(cls, v: dict[str, ApiToken]) -> dict[str, ApiToken]:
        return {k if _HEX64.match(k) else token_digest(k): t for k, t in v.items()}

    @field_validator("slack_app_token", mode="after")
    @classmethod
    def _app_level_token(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None or v.get_secret_value().startswith("xapp-"):
            return v
        raw = v.get_secret_value()
        kind = f"a {raw[:4]}… token" if re.match(r"^xox[a-z]-", raw) else "not a Slack app-level token"
        raise ValueError(
            f"REFERENT_SLACK_APP_TOKEN must be an app-level token starting with xapp- (Basic Information → "
            f"App-Level Tokens, scope connections:write); this one is {kind}"
        )

    @model_validator(mode="after")
    def _socket_mode_has_a_token(self) -> ServiceSettings:
        if self.slack_mode == "socket" and self.slack_app_token is None:
            raise ValueError("REFERENT_SLACK_MODE=socket needs REFERENT_SLACK_APP_TOKEN (xapp-…)")
        return self

    @property
    def slack_socket_mode(self) -> bool:
        """Whether the Slack app connects over Socket Mode (an app token set, unless the mode says http)."""
        return self.slack_app_token is not None and self.slack_mode != "http"

    @model_validator(mode="after")
    def _production_secrets(self) -> ServiceSettings:
        if self.env != "production":
            return self
        named = {"REFERENT_ALERTMANAGER_TOKEN": self.alertmanager_token}
        if self.slack_signing_secret is not None:
            named["REFERENT_SLACK_SIGNING_SECRET"] = self.slack_signing_secret
        if self.slack_app_token is not None:
            named["REFERENT_SLACK_APP_TOKEN"] = self.slack_app_token
        bad = [name for name, value in named.items() if _is_placeholder(value)]
        bad += (
            ["REFERENT_PAGERDUTY_SECRETS"] if any(_is_placeholder(s) for s in self.pagerduty_secrets) else []
        )
        if bad:
            raise ValueError(f"production refuses placeholder or missing secrets: {', '.join(bad)}")
        return self

    def token_owner(self, presented: str) -> ApiToken | None:
        """The owner of an API token, comparing digests in constant time (every digest is compared)."""
        digest = token_digest(presented)
        owner = None
        for known, token in self.api_tokens.items():
            if hmac.compare_digest(known, digest):
                owner = token
        return owner

    def alertmanager_ok(self, presented: str) -> bool:
        """Whether ``presented`` is the Alertmanager bearer token (constant time; unset → never)."""
        if self.alertmanager_token is None:
            return False
        return hmac.compare_digest(presented.encode(), self.alertmanager_token.get_secret_value().encode())

    def channel_for(self, labels: dict[str, str], policy: Policy | None = None) -> str:
        """The channel of the first matching rule — ``REFERENT_ROUTES`` first, then the policy file's
        ``routes`` (when ``policy`` is given) — else ``REFERENT_SLACK_CHANNEL``."""
        policy_routes = policy.spec.routes if policy is not None else ()
        return first_channel(labels, self.routes, policy_routes, default=self.slack_channel)
