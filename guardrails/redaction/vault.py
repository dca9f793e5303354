"""The pseudonym vault: stable tokens per scope, originals kept encrypted, revealed only by policy.

A value's identity is ``digest = HMAC-SHA256(digest_key, canonical(value))`` (hex); the original is
stored as ``nonce (12 bytes) || AES-256-GCM(encryption_key, nonce, value, aad=scope)``, so a row
copied into another scope does not decrypt. Both keys are derived with HKDF-SHA256 from the
pseudonym key under different ``info`` labels, so the digest never doubles as a decryption key. Token numbers count per (scope, entity type): ``<CREDIT_CARD_1>``, ``<CREDIT_CARD_2>``…

::

    RevealDenied (PermissionError)    the policy's ``authorize(principal)`` said no
    UnknownPseudonym (KeyError)       no such token in that scope
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from datetime import UTC, datetime
from threading import Lock
from typing import Protocol

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr
from sqlalchemy import DateTime, Index, Integer, LargeBinary, String, UniqueConstraint, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from guardrails.store.db import Base, Database

_SEPARATED = frozenset(
    {"BR_CPF", "BR_CNPJ", "MX_CURP", "MX_RFC", "AR_CUIT", "CL_RUT", "CO_NIT", "IBAN_CODE", "CREDIT_CARD"}
)
_CACHE_LIMIT = 100_000


class RevealDenied(PermissionError):
    """The principal may not reveal pseudonymised values."""


class UnknownPseudonym(KeyError):
    """The token does not exist in the scope."""


def canonical(entity_type: str, value: str) -> str:
    """The form of ``value`` whose digest identifies it: separators dropped for identifiers,
    case folded for e-mails, digits only for phones, otherwise the value itself."""
    if entity_type in _SEPARATED:
        return "".join(ch for ch in value if ch.isalnum()).upper()
    if entity_type == "EMAIL_ADDRESS":
        return value.lower()
    if entity_type == "PHONE_NUMBER":
        return "".join(ch for ch in value if ch.isdigit())
    return value


def format_token(entity_type: str, number: int) -> str:
    """``<ENTITY_n>``."""
    return f"<{entity_type}_{number}>"


def _derive(key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)


class VaultStorage(Protocol):
    """Where the vault keeps (scope, token, entity type, digest, ciphertext) rows."""

    def token_for(self, scope: str, digest: str) -> str | None:
        """The token already given to ``digest`` in ``scope``, if any."""
        ...

    def add(self, scope: str, entity_type: str, digest: str, ciphertext: bytes) -> str:
        """Store a new value and return its token (the existing one if ``digest`` is known)."""
        ...

    def ciphertext_for(self, scope: str, token: str) -> bytes | None:
        """The encrypted original behind ``token`` in ``scope``, if any."""
        ...


class InMemoryStorage:
    """Process-local storage (tests, the CLI): lost when the process ends."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str], str] = {}
        self._ciphertexts: dict[tuple[str, str], bytes] = {}
        self._counts: dict[tuple[str, str], int] = {}
        self._lock = Lock()

    def token_for(self, scope: str, digest: str) -> str | None:
        return self._tokens.get((scope, digest))

    def add(self, scope: str, entity_type: str, digest: str, ciphertext: bytes) -> str:
        with self._lock:
            existing = self._tokens.get((scope, digest))
            if existing is not None:
                return existing
            number = self._counts.get((scope, entity_type), 0) + 1
            self._counts[(scope, entity_type)] = number
            token = format_token(entity_type, number)
            self._tokens[(scope, digest)] = token
            self._ciphertexts[(scope, token)] = ciphertext
            return token

    def ciphertext_for(self, scope: str, token: str) -> bytes | None:
        return self._ciphertexts.get((scope, token))


class PseudonymRow(Base):
    """One pseudonymised value of one scope (table ``pseudonyms``)."""

    __tablename__ = "pseudonyms"
    __table_args__ = (
        UniqueConstraint("scope", "digest", name="uq_pseudonyms_scope_digest"),
        UniqueConstraint("scope", "token", name="uq_pseudonyms_scope_token"),
        Index("ix_pseudonyms_scope_entity_type", "scope", "entity_type"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(200), nullable=False)
    token: Mapped[str] = mapped_column(String(120), nullable=False)
    entity_type: Mapped[str] = mapped_column(String(64), nullable=False)
    digest: Mapped[str] = mapped_column(String(64), nullable=False)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=lambda: datetime.now(UTC)
    )


