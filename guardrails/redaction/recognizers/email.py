"""E-mail addresses, checked offline (no public-suffix list is fetched, unlike Presidio's default)."""

from __future__ import annotations

from .base import RegexRecognizer, Rule


class EmailAddressRecognizer(RegexRecognizer):
    """``local@domain.tld`` where the top-level label is 2-24 letters; no network, no tldextract."""

    ENTITY = "EMAIL_ADDRESS"
    PRIORITY = 50
    CONTEXT = ("email", "e-mail", "correo")
    RULES = (
        Rule(
            "email",
            r"\b[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
            r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}\b",
            0.9,
            hints=("@",),
        ),
    )

    def validate_result(self, pattern_text: str) -> bool:
        """Reject local parts that end or start with a dot and domains with empty labels."""
        local, _, domain = pattern_text.partition("@")
        return not (local.endswith(".") or ".." in local or ".." in domain)
