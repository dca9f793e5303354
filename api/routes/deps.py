"""Dependencies of the routes: the process's ``Services``, the caller's API token and its role.

Roles are ordered viewer < operator < approver < admin; a route names the least role it needs. The
caller's principal for the policy is ``token:<name>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.routes.errors import Forbidden, Unauthorized, Unavailable
from api.service.services import Services
from api.settings import ApiToken, Role

bearer = HTTPBearer(auto_error=False, description="API token (REFERENT_API_TOKENS)")


def get_services(request: Request) -> Services:
    """The services the app was started with."""
    services: Services | None = getattr(request.app.state, "services", None)
    if services is None:
        raise Unavailable("the service is starting")
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


@dataclass(frozen=True)
class Caller:
    """An authenticated API caller."""

    token: ApiToken
    presented: str

    @property
    def principal(self) -> str:
        return self.token.principal

    def identity(self, services: Services) -> Any:
        """The caller as a ``guardrails.identity.Identity`` (for approval decisions)."""
        from guardrails.identity import token_identity

        digests = {digest: t.name for digest, t in services.settings.api_tokens.items()}
        return token_identity(self.presented, digests)


def caller(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    """The owner of the presented bearer token (401 when missing or unknown)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("missing bearer token")
    token = services.settings.token_owner(credentials.credentials)
    if token is None:
        raise Unauthorized("unknown API token")
    return Caller(token, credentials.credentials)


def require(role: Role) -> Any:
    """A dependency that admits callers whose role is at least ``role`` (403 otherwise)."""

    def check(who: Annotated[Caller, Depends(caller)]) -> Caller:
        if who.token.level < role:
            raise Forbidden(f"role {who.token.role} may not do this (needs {role.name})")
        return who

    return Depends(check)


Viewer = Annotated[Caller, require(Role.viewer)]
Operator = Annotated[Caller, require(Role.operator)]
Approver = Annotated[Caller, require(Role.approver)]
Admin = Annotated[Caller, require(Role.admin)]
