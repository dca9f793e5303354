"""The redactor: a Presidio pipeline with a fast path for logs and tool outputs.

Fast path, over the whole text at once (never per line through the full analyzer):

1. **Prefilter** — one RE2 alternation of every recognizer rule. A text it does not match has
   nothing any rule could report and is returned as is (the common case for clean log lines).
2. **Rules** — each recognizer's RE2 rules scan the text once; candidates go through the checksum /
   shape validators (python-stdnum, Luhn, phonenumbers, ipaddress…) → results in Presidio's ``RecognizerResult`` shape.
3. **Bounded NER** — spaCy PERSON only on windows after a name cue (see
   :mod:`.recognizers.person`), not over every line. spaCy is imported and its model loaded on the
   first text that has such a window (once per process, under a lock), never at import or
   construction: a redactor over clean text or structured data never pays for it.
4. **Overlaps** resolved by recognizer priority; results under the score threshold dropped.
5. **Replacement** — each finding replaced by its vault token in one pass (new tokens of one call
   written to the vault together); every character outside a finding (so every line without one) is
   copied unchanged. ``Redactor.anonymizer`` is Presidio's ``AnonymizerEngine`` with the same vault
   operator registered, for callers holding their own analyzer results.

``Redactor.analyzer`` is the equivalent plain ``AnalyzerEngine`` (same recognizers in its registry),
for callers that want Presidio's own analysis flow; it is built on first access.
"""

from __future__ import annotations

import logging
from threading import Lock
from typing import Any

import re2

from .models import Finding
from .nlp import installed_spacy_model
from .overlaps import resolve_overlaps
from .recognizers import ContextualNer, RegexRecognizer, cue_regions, default_recognizers
from .recognizers.base import Result, ScanText
from .settings import RedactionSettings
from .structured import plain_leaves, redact_structure
from .vault import Vault

logger = logging.getLogger(__name__)
_WARNING = (
    "spaCy model en_core_web_sm is not installed (pip install 'referent[nlp]'): redaction runs "
    "patterns-only, person names are found by keys, cues and the gazetteer only"
)


def _prefilter(recognizers: list[RegexRecognizer]) -> Any:
    parts = [rule.regex.replace("(?P<value>", "(") for rec in recognizers for rule in rec.RULES]
    options = re2.Options()
    options.max_mem = 256 << 20
    return re2.compile("|".join(f"(?:{part})" for part in parts).encode(), options)


