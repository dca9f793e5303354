"""JSON Web Tokens: three base64url segments whose first decodes to a JSON header with ``alg``."""

from __future__ import annotations

import base64
import binascii
import json

from .base import RegexRecognizer, Rule


class JwtRecognizer(RegexRecognizer):
    """JWTs (JWS compact form) — header and payload start with ``eyJ`` (``{"``)."""

    ENTITY = "JWT"
    PRIORITY = 92
    RULES = (
        Rule("jwt", r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{8,}", 0.7, hints=("eyj",)),
    )

    def validate_result(self, pattern_text: str) -> bool:
        """The header segment is base64url JSON naming an ``alg``."""
        header = pattern_text.split(".", 1)[0]
        try:
            decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
        except (binascii.Error, ValueError):
            return False
        return isinstance(decoded, dict) and "alg" in decoded
