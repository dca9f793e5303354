"""Redaction: Presidio-compatible analysis with Referent's recognizers, stable keyed pseudonyms, a vault.

Importing this package or building a :class:`Redactor` imports neither Presidio nor spaCy: the
recognizers run on RE2; spaCy is loaded the first time a text has a name cue whose name the keys,
cues and gazetteer (:mod:`.gazetteer`, :mod:`.cues`) did not already find, and Presidio's engines
are built on first access to ``Redactor.analyzer`` / ``Redactor.anonymizer``.

Public API::

    settings = RedactionSettings()                    # REFERENT_REDACTION_PSEUDONYM_KEY, _NLP, _SCORE_THRESHOLD
    redactor = Redactor(settings, vault=None)         # in-memory vault unless one is given
    redactor.analyze(text) -> list[Finding]           # entity_type, start, end, score
    redactor.redact_text(text, scope="default") -> str
    redactor.redact_lines(text, scope="default") -> str
    redactor.redact_obj(obj, scope="default") -> Any  # structure-aware (JSON strings inside too)
    Vault(key, storage=InMemoryStorage() | SqlStorage(Database(url)))
    vault.pseudonyms(scope, [(entity_type, value), ...])       # tokens; new ones stored in one write
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
