"""Person names: values of name-like keys (regex) and spaCy NER bounded to lines with a name cue.

Running NER over every log line is what makes plain Presidio slow, and log lines are mostly
identifiers a tagger mislabels. NER therefore only runs on a window around a *name cue* — a key or
word that announces a person (``cardholder``, ``titular``, ``beneficiario``, ``customer``, ``Sr.``…) —
and only where a capitalised word follows the cue and the keyed recognizer below has not already
found the name there. A NER span is kept only
if it looks like a name: capitalised alphabetic words (particles such as ``da``/``de`` allowed).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import re2
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import SpacyRecognizer

from .base import RegexRecognizer, Rule, ScanText, is_placeholder

PARTICLES = frozenset(
    {"da", "de", "do", "dos", "das", "del", "della", "la", "las", "los", "y", "e", "van", "von", "di"}
)
_NAME_KEYS = (
    r"cardholder(?:_?name)?|card_?holder(?:_?name)?|holder_?name|account_?holder|name|full_?name|"
    r"first_?name|last_?name|customer_?name|client_?name|payer_?name|payee_?name|contact_?name|"
    r"beneficiary(?:_?name)?|benefici[aá]ri[oa]|titular|nome(?:_titular)?|nombre(?:_titular)?"
)
_NAME_VALUE = (
    r"\p{Lu}[\p{L}'’-]*\.?(?:[ ](?:(?:da|de|do|dos|das|del|la|y|e|van|von|di)[ ])?\p{Lu}[\p{L}'’-]*\.?){0,5}"
)
NAME_CUES = re2.compile(
    rb"(?i)\b(?:cardholder|card holder|titular|beneficiar(?:y|io|ia)|holder|customer|cliente|payer|payee|"
    rb"disputed by|opened by|sr\.|sra\.|mr\.|mrs\.|ms\.|dr\.|dra\.)(?:\s|$)"
)
_CAPITALISED = re.compile(r"[A-ZÀ-Þ][a-zß-ÿ]")
_CUE_WORDS = frozenset(
    {"cardholder", "titular", "beneficiary", "beneficiario", "beneficiaria", "holder", "customer", "cliente",
     "client", "contact", "payer", "payee", "owner", "sr", "sra", "mr", "mrs", "ms", "dr", "dra"}
)  # fmt: skip


def looks_like_name(value: str) -> bool:
    """Capitalised alphabetic words (particles allowed), at least one of two letters or more."""
    words = value.split()
    if not words or is_placeholder(value):
        return False
    for word in words:
        if word.lower() in PARTICLES:
            continue
        letters = word.strip(".'’-")
        if not letters or not letters[0].isupper() or not all(ch.isalpha() or ch in "'’-." for ch in letters):
            return False
    return any(len(word.strip(".")) > 1 for word in words)


class KeyedNameRecognizer(RegexRecognizer):
    """The value after ``cardholder=``, ``"name":``, ``beneficiary=``, ``titular:``… when it looks like a name."""

    ENTITY = "PERSON"
    PRIORITY = 30
    RULES = (
        Rule(
            "name key",
            r"(?i:\b(?:" + _NAME_KEYS + r")[\"']?\s*[:=]\s*)[\"']?(?P<value>" + _NAME_VALUE + ")",
            0.85,
            hints=("name", "holder", "benefici", "titular", "nome", "nombre"),
        ),
    )

    def validate_result(self, pattern_text: str) -> bool:
        """Capitalised alphabetic words only (``"name": "fraud-xgb"`` is a model, not a person)."""
        return looks_like_name(pattern_text)


class ContextualNer:
    """spaCy NER (through Presidio's ``SpacyRecognizer``) run only on windows around a name cue."""

    def __init__(self, nlp_engine: SpacyNlpEngine, before: int = 24, after: int = 48) -> None:
        self.nlp_engine = nlp_engine
        self.recognizer = SpacyRecognizer(supported_entities=["PERSON"])
        self.before = before
        self.after = after

    def regions(self, source: ScanText, skip: Sequence[tuple[int, int]] = ()) -> list[tuple[int, int]]:
        """Windows around each name cue (clipped to its line), merged, minus those holding a ``skip`` span."""
        text = source.text
        spans: list[tuple[int, int]] = []
        for match in NAME_CUES.finditer(source.data):
            cue_start, cue_end = source.char_offset(match.start()), source.char_offset(match.end())
            line_start = text.rfind("\n", 0, cue_start) + 1
            line_end = text.find("\n", cue_end)
            line_end = len(text) if line_end < 0 else line_end
            start, end = max(line_start, cue_start - self.before), min(line_end, cue_end + self.after)
            if not _CAPITALISED.search(text, cue_end, end):
                continue  # no capitalised word after the cue: nothing for NER to find there
            if spans and start <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
            else:
                spans.append((start, end))
        return [span for span in spans if not any(span[0] <= s < span[1] for s, _ in skip)]

    def find(self, text: str, regions: Sequence[tuple[int, int]]) -> list[RecognizerResult]:
        """PERSON results (offsets into ``text``) found by NER inside ``regions``.

        The spaCy pipeline of the NLP engine runs on the windows in batches; its PERSON entities become
        results of the engine's ``SpacyRecognizer`` (same name, id and score as on Presidio's path).
        """
        if not regions:
            return []
        pieces = [text[start:end] for start, end in regions]
        metadata = {
            RecognizerResult.RECOGNIZER_NAME_KEY: getattr(self.recognizer, "name", "SpacyRecognizer"),
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.recognizer.id,
        }
        results: list[RecognizerResult] = []
        docs = self.nlp_engine.get_nlp("en").pipe(pieces, batch_size=256)
        for (start, _), piece, doc in zip(regions, pieces, docs, strict=True):
            for ent in doc.ents:
                if ent.label_ != "PERSON":
                    continue
                trimmed = _strip_cue(piece, ent.start_char, ent.end_char)
                if trimmed is not None and looks_like_name(piece[trimmed[0] : trimmed[1]]):
                    score = self.recognizer.ner_strength
                    span = (start + trimmed[0], start + trimmed[1])
                    results.append(
                        RecognizerResult("PERSON", *span, score, recognition_metadata=dict(metadata))
                    )
        return results


def _strip_cue(piece: str, start: int, end: int) -> tuple[int, int] | None:
    """Drop a leading cue word NER glued to the name (``Customer Ana Gomez`` → ``Ana Gomez``)."""
    words = piece[start:end].split(" ")
    while words and words[0].lower().strip(".:") in _CUE_WORDS:
        start += len(words.pop(0)) + 1
    return (start, end) if words and start < end else None
