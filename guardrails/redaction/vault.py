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
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from threading import Lock
from typing import Protocol

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr
from sqlalchemy import DateTime, Index, Integer, LargeBinary, String, UniqueConstraint, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

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


NewValue = tuple[str, str, bytes]  # (entity type, digest, ciphertext)


class VaultStorage(Protocol):
    """Where the vault keeps (scope, token, entity type, digest, ciphertext) rows."""

    def tokens_for(self, scope: str, digests: Collection[str]) -> dict[str, str]:
        """The tokens already given to any of ``digests`` in ``scope`` (digest → token)."""
        ...

    def add_many(self, scope: str, values: Sequence[NewValue]) -> dict[str, str]:
        """Store new values in one write; digest → token for each (existing tokens kept)."""
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

    def tokens_for(self, scope: str, digests: Collection[str]) -> dict[str, str]:
        found = ((digest, self._tokens.get((scope, digest))) for digest in digests)
        return {digest: token for digest, token in found if token is not None}

    def add_many(self, scope: str, values: Sequence[NewValue]) -> dict[str, str]:
        out: dict[str, str] = {}
        with self._lock:
            for entity_type, digest, ciphertext in values:
                existing = self._tokens.get((scope, digest))
                if existing is None:
                    number = self._counts.get((scope, entity_type), 0) + 1
                    self._counts[(scope, entity_type)] = number
                    existing = format_token(entity_type, number)
                    self._tokens[(scope, digest)] = existing
                    self._ciphertexts[(scope, existing)] = ciphertext
                out[digest] = existing
        return out

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

    def tokens_for(self, scope: str, digests: Collection[str]) -> dict[str, str]:
        if not digests:
            return {}
        with self.db.session() as session:
            return self._known(session, scope, digests)

    @staticmethod
    def _known(session: Session, scope: str, digests: Collection[str]) -> dict[str, str]:
        ordered = list(digests)
        out: dict[str, str] = {}
        for i in range(0, len(ordered), 500):  # bounded IN lists (SQLite's parameter limit)
            query = select(PseudonymRow.digest, PseudonymRow.token).where(
                PseudonymRow.scope == scope, PseudonymRow.digest.in_(ordered[i : i + 500])
            )
            out.update({digest: token for digest, token in session.execute(query)})
        return out

    def add_many(self, scope: str, values: Sequence[NewValue]) -> dict[str, str]:
        """All new values of one redaction in one transaction (under the scope's write lock)."""
        for _ in range(self.attempts):
            try:
                with self.db.session() as session:
                    self.db.serialize(session, f"pseudonyms:{scope}", PseudonymRow.__tablename__)
                    now = datetime.now(UTC)
                    out = self._known(session, scope, [digest for _, digest, _ in values])
                    counts = dict(
                        session.execute(
                            select(PseudonymRow.entity_type, func.count())
                            .where(PseudonymRow.scope == scope)
                            .group_by(PseudonymRow.entity_type)
                        ).all()
                    )
                    rows: list[dict[str, object]] = []
                    for entity_type, digest, ciphertext in values:
                        if digest in out:
                            continue  # known already, or twice in this batch
                        counts[entity_type] = counts.get(entity_type, 0) + 1
                        out[digest] = format_token(entity_type, counts[entity_type])
                        rows.append(
                            {"scope": scope, "token": out[digest], "entity_type": entity_type, "digest": digest,
                             "ciphertext": ciphertext, "created_at": now}
                        )  # fmt: skip
                    if rows:
                        session.execute(insert(PseudonymRow), rows)  # one executemany
                return out
            except IntegrityError:
                continue  # another writer took a digest or a number: look again
        raise RuntimeError(f"could not allocate pseudonyms in scope {scope!r} after {self.attempts} attempts")

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
        return self.pseudonyms(scope, [(entity_type, value)])[0]

    def pseudonyms(self, scope: str, items: Sequence[tuple[str, str]]) -> list[str]:
        """Tokens of ``(entity_type, value)`` items in ``scope``, in order; new ones stored in one write."""
        digests = [self.digest(entity_type, value) for entity_type, value in items]
        tokens = {d: t for d in digests if (t := self._cache.get((scope, d))) is not None}
        missing = [d for d in dict.fromkeys(digests) if d not in tokens]
        if missing:
            tokens.update(self.storage.tokens_for(scope, missing))
            new: dict[str, NewValue] = {}
            for (entity_type, value), digest in zip(items, digests, strict=True):
                if digest not in tokens and digest not in new:
                    nonce = os.urandom(12)
                    ciphertext = nonce + self._aead.encrypt(nonce, value.encode(), scope.encode())
                    new[digest] = (entity_type, digest, ciphertext)
            if new:
                tokens.update(self.storage.add_many(scope, list(new.values())))
            if len(self._cache) + len(missing) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache.update(((scope, d), tokens[d]) for d in missing)
        return [tokens[d] for d in digests]

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
