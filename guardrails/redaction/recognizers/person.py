"""Person names: keyed values, names after a cue, gazetteer names, and spaCy NER bounded to cues.

Every detector takes its cue words from :mod:`..cues` (one list) and its known names from
:mod:`..gazetteer`:

* :class:`KeyedNameRecognizer` — ``cardholder="Maria da Silva"``, ``'holder': 'Ana Gómez'``,
  ``"customer": "João Pereira"`` (name keys: any name-looking value; soft keys such as ``customer``
  or ``owner``: only when the value holds a known given name or surname).
* :class:`CuedNameRecognizer` — ``escalated by Ana Gómez``, ``cliente Juan Pérez``,
  ``responsável: Maria Souza``, ``Sr. Ortega``: capitalised words after a cue that hold a known name.
* :class:`GazetteerNameRecognizer` — two or more capitalised words reading as a full name
  (a known given name followed by known names: ``Lucía Fernanda Rincón``) anywhere.
* :class:`ContextualNer` — spaCy PERSON on windows around a cue only (never over every line), for
  names the gazetteer does not know. spaCy is imported by whoever builds it (see ``Redactor.ner``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import re2

from ..cues import NAME_KEYS, PARTICLES, SOFT_NAME_KEYS, TEXT_CUES, normalise_key
from ..gazetteer import gazetteer
from .base import RegexRecognizer, Result, Rule, ScanText, is_placeholder

_WORD = r"\p{Lu}[\p{L}'’-]*\.?"
_PARTICLE = r"(?:" + "|".join(sorted(PARTICLES)) + r")"
_NAME_VALUE = _WORD + r"(?:[ ]{1,2}(?:" + _PARTICLE + r"[ ]){0,2}" + _WORD + r"){0,5}"
_NAME_WORD = re.compile(r"^[^\W\d_][\w'’.-]*$")


def key_before(text: str, start: int) -> str | None:
    """The normalised name key right before a value at ``start`` (``"card_holder": "`` → ``cardholder``).

    The last one to three words before the ``:``/``=`` are tried, so ``escalated by: Ana`` gives
    ``escalatedby``; None when no name key (:data:`NAME_KEYS`, :data:`SOFT_NAME_KEYS`) is there.
    """
    head = _KEY_TAIL.search(text[max(0, start - 48) : start])
    if head is None:
        return None
    words = re.split(r"[\s_-]+", head.group(1).strip())
    for size in (1, 2, 3):
        key = normalise_key("".join(words[-size:]))
        if key in NAME_KEYS or key in SOFT_NAME_KEYS:
            return key
    return None


_KEY_TAIL = re.compile(r"([A-Za-z][\w -]{0,40}?)[\"']?\s*[:=]\s*[\"']?$")


def _cue_pattern() -> str:
    phrases = sorted(set(TEXT_CUES), key=len, reverse=True)
    return "|".join(re2.escape(phrase).replace(r"\ ", r"\s+") for phrase in phrases)


_CUE = _cue_pattern()
NAME_CUES = re2.compile((r"(?i)(?:^|[^\w])(?:" + _CUE + r")(?:[\s:=,\"']|$)").encode())
_CAPITALISED = re.compile(r"[A-ZÀ-Þ][a-zß-ÿ]")
_CUE_WORDS = frozenset(word for cue in TEXT_CUES for word in cue.lower().rstrip(".").split())


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


def trim_end(text: str, start: int, end: int) -> int:
    """``end`` moved back over trailing quotes, dashes and a final period (kept after an initial: ``J.``)."""
    while end > start and text[end - 1] in "'’-\"":
        end -= 1
    if end - start > 2 and text[end - 1] == "." and not text[end - 3].isspace():
        end -= 1
    return end


def known_name_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """``text[start:end]`` up to its first sentence break, when it holds a known given name or surname.

    ``Ana Gómez. Fraud`` → ``Ana Gómez``; ``Premium Tier`` (no known name) → None. Unknown words
    beside known ones stay in the span (``Javier Cabán``): after a cue, capitalised words are the name.
    """
    end = trim_end(text, start, end)
    words = [(m.start() + start, m.end() + start, m.group()) for m in re.finditer(r"\S+", text[start:end])]
    for index, (_, _, word) in enumerate(words):
        if word[-1] in ",;:" or (
            word.endswith(".") and len(word.strip(".")) > 1 and word.lower().rstrip(".") not in _CUE_WORDS
        ):
            words = words[: index + 1]
            break
    known = gazetteer()
    if not any(known.is_name(w.strip(".,;:'’")) for _, _, w in words):
        return None
    return words[0][0], trim_end(text, words[0][0], words[-1][1] - (1 if words[-1][2][-1] in ",;:" else 0))


class KeyedNameRecognizer(RegexRecognizer):
    """The value after a name key (``cardholder=``, ``"name":``, ``'holder':``, ``customer:``…)."""

    ENTITY = "PERSON"
    PRIORITY = 30
    RULES = (
        Rule(
            "name key",
            r"(?:^|[^\w])[\"']?[A-Za-z][\w -]{0,40}?[\"']?\s*[:=]\s*[\"']?(?P<value>" + _NAME_VALUE + ")",
            0.85,
        ),
    )

    def accept(self, text: str, start: int, end: int, rule: Rule) -> tuple[int, int, float] | None:
        """A name-key value that looks like a name; a soft-key value only up to its last known name."""
        key = key_before(text, start)
        end = trim_end(text, start, end)
        if key is None or not looks_like_name(text[start:end]):
            return None
        if key in NAME_KEYS:
            return start, end, rule.score
        span = known_name_span(text, start, end)
        return None if span is None else (*span, rule.score)


class CuedNameRecognizer(RegexRecognizer):
    """Capitalised words right after a name cue that hold a known given name or surname."""

    ENTITY = "PERSON"
    PRIORITY = 30
    RULES = (
        Rule(
            "name after cue",
            r"(?i:(?:^|[^\w])(?:" + _CUE + r"))[\s:=,\"']{1,3}(?P<value>" + _NAME_VALUE + ")",
            0.8,
        ),
    )

    def accept(self, text: str, start: int, end: int, rule: Rule) -> tuple[int, int, float] | None:
        """Trim to the last known name; nothing when no word is a known name."""
        end = trim_end(text, start, end)
        if not looks_like_name(text[start:end]):
            return None
        span = known_name_span(text, start, end)
        return None if span is None else (*span, rule.score)


class GazetteerNameRecognizer(RegexRecognizer):
    """Two to six capitalised words starting with a known given name followed by known names."""

    ENTITY = "PERSON"
    PRIORITY = 30
    RULES = (
        Rule(
            "gazetteer name",
            r"(?:^|[^\p{L}\d_])(?P<value>\p{Lu}[\p{Ll}'’]+(?:[ ](?:"
            + _PARTICLE
            + r"[ ]){0,2}\p{Lu}[\p{Ll}'’]+){1,5})",
            0.7,
        ),
    )

    def accept(self, text: str, start: int, end: int, rule: Rule) -> tuple[int, int, float] | None:
        """The first run of words that reads as a full name (see :meth:`Gazetteer.name_run`)."""
        spans = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
        run = gazetteer().name_run([text[s:e] for s, e in spans])
        return None if run is None else (spans[run[0]][0], spans[run[1] - 1][1], rule.score)


class ContextualNer:
    """spaCy NER (through Presidio's ``SpacyRecognizer``) run only on windows around a name cue."""

    def __init__(self, nlp: Any, before: int = 24, after: int = 48) -> None:
        """Args: nlp: a loaded spaCy ``Language`` with an ``ner`` pipe; before/after: window size."""
        from presidio_analyzer.predefined_recognizers import SpacyRecognizer

        self.nlp = nlp
        self.recognizer = SpacyRecognizer(supported_entities=["PERSON"])
        self.before = before
        self.after = after

    def find(self, text: str, regions: Sequence[tuple[int, int]]) -> list[Result]:
        """PERSON results (offsets into ``text``) found by NER inside ``regions``.

        The spaCy pipeline runs on the windows in batches; its PERSON entities become results named
        like Presidio's ``SpacyRecognizer`` (same name, id and score as on Presidio's path).
        """
        if not regions:
            return []
        pieces = [text[start:end] for start, end in regions]
        metadata = {
            Result.RECOGNIZER_NAME_KEY: getattr(self.recognizer, "name", "SpacyRecognizer"),
            Result.RECOGNIZER_IDENTIFIER_KEY: self.recognizer.id,
        }
        results: list[Result] = []
        for (start, _), piece, doc in zip(
            regions, pieces, self.nlp.pipe(pieces, batch_size=256), strict=True
        ):
            for ent in doc.ents:
                if ent.label_ not in ("PERSON", "PER"):
                    continue
                trimmed = _strip_cue(piece, ent.start_char, ent.end_char)
                if trimmed is not None and looks_like_name(piece[trimmed[0] : trimmed[1]]):
                    span = (start + trimmed[0], start + trimmed[1])
                    score = self.recognizer.ner_strength
                    results.append(Result("PERSON", *span, score, recognition_metadata=dict(metadata)))
        return results


def cue_regions(
    source: ScanText, skip: Sequence[tuple[int, int]] = (), before: int = 24, after: int = 48
) -> list[tuple[int, int]]:
    """Windows around each name cue (clipped to its line) that NER should read, merged.

    A window is dropped when no capitalised word follows the cue in it, or when it already holds a
    ``skip`` span (a name found without NER). Needs no spaCy: a redactor decides from this whether
    NER (and so spaCy) is needed at all.
    """
    text = source.text
    spans: list[tuple[int, int]] = []
    for match in NAME_CUES.finditer(source.data):
        cue_start, cue_end = source.char_offset(match.start()), source.char_offset(match.end())
        line_start = text.rfind("\n", 0, cue_start) + 1
        line_end = text.find("\n", cue_end)
        line_end = len(text) if line_end < 0 else line_end
        start, end = max(line_start, cue_start - before), min(line_end, cue_end + after)
        if not _CAPITALISED.search(text, cue_end, end):
            continue  # no capitalised word after the cue: nothing for NER to find there
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return [span for span in spans if not any(span[0] <= s < span[1] for s, _ in skip)]


def _strip_cue(piece: str, start: int, end: int) -> tuple[int, int] | None:
    """Drop a leading cue word NER glued to the name (``Customer Ana Gomez`` → ``Ana Gomez``)."""
    words = piece[start:end].split(" ")
    while words and words[0].lower().strip(".:") in _CUE_WORDS:
        start += len(words.pop(0)) + 1
    return (start, end) if words and start < end else None
