"""The redactor: a Presidio pipeline with a fast path for logs and tool outputs.

Fast path, over the whole text at once (never per line through the full analyzer):

1. **Prefilter** — one RE2 alternation of every recognizer rule. A text it does not match has
   nothing any rule could report and is returned as is (the common case for clean log lines).
2. **Rules** — each recognizer's RE2 rules scan the text once; candidates go through the checksum /
   shape validators (python-stdnum, Luhn, phonenumbers, ipaddress…) → Presidio ``RecognizerResult`` s.
3. **Bounded NER** — spaCy PERSON only on windows after a name cue (see
   :mod:`.recognizers.person`), not over every line.
4. **Overlaps** resolved by recognizer priority; results under the score threshold dropped.
5. **Replacement** — the vault-backed Presidio operator ``pseudonymize`` applied to each finding
   in one pass; every character outside a finding (so every line without one) is copied unchanged.
   ``Redactor.anonymizer`` is the same operator registered in Presidio's ``AnonymizerEngine``, for
   callers holding their own analyzer results.

``Redactor.analyzer`` is the equivalent plain ``AnalyzerEngine`` (same recognizers in its
registry), for callers that want Presidio's own analysis flow.
"""

from __future__ import annotations

from typing import Any

import re2
from presidio_analyzer import AnalyzerEngine, RecognizerResult
from presidio_analyzer.nlp_engine import SpacyNlpEngine
from presidio_anonymizer import AnonymizerEngine

from .engine import Pseudonymize, build_analyzer, build_anonymizer, build_nlp_engine
from .models import Finding
from .overlaps import resolve_overlaps
from .recognizers import ContextualNer, RegexRecognizer, default_recognizers
from .recognizers.base import ScanText
from .settings import RedactionSettings
from .structured import plain_leaves, redact_structure
from .vault import Vault


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
        nlp_engine, with_ner = build_nlp_engine(settings.nlp)
        self.ner = ContextualNer(nlp_engine) if isinstance(nlp_engine, SpacyNlpEngine) and with_ner else None
        self.analyzer: AnalyzerEngine = build_analyzer(
            self.recognizers, nlp_engine, with_ner, settings.score_threshold
        )
        self.anonymizer: AnonymizerEngine = build_anonymizer()
        self._operator = Pseudonymize()
        self._prefilter = _prefilter(self.recognizers)

    def recognize(self, text: str) -> list[RecognizerResult]:
        """Presidio results for ``text``: non-overlapping, sorted by start, above the threshold."""
        return self._recognize(ScanText(text))

    def _recognize(self, scan: ScanText) -> list[RecognizerResult]:
        found: list[RecognizerResult] = []
        if self._prefilter.search(scan.data) is not None:
            for recognizer in self.recognizers:
                found.extend(recognizer.scan(scan))
        if self.ner is not None:
            names = [(r.start, r.end) for r in found if r.entity_type == "PERSON"]
            found.extend(self.ner.find(scan.text, self.ner.regions(scan, skip=names)))
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

    def replace(self, text: str, clean: str, results: list[RecognizerResult], scope: str) -> str:
        """Apply Presidio's ``pseudonymize`` operator to non-overlapping ``results`` in one pass.

        Characters outside the findings are copied from ``text``; the values handed to the operator
        come from ``clean`` (the same text with undecodable bytes as U+FFFD, same offsets).
        """
        params: dict[str, Any] = {"vault": self.vault, "scope": scope}
        pieces: list[str] = []
        position = 0
        for result in results:
            pieces.append(text[position : result.start])
            params["entity_type"] = result.entity_type
            pieces.append(self._operator.operate(clean[result.start : result.end], params))
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
        return self.ner is None or not self.ner.regions(scan)

    def _priority_of(self, entity_type: str) -> int:
        return self._priority.get(entity_type, 30)
