"""Payment card numbers (PAN): Visa, Mastercard, Amex, Elo and Hipercard; bare, spaced or dashed; Luhn-checked.

A 16-digit order number that fails Luhn, or whose prefix is no card brand's, is left alone.
"""

from __future__ import annotations

from stdnum import luhn

from .base import RegexRecognizer, Rule, compact

# Elo BIN ranges (6 digits, inclusive) that do not start with a Visa "4".
_ELO_RANGES = (
    (504175, 504175), (506699, 506778), (509000, 509999), (627780, 627780), (636297, 636297),
    (636368, 636368), (650031, 650033), (650035, 650051), (650405, 650439), (650485, 650538),
    (650541, 650598), (650700, 650718), (650720, 650727), (650901, 650978), (651652, 651679),
    (655000, 655019), (655021, 655058),
)  # fmt: skip
_HIPERCARD = ("606282", "3841")


def card_brand(digits: str) -> str | None:
    """The brand whose prefix and length ``digits`` has, or None."""
    n = len(digits)
    if digits[0] == "4" and n in (13, 16, 19):
        return "visa"
    if n == 16 and (51 <= int(digits[:2]) <= 55 or 2221 <= int(digits[:4]) <= 2720):
        return "mastercard"
    if n == 15 and digits[:2] in ("34", "37"):
        return "amex"
    bin6 = int(digits[:6])
    if n == 16 and any(low <= bin6 <= high for low, high in _ELO_RANGES):
        return "elo"
    if n in (16, 19) and digits.startswith(_HIPERCARD):
        return "hipercard"
    return None


class PaymentCardRecognizer(RegexRecognizer):
    """Card numbers with a known brand prefix and length and a valid Luhn digit."""

    ENTITY = "CREDIT_CARD"
    PRIORITY = 72
    CONTEXT = ("card", "cartao", "cartão", "tarjeta", "pan", "cc")
    RULES = (
        # not the fractional part of a metric value such as 0.4111111111111111
        Rule("card bare", r"(?:^|[^.\w])(?P<value>\d{13,19})\b", 0.3),
        Rule("card spaced", r"\b\d{4} \d{4} \d{4} \d{4}(?: \d{3})?\b", 0.4),
        Rule("card dashed", r"\b\d{4}-\d{4}-\d{4}-\d{4}(?:-\d{3})?\b", 0.4),
        Rule("amex grouped", r"\b3[47]\d{2}[ -]\d{6}[ -]\d{5}\b", 0.4),
    )

    def validate_result(self, pattern_text: str) -> bool:
        """Known brand and a valid Luhn check digit."""
        digits = pattern_text if pattern_text.isdigit() else compact(pattern_text)
        return card_brand(digits) is not None and luhn.is_valid(digits)