class Redactor:
    """Finds and pseudonymises sensitive values in text and JSON-like data."""

    def __init__(self, settings: RedactionSettings, vault: Vault | None = None) -> None:
        self.settings = settings
        self.vault = vault if vault is not None else Vault(settings.pseudonym_key)
        self.recognizers = default_recognizers()
        self._priority = {rec.ENTITY: rec.PRIORITY for rec in self.recognizers}
        self._prefilter = _prefilter(self.recognizers)
        self._model = installed_spacy_model() if settings.nlp else None
        if settings.nlp and self._model is None:
            logger.warning(_WARNING)  # once per redactor (one per process in practice), never per text
        self._lock = Lock()
        self._ner: ContextualNer | None = None
        self._analyzer: Any = None
        self._anonymizer: Any = None

    @property
    def ner(self) -> ContextualNer | None:
        """The cue-bounded spaCy NER (loaded on first use), or None when NLP is off or no model is installed."""
        if self._model is None:
            return None
        if self._ner is None:
            with self._lock:
                if self._ner is None:
                    from .nlp import load_spacy

                    self._ner = ContextualNer(load_spacy(self._model))
        return self._ner

    @property
    def analyzer(self) -> Any:
        """Presidio ``AnalyzerEngine`` with the same recognizers (built on first access)."""
        if self._analyzer is None:
            with self._lock:
                if self._analyzer is None:
                    from .engine import build_analyzer

                    self._analyzer = build_analyzer(
                        self.recognizers, self._model, self.settings.score_threshold
                    )
        return self._analyzer

    @property
    def anonymizer(self) -> Any:
        """Presidio ``AnonymizerEngine`` with the vault's ``pseudonymize`` operator (built on first access)."""
        if self._anonymizer is None:
            with self._lock:
                if self._anonymizer is None:
                    from .engine import build_anonymizer

                    self._anonymizer = build_anonymizer()
        return self._anonymizer

    def recognize(self, text: str) -> list[Result]:
        """Findings in ``text``: non-overlapping, sorted by start, above the threshold."""
        return self._recognize(ScanText(text))

    def _recognize(self, scan: ScanText) -> list[Result]:
        found: list[Result] = []
        if self._prefilter.search(scan.data) is not None:
            for recognizer in self.recognizers:
                found.extend(recognizer.scan(scan))
        if self._model is not None:
            names = [(r.start, r.end) for r in found if r.entity_type == "PERSON"]
            regions = cue_regions(scan, skip=names)
            if regions:
                ner = self.ner
                assert ner is not None
                found.extend(ner.find(scan.text, regions))
        threshold = self.settings.score_threshold
        return resolve_overlaps((r for r in found if r.score >= threshold), self._priority_of)

    def analyze(self, text: str) -> list[Finding]:
        """Where the sensitive values of ``text`` are (entity type, offsets, score; never the values)."""
        return [
            Finding(entity_type=r.entity_type, start=r.start, end=r.end, score=r.score)
            for r in self.recognize(text)
        ]

    def redact_text(self, text: str, scope: str = "default") -> str:
        """``text`` with every sensitive value replaced by its token in ``scope`` (``<BR_CPF_1>``)."""
        return self.redact_lines(text, scope)

    def redact_lines(self, text: str, scope: str = "default") -> str:
        """Redact a large text in one pass; lines without findings come out unchanged.

        Args:
            text: Any text, e.g. a whole tool output or log file.
            scope: Pseudonym scope (an incident, a run): same value in the same scope → same token.
        """
        scan = ScanText(text)
        results = self._recognize(scan)
        return self.replace(text, scan.text, results, scope) if results else text

    def replace(self, text: str, clean: str, results: list[Result], scope: str) -> str:
        """Replace non-overlapping ``results`` by their vault tokens in one pass.

        Characters outside the findings are copied from ``text``; the values given to the vault come
        from ``clean`` (the same text with undecodable bytes as U+FFFD, same offsets). The vault
        stores every new value of the call in one write.
        """
        items = [(r.entity_type, clean[r.start : r.end]) for r in results]
        tokens = self.vault.pseudonyms(scope, items)
        pieces: list[str] = []
        position = 0
        for result, token in zip(results, tokens, strict=True):
            pieces.append(text[position : result.start])
            pieces.append(token)
            position = result.end
        pieces.append(text[position:])
        return "".join(pieces)

    def redact_obj(self, obj: Any, scope: str = "default") -> Any:
        """JSON-like data with every sensitive value pseudonymised (values under sensitive keys always).

        Each dict or list is first checked whole (one scan of all its leaves, no sensitive key in
        it); a clean one is returned as it is, not copied, so a clean tool output costs one scan and
        a dirty one is rebuilt only down to the records that hold something. ``obj`` is never modified.
        """

        def text(value: str) -> str:
            return self.redact_lines(value, scope)

        def pseudonym(entity_type: str, value: str) -> str:
            return self.vault.pseudonym(scope, entity_type, value)

        return redact_structure(obj, text, pseudonym, self._clean)

    def _clean(self, obj: Any) -> bool:
        leaves = plain_leaves(obj)
        return leaves is not None and self._nothing_in("\n".join(leaves))

    def _nothing_in(self, text: str) -> bool:
        """True when nothing in ``text`` can be a finding (prefilter and NER cues)."""
        scan = ScanText(text)
        if self._prefilter.search(scan.data) is not None:
            return False
        return self._model is None or not cue_regions(scan)

    def _priority_of(self, entity_type: str) -> int:
        return self._priority.get(entity_type, 30)
