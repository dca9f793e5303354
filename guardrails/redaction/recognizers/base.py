"""The base of every Referent recognizer: regex rules scanned with RE2, results in Presidio's shape.

A recognizer declares :class:`Rule` s (an RE2-compatible regex, a base score, whether a context word
must precede the match) and, where the identifier has one, a checksum in :meth:`validate_result`.
A rule may name a group ``value``: only that group is reported (``password=<value>``), the rest of
the match is the key that makes the value sensitive.

The same :meth:`RegexRecognizer.scan` serves both paths: the redactor's fast path calls it on the
rules its prefilter let through, and Presidio's ``AnalyzerEngine`` calls it through the adapter
:mod:`..engine` builds on demand (``PatternRecognizer`` subclass per recognizer). Nothing here
imports Presidio or spaCy: importing the redaction package and building a redactor stay cheap.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import re2

MAX_SCORE = 1.0
PLACEHOLDERS = frozenset(
    {"", "null", "none", "nil", "true", "false", "undefined", "redacted", "[redacted]", "<redacted>", "xxx"}
)


@dataclass
class Result:
    """One finding, with the attribute names of Presidio's ``RecognizerResult`` (offsets in characters)."""

    entity_type: str
    start: int
    end: int
    score: float
    recognition_metadata: dict[str, Any] = field(default_factory=dict)

    RECOGNIZER_NAME_KEY: ClassVar[str] = "recognizer_name"
    RECOGNIZER_IDENTIFIER_KEY: ClassVar[str] = "recognizer_identifier"


@dataclass(frozen=True)
class Rule:
    """One detection pattern of a recognizer.

    Attributes:
        name: Short name shown in Presidio's explanation.
        regex: RE2 syntax (no look-around, no back-references); ``(?P<value>...)`` narrows the span.
        score: Score when the match is not validated by a checksum (validated matches score 1.0).
        needs_context: When true, a context word of the recognizer must occur shortly before the match.
        hints: Lower-case literals of which at least one occurs in any match (or, for rules that need
            context, in the text): when none occurs in the text the rule is not run at all.
    """

    name: str
    regex: str
    score: float
    needs_context: bool = False
    hints: tuple[str, ...] = ()


def _re2(pattern: str) -> re2._Regexp:
    options = re2.Options()
    options.max_mem = 64 << 20
    return re2.compile(pattern.encode(), options)  # bytes: byte offsets, mapped back by ScanText