class SqlStorage:
    """Rows in the ``pseudonyms`` table.

    Token numbers are allocated per scope under a write lock (:meth:`Database.serialize`), so replicas
    and threads agree on one token per value, without gaps; the unique constraints stay as the backstop.
    """

    def __init__(self, db: Database, attempts: int = 5) -> None:
        self.db = db
        self.attempts = attempts

    def token_for(self, scope: str, digest: str) -> str | None:
        with self.db.session() as session:
            query = select(PseudonymRow.token).where(
                PseudonymRow.scope == scope, PseudonymRow.digest == digest
            )
            return session.scalar(query)

    def add(self, scope: str, entity_type: str, digest: str, ciphertext: bytes) -> str:
        for _ in range(self.attempts):
            existing = self.token_for(scope, digest)
            if existing is not None:
                return existing
            try:
                with self.db.session() as session:
                    self.db.serialize(session, f"pseudonyms:{scope}", PseudonymRow.__tablename__)
                    taken = session.scalar(
                        select(PseudonymRow.token).where(
                            PseudonymRow.scope == scope, PseudonymRow.digest == digest
                        )
                    )
                    if taken is not None:  # another replica added it while we waited for the lock
                        return taken
                    count_query = select(func.count()).where(
                        PseudonymRow.scope == scope, PseudonymRow.entity_type == entity_type
                    )
                    token = format_token(entity_type, (session.scalar(count_query) or 0) + 1)
                    session.add(
                        PseudonymRow(
                            scope=scope,
                            token=token,
                            entity_type=entity_type,
                            digest=digest,
                            ciphertext=ciphertext,
                        )
                    )
                return token
            except IntegrityError:
                continue  # another writer took the digest or the number: look again
        raise RuntimeError(
            f"could not allocate a pseudonym in scope {scope!r} after {self.attempts} attempts"
        )

    def ciphertext_for(self, scope: str, token: str) -> bytes | None:
        with self.db.session() as session:
            query = select(PseudonymRow.ciphertext).where(
                PseudonymRow.scope == scope, PseudonymRow.token == token
            )
            return session.scalar(query)


class Vault:
    """Gives each (scope, value) a stable token and reveals the value only to authorised principals."""

    def __init__(self, key: SecretStr | str, storage: VaultStorage | None = None) -> None:
        raw = (key.get_secret_value() if isinstance(key, SecretStr) else key).encode()
        self._digest_key = _derive(raw, b"referent/redaction/digest/v1")
        self._aead = AESGCM(_derive(raw, b"referent/redaction/vault/v1"))
        self.storage: VaultStorage = storage if storage is not None else InMemoryStorage()
        self._cache: dict[tuple[str, str], str] = {}

    def digest(self, entity_type: str, value: str) -> str:
        """Hex HMAC-SHA256 of the canonical form of ``value``."""
        return hmac.new(self._digest_key, canonical(entity_type, value).encode(), hashlib.sha256).hexdigest()

    def pseudonym(self, scope: str, entity_type: str, value: str) -> str:
        """The token of ``value`` in ``scope``, created on first sight (same value → same token)."""
        digest = self.digest(entity_type, value)
        cached = self._cache.get((scope, digest))
        if cached is not None:
            return cached
        token = self.storage.token_for(scope, digest)
        if token is None:
            nonce = os.urandom(12)
            ciphertext = nonce + self._aead.encrypt(nonce, value.encode(), scope.encode())
            token = self.storage.add(scope, entity_type, digest, ciphertext)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[(scope, digest)] = token
        return token

    def reveal(self, scope: str, token: str, principal: str, authorize: Callable[[str], bool]) -> str:
        """The original value behind ``token``.

        Raises:
            RevealDenied: ``authorize(principal)`` is false (checked before any lookup).
            UnknownPseudonym: the token does not exist in ``scope``.
        """
        if not authorize(principal):
            raise RevealDenied(f"principal {principal!r} may not reveal pseudonyms")
        ciphertext = self.storage.ciphertext_for(scope, token)
        if ciphertext is None:
            raise UnknownPseudonym(f"{token} in scope {scope!r}")
        return self._aead.decrypt(ciphertext[:12], ciphertext[12:], scope.encode()).decode()
