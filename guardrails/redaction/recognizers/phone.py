"""Phone numbers: international (``+55 11 98765-4321``) anywhere, national LatAm formats with a cue.

Every candidate is checked with ``phonenumbers`` (``is_valid_number``), so dates, latencies and
status codes never qualify; a greedy match is trimmed back to the longest valid prefix.
"""

from __future__ import annotations

import phonenumbers

from .base import RegexRecognizer, Rule, trim_groups

_REGIONS = ("BR", "MX", "AR", "CL", "CO", "PE", "UY", "US")
_INTERNATIONAL = "phone international"


def _valid(candidate: str, regions: tuple[str | None, ...]) -> bool:
    for region in regions:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return True
    return False


class PhoneNumberRecognizer(RegexRecognizer):
    """Phone numbers valid for their country (international) or for a LatAm region (national)."""

    ENTITY = "PHONE_NUMBER"
    PRIORITY = 45
    CONTEXT = (
        "phone", "tel", "fone", "celular", "cel", "movil", "móvil", "mobile", "whatsapp", "contato",
        "contacto", "contact", "msisdn", "telefono", "teléfono",
    )  # fmt: skip
    RULES = (
        Rule(
            _INTERNATIONAL,
            r"(?:^|[^\w+])(?P<value>\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?)(?:[ .-]?\d{2,5}){1,4})\b",
            0.5,
        ),
        Rule("phone area in parens", r"(?P<value>\(\d{2,3}\) ?9?\d{4}[ -]?\d{4})\b", 0.4),
        Rule("phone national", r"\b(?:0?\d{2,3}[ .-]?)?9?\d{4}[ .-]?\d{4}\b", 0.3, needs_context=True),
    )

    def accept(self, text: str, start: int, end: int, rule: Rule) -> tuple[int, int, float] | None:
        """Longest prefix that ``phonenumbers`` accepts as a valid number."""
        international = rule.name == _INTERNATIONAL
        if not international and "+" in text[max(0, start - 6) : start]:
            return None  # the tail of an international number, which the first rule handles
        regions: tuple[str | None, ...] = (None,) if international else _REGIONS

        def valid(candidate: str) -> bool:
            return _valid(candidate, regions)

        new_end = trim_groups(text, start, end, valid, min_len=8)
        return None if new_end is None else (start, new_end, 1.0)
