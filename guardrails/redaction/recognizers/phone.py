"""Phone numbers: international anywhere, distinctive LatAm mobile shapes anywhere, the rest with a cue.

Every candidate is checked with ``phonenumbers`` (``is_valid_number``) for BR, MX, AR, CO, CL, PE and
UY (and US for international numbers), so dates, latencies, status codes, order numbers, versions and
timestamps never qualify; a greedy match is trimmed back to the longest valid prefix. Shapes:

* international: ``+55 11 98765-4321``, ``+5511987654321``, ``+52 1 55 1234 5678`` (the old Mexican
  mobile ``1`` is dropped before validation), ``(+57) 310 123 4567``;
* without a cue (mobile shapes no metric has): ``(11) 98765-4321``, ``11 98765-4321`` (BR),
  ``11 15-2345-6789`` (AR);
* after a phone cue (``tel``, ``cel``, ``whatsapp``, ``llamar``, ``ligar``…): national numbers of any
  of the regions, ``15-2345-6789`` (AR local mobile, validated as Buenos Aires), ``9 8765 4321`` (CL).
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

from .base import RegexRecognizer, Rule, trim_groups

REGIONS = ("BR", "MX", "AR", "CO", "CL", "PE", "UY")
_INTERNATIONAL = "phone international"
_AR_LOCAL = "phone AR local mobile"
_SEP = r"[ .-]?"


# regions whose national numbers (with trunk prefixes such as 0 or AR's 15) have this many digits
_REGIONS_BY_DIGITS: dict[int, tuple[str, ...]] = {
    7: ("CO",), 8: ("PE", "UY", "CL"), 9: ("CL", "PE", "UY"), 10: ("BR", "MX", "AR", "CO"),
    11: ("BR", "AR", "CO"), 12: ("AR", "MX", "BR"), 13: ("AR", "MX"),
}  # fmt: skip


@lru_cache(maxsize=65536)
def _valid(candidate: str, regions: tuple[str | None, ...]) -> bool:
    if regions == REGIONS:
        regions = _REGIONS_BY_DIGITS.get(sum(ch.isdigit() for ch in candidate), REGIONS)
    for region in regions:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return True
    return False


def _valid_international(candidate: str) -> bool:
    if _valid(candidate, (None,)):
        return True
    digits = "".join(ch for ch in candidate if ch.isdigit())
    return digits.startswith("521") and len(digits) == 13 and _valid("+52" + digits[3:], (None,))


class PhoneNumberRecognizer(RegexRecognizer):
    """Phone numbers valid for their country (international) or for a LatAm region (national)."""

    ENTITY = "PHONE_NUMBER"
    PRIORITY = 45
    CONTEXT = (
        "phone", "tel", "fone", "celular", "cel", "movil", "móvil", "mobile", "whatsapp", "whats", "wpp",
        "zap", "contato", "contacto", "contact", "msisdn", "telefono", "teléfono", "telefone", "ligar",
        "liga ", "llamar", "llame", "llamá", "número", "numero", "call", "sms",
    )  # fmt: skip
    RULES = (
        Rule(
            _INTERNATIONAL,
            r"(?:^|[^\w+])(?P<value>\(?\+\d{1,3}\)?(?:[ .-]?\(?\d{1,4}\)?)(?:[ .-]?\d{2,5}){1,4})\b",
            0.5,
            hints=("+",),
        ),
        Rule("phone area in parens", r"(?P<value>\(\d{2,3}\) ?9?\d{4}[ -]?\d{4})\b", 0.4, hints=("(",)),
        Rule("phone BR mobile", r"(?:^|[^\w.:/-])(?P<value>\d{2} 9\d{4}-\d{4})\b", 0.4, hints=("-",)),
        Rule(
            "phone AR mobile", r"(?:^|[^\w.:/-])(?P<value>0?\d{2,4} 15-\d{3,4}-\d{4})\b", 0.4, hints=("15-",)
        ),
        Rule(_AR_LOCAL, r"\b(?P<value>15[ -]\d{4}[ -]\d{4})\b", 0.3, needs_context=True),
        Rule(
            "phone national",
            r"(?:^|[^\w.:/-])(?P<value>(?:\(?0?\d{1,3}\)?"
            + _SEP
            + r")?(?:15"
            + _SEP
            + r")?\d{3,5}"
            + _SEP
            + r"\d{3,4}(?:"
            + _SEP
            + r"\d{2,4})?)\b",
            0.3,
            needs_context=True,
        ),
    )

    def accept(self, text: str, start: int, end: int, rule: Rule) -> tuple[int, int, float] | None:
        """Longest prefix that ``phonenumbers`` accepts as a valid number."""
        international = rule.name == _INTERNATIONAL
        if not international and "+" in text[max(0, start - 6) : start]:
            return None  # the tail of an international number, which the first rule handles

        def valid(candidate: str) -> bool:
            if international:
                return _valid_international(candidate)
            if rule.name == _AR_LOCAL:
                return _valid("11 " + candidate, ("AR",))
            return _valid(candidate, REGIONS)

        new_end = trim_groups(text, start, end, valid, min_len=8)
        return None if new_end is None else (start, new_end, 1.0)
