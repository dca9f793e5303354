"""Who is acting: principals, and authenticated identities for human decisions.

A *principal* is one concrete caller: ``agent:triage``, ``user:ana``, ``slack:U024BE7LH``,
``token:release-manager``. Group names (``group:ml-approvers``) and anything holding glob characters
are patterns a policy matches against, never principals: :func:`check_principal` refuses them wherever
a principal is accepted (a call's context, an approver, a vault reveal, ``policy check``).

An :class:`Identity` is a principal that was *authenticated*. Only the functions here create one, each
from evidence the caller cannot make up:

- :func:`cli_identity` — the operating-system account running the process (``pwd``, not ``$USER``),
  mapped to a principal by the policy's ``cli_users`` section; an unmapped account has no identity;
- :func:`token_identity` — an API token whose SHA-256 digest is configured (``token:<name>``);
- :func:`slack_identity` — the user of a Slack request whose v0 signature verifies with the signing
  secret within the 5-minute replay window (``slack:<user id>``, read from the signed body);
- :func:`slack_socket_identity` — the user of a Slack envelope received over the Socket Mode WebSocket
  that Slack opened for the app-level token (the connection is authenticated, not each envelope).

Decisions that need a human (approve, deny) take an :class:`Identity`, so an unauthenticated string
cannot reach them by accident.

Errors::

    IdentityError (ValueError)
    ├── InvalidPrincipal      a group, a glob, an empty or malformed principal
    └── NotAuthenticated      unmapped OS user, unknown token, bad or stale Slack signature
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from pydantic import SecretStr

if TYPE_CHECKING:
    from guardrails.policy import Policy

PRINCIPAL_KINDS = ("agent", "user", "slack", "token")
_PRINCIPAL = re.compile(r"^(?P<kind>[a-z]+):(?P<name>[A-Za-z0-9][A-Za-z0-9_.@-]{0,190})$")
SLACK_REPLAY_WINDOW_S = 300


class IdentityError(ValueError):
    """A principal or identity that cannot be accepted."""


class InvalidPrincipal(IdentityError):
    """Not a principal: a group name, a glob pattern, or not ``kind:name``."""


class NotAuthenticated(IdentityError):
    """The evidence offered does not authenticate anyone."""


def check_principal(principal: str) -> str:
    """Return ``principal`` when it names one concrete caller; raise :class:`InvalidPrincipal` otherwise."""
    match = _PRINCIPAL.match(principal or "")
    if match is None or match["kind"] not in PRINCIPAL_KINDS:
        if (principal or "").startswith("group:"):
            raise InvalidPrincipal(f"{principal!r} is a group, not a principal")
        raise InvalidPrincipal(
            f"{principal!r} is not a principal (one of {', '.join(k + ':NAME' for k in PRINCIPAL_KINDS)}; "
            "no groups, no glob characters)"
        )
    return principal


def is_principal(principal: str) -> bool:
    try:
        check_principal(principal)
    except InvalidPrincipal:
        return False
    return True


_MINTING = threading.local()


@dataclass(frozen=True)
class Identity:
    """An authenticated principal and how it was authenticated (``via``, e.g. ``cli:ana``).

    Create one only through :func:`cli_identity`, :func:`token_identity` or :func:`slack_identity`;
    calling the constructor (or ``dataclasses.replace``) anywhere else raises ``TypeError``.
    """

    principal: str
    via: str

    def __post_init__(self) -> None:
        if not getattr(_MINTING, "active", False):
            raise TypeError("an Identity comes only from guardrails.identity's authentication functions")
        check_principal(self.principal)
        if self.principal.startswith("agent:"):
            raise InvalidPrincipal("an agent is not a human identity")


def _mint(principal: str, via: str) -> Identity:
    _MINTING.active = True
    try:
        return Identity(principal, via)
    finally:
        _MINTING.active = False


def os_user() -> str:
    """The account running this process, from the kernel's effective uid (environment variables ignored)."""
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):  # no passwd entry (or not POSIX): fall back to the login name
        import getpass

        return getpass.getuser()


def cli_identity(policy: Policy) -> Identity:
    """The identity of the OS account running the CLI, as the policy's ``cli_users`` maps it."""
    user = os_user()
    principal = policy.spec.cli_users.get(user)
    if principal is None:
        raise NotAuthenticated(
            f"OS user {user!r} is not mapped to a principal in the policy's cli_users; it cannot decide"
        )
    return _mint(principal, f"cli:{user}")


def cli_requester(policy: Policy) -> str | None:
    """The principal of the OS account starting a run from the CLI (its requester), None when unmapped."""
    try:
        return cli_identity(policy).principal
    except NotAuthenticated:
        return None


def token_identity(presented: SecretStr | str, digests: Mapping[str, str]) -> Identity:
    """``token:<name>`` for a presented API token whose SHA-256 hex digest maps to ``name``."""
    raw = presented.get_secret_value() if isinstance(presented, SecretStr) else presented
    candidate = hashlib.sha256(raw.encode()).hexdigest()
    found = None
    for digest_hex, name in digests.items():
        if hmac.compare_digest(candidate, digest_hex.lower()):
            found = name
    if not raw or found is None:
        raise NotAuthenticated("unknown API token")
    return _mint(f"token:{found}", "token")


def slack_identity(
    *, signing_secret: SecretStr, timestamp: str, signature: str, body: bytes, now: float | None = None
) -> Identity:
    """``slack:<user id>`` of a Slack request (slash command or interaction) after checking its signature.

    The user id is read from the signed body (``user_id`` of a slash command, ``payload.user.id``
    of an interaction), never passed in separately.
    """
    try:
        age = abs((time.time() if now is None else now) - int(timestamp))
    except ValueError:
        raise NotAuthenticated("Slack request timestamp is not a number") from None
    if age > SLACK_REPLAY_WINDOW_S:
        raise NotAuthenticated("Slack request is outside the 5-minute replay window")
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(signing_secret.get_secret_value().encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise NotAuthenticated("Slack request signature does not verify")
    form = parse_qs(body.decode("utf-8", "replace"))
    try:
        user_id = json.loads(form["payload"][0])["user"]["id"] if "payload" in form else form["user_id"][0]
    except (KeyError, IndexError, TypeError, ValueError):
        raise NotAuthenticated("signed Slack request names no user") from None
    return _mint(f"slack:{user_id}", "slack")


def slack_socket_identity(payload: Mapping[str, object]) -> Identity:
    """``slack:<user id>`` of a Socket Mode envelope's payload (slash command or interaction).

    In Socket Mode Slack authenticates the connection instead of each request: the WebSocket URL comes
    from ``apps.connections.open`` called with the app-level token (``xapp-…``), and what arrives on it
    carries no signature. Only the Socket Mode receiver (``api.slack.socket_mode``) calls this, with
    the payload as it came off that connection; an HTTP request never does (bolt marks it ``http`` and
    :func:`slack_identity` checks its signature).
    """
    user = payload.get("user_id")
    nested = payload.get("user")
    if user is None and isinstance(nested, Mapping):
        user = nested.get("id")
    if not isinstance(user, str) or not user:
        raise NotAuthenticated("Socket Mode envelope names no user")
    return _mint(f"slack:{user}", "slack-socket")