class ScanText:
    """A text prepared for RE2: UTF-8 bytes once, their lower-case copy, and byte → character offsets.

    RE2 works on UTF-8; encoding the text once (instead of once per rule) and mapping offsets back
    with a table of the non-ASCII characters keeps scans linear and cheap.
    """

    __slots__ = ("_byte_ends", "_extra", "data", "lowered", "text")

    def __init__(self, text: str) -> None:
        self.text = _encodable(text)
        self.data = self.text.encode("utf-8")
        self.lowered = self.data.lower()
        self._byte_ends: list[int] = []  # byte offset just after each multi-byte character
        self._extra: list[int] = []  # bytes beyond one per character, up to and including it
        if len(self.data) != len(self.text):
            extra = 0
            for match in _NON_ASCII.finditer(self.text):
                extra += len(match.group().encode("utf-8")) - 1
                self._byte_ends.append(match.end() + extra)
                self._extra.append(extra)

    def char_offset(self, byte_offset: int) -> int:
        """Character offset of a byte offset that falls on a character boundary."""
        if not self._byte_ends:
            return byte_offset
        index = bisect_right(self._byte_ends, byte_offset)
        return byte_offset - (self._extra[index - 1] if index else 0)

    def contains(self, hints: Sequence[str]) -> bool:
        """True when any of the lower-case ``hints`` occurs in the text (or no hints are given)."""
        return not hints or any(hint.encode() in self.lowered for hint in hints)


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _encodable(text: str) -> str:
    """``text`` with lone surrogates (undecodable input bytes) replaced 1:1 by U+FFFD."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)
    return text


def is_placeholder(value: str) -> bool:
    """True for values that are already masked or empty (``***``, ``<redacted>``, ``${VAR}``)."""
    low = value.strip().strip("\"'").lower()
    return low in PLACEHOLDERS or set(low) <= {"*", "x", "#", "."} or low.startswith(("${", "{{", "<"))


class RegexRecognizer:
    """Regex rules run through RE2, reporting an optional ``value`` group (Presidio-compatible results).

    Subclasses set ``ENTITY``, ``RULES`` and optionally ``CONTEXT`` and ``PRIORITY`` (which wins when
    two findings overlap), and override :meth:`validate_result` (``True`` valid, ``False`` reject,
    ``None`` unknown) or :meth:`accept` (to trim a candidate).
    """

    ENTITY: ClassVar[str]
    RULES: ClassVar[Sequence[Rule]]
    CONTEXT: ClassVar[Sequence[str]] = ()
    CONTEXT_WINDOW: ClassVar[int] = 48
    PRIORITY: ClassVar[int] = 50

    def __init__(self) -> None:
        self.name = type(self).__name__
        self.id = f"{self.name}_{id(self)}"
        self.compiled = [_re2(rule.regex) for rule in self.RULES]
        self._value_group = [regex.groupindex.get(b"value", 0) for regex in self.compiled]

    def validate_result(self, pattern_text: str) -> bool | None:
        """Checksum or shape check of a candidate; the default knows nothing (``None``)."""
        return None

    def accept(self, text: str, start: int, end: int, rule: Rule) -> tuple[int, int, float] | None:
        """Decide on one candidate span; return the (possibly narrowed) span and its score, or None."""
        verdict = self.validate_result(text[start:end])
        if verdict is False:
            return None
        return start, end, MAX_SCORE if verdict else rule.score

    def has_context(self, text: str, start: int) -> bool:
        """True when a context word occurs within ``CONTEXT_WINDOW`` characters before ``start``."""
        window = text[max(0, start - self.CONTEXT_WINDOW) : start].lower()
        return any(word in window for word in self.CONTEXT)

    def analyze(self, text: str) -> list[Result]:
        """Scan ``text`` with every rule."""
        return self.scan(ScanText(text))

    def scan(self, source: ScanText, rule_ids: Iterable[int] | None = None) -> list[Result]:
        """Run the given rules (all by default) over the text in one RE2 pass each.

        Rules whose hints do not occur in the text are skipped without scanning.

        Args:
            source: The whole text, prepared once for every recognizer; offsets index into it.
            rule_ids: Indices into ``RULES`` to run.

        Returns:
            Results whose score is 1.0 when a checksum validated the value.
        """
        results: list[Result] = []
        text, offset = source.text, source.char_offset
        for index in range(len(self.RULES)) if rule_ids is None else rule_ids:
            rule = self.RULES[index]
            if not source.contains(rule.hints or (self.CONTEXT if rule.needs_context else ())):
                continue
            for match in self.compiled[index].finditer(source.data):
                byte_start, byte_end = match.span(self._value_group[index])
                if byte_start < 0 or byte_start == byte_end:
                    continue
                start = offset(byte_start)
                if rule.needs_context and not self.has_context(text, offset(match.start())):
                    continue
                accepted = self.accept(text, start, offset(byte_end), rule)
                if accepted is not None:
                    results.append(self._result(*accepted, rule))
        return results

    def _result(self, start: int, end: int, score: float, rule: Rule) -> Result:
        return Result(
            entity_type=self.ENTITY,
            start=start,
            end=end,
            score=min(MAX_SCORE, score),
            recognition_metadata={
                Result.RECOGNIZER_NAME_KEY: self.name,
                Result.RECOGNIZER_IDENTIFIER_KEY: self.id,
                "rule": rule.name,
            },
        )


def compact(value: str) -> str:
    """Drop the separators people put in identifiers (spaces, dots, dashes, slashes) and uppercase."""
    return "".join(ch for ch in value if ch.isalnum()).upper()


def trim_groups(
    text: str, start: int, end: int, valid: Callable[[str], bool], min_len: int, separators: str = " .-"
) -> int | None:
    """Longest end ≤ ``end`` at a separator boundary for which ``valid(text[start:new_end])`` holds.

    Used where a greedy pattern can swallow a trailing number (``+55 11 98765-4321 200``).
    """
    candidate = end
    while candidate - start >= min_len:
        if valid(text[start:candidate]):
            return candidate
        cut = max(text.rfind(sep, start, candidate) for sep in separators)
        if cut <= start:
            return None
        candidate = cut
    return None


__all__ = [
    "MAX_SCORE",
    "RegexRecognizer",
    "Result",
    "Rule",
    "ScanText",
    "compact",
    "is_placeholder",
    "trim_groups",
]
