"""Redaction: Presidio analysis with Referent's recognizers, stable keyed pseudonyms, a vault.

Public API::

    settings = RedactionSettings()                    # REFERENT_REDACTION_PSEUDONYM_KEY, _NLP, _SCORE_THRESHOLD
    redactor = Redactor(settings, vault=None)         # in-memory vault unless one is given
    redactor.analyze(text) -> list[Finding]           # entity_type, start, end, score
    redactor.redact_text(text, scope="default") -> str
    redactor.redact_lines(text, scope="default") -> str
    redactor.redact_obj(obj, scope="default") -> Any  # structure-aware (JSON strings inside too)
    Vault(key, storage=InMemoryStorage() | SqlStorage(Database(url)))
    vault.reveal(scope, token, principal, authorize) -> str   # RevealDenied unless authorize(principal)
    redact_stream(stdin, stdout, redactor, json_findings)     # body of ``referent redact``
"""

from __future__ import annotations

from .cli import redact_stream
from .models import Finding
from .redactor import Redactor
from .settings import RedactionSettings
from .vault import (
    InMemoryStorage,
    PseudonymRow,
    RevealDenied,
    SqlStorage,
    UnknownPseudonym,
    Vault,
    VaultStorage,
)

__all__ = [
    "Finding",
    "InMemoryStorage",
    "PseudonymRow",
    "RedactionSettings",
    "Redactor",
    "RevealDenied",
    "SqlStorage",
    "UnknownPseudonym",
    "Vault",
    "VaultStorage",
    "redact_stream",
]
