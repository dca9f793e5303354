"""Secrets kept in files outside the database, created once with mode ``0600``.

Used for the approval-signing key and the audit checkpoint signing key: whoever holds only the
database (a dump, a replica, SQL access) cannot forge what these keys sign.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from guardrails.settings import GuardrailSettings, refuse_placeholder


def read_or_create(path: Path, make: Callable[[], bytes]) -> bytes:
    """The bytes in ``path``; on first use ``make()`` them into a new ``0600`` file (never overwritten).

    Raises:
        OSError: the file cannot be read or created.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            return path.read_bytes()
        with os.fdopen(fd, "wb") as fh:
            fh.write(make())
    return path.read_bytes()


def approval_key(settings: GuardrailSettings) -> bytes:
    """The HMAC key signing approvals: ``REFERENT_APPROVAL_KEY``, else the key file (created on first use).

    Raises:
        ValueError: the configured key is a placeholder or too short.
    """
    if settings.approval_key is not None:
        refuse_placeholder(settings.approval_key, "REFERENT_APPROVAL_KEY")
        return settings.approval_key.get_secret_value().encode()
    path = settings.approval_key_file or settings.state_dir / "approval.key"
    return read_or_create(path, lambda: secrets.token_hex(32).encode()).strip()
