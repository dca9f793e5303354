"""Credentials written in the clear: ``Authorization`` header values, passwords in DSNs / URLs and
``password=`` / ``secret=`` / ``token=`` pairs (only the value is reported), PEM private-key blocks."""

from __future__ import annotations

from .base import RegexRecognizer, Rule, is_placeholder

_VALUE = r"[\"']?(?P<value>[^\s\"'&,;}\]<>]{3,})"
_PREFIX = r"(?:[a-z0-9]+[_.-])*"


class BearerTokenRecognizer(RegexRecognizer):
    """The credential after ``Bearer`` / ``Basic`` / ``Token`` in an ``Authorization`` header or alone."""

    ENTITY = "BEARER_TOKEN"
    PRIORITY = 88
    RULES = (
        Rule("bearer", r"(?i:\bbearer)\s+(?P<value>[A-Za-z0-9._~+/-]{8,}=*)", 0.9, hints=("bearer",)),
        Rule(
            "authorization",
            r"(?i:\bauthorization[\"']?\s*[:=]\s*[\"']?(?:basic|token|apikey))\s+(?P<value>[A-Za-z0-9._~+/-]{6,}=*)",
            0.9,
            hints=("authorization",),
        ),
    )

    def validate_result(self, pattern_text: str) -> bool:
        """Not a placeholder."""
        return not is_placeholder(pattern_text)


class UrlPasswordRecognizer(RegexRecognizer):
    """The password in ``scheme://user:password@host`` (database DSNs, broker URLs, HTTP basic auth)."""

    ENTITY = "PASSWORD"
    PRIORITY = 86
    RULES = (
        Rule(
            "url password",
            r"\b[A-Za-z][A-Za-z0-9+.-]{1,20}://[^\s:/@\"']+:(?P<value>[^\s@/\"']+)@",
            0.95,
            hints=("://",),
        ),
    )

    def validate_result(self, pattern_text: str) -> bool:
        """Not a placeholder."""
        return not is_placeholder(pattern_text)


class PasswordPairRecognizer(RegexRecognizer):
    """The value of ``password=…`` / ``"db_password": "…"`` / ``pwd: …`` pairs."""

    ENTITY = "PASSWORD"
    PRIORITY = 85
    RULES = (
        Rule(
            "password pair",
            r"(?i:\b" + _PREFIX + r"(?:password|passwd|passphrase|pwd|pass)[\"']?\s*[:=]\s*)" + _VALUE,
            0.9,
            hints=("pass", "pwd"),
        ),
    )

    def validate_result(self, pattern_text: str) -> bool:
        """Not a placeholder."""
        return not is_placeholder(pattern_text)


class SecretPairRecognizer(RegexRecognizer):
    """The value of ``secret=`` / ``token=`` / ``api_key=`` / ``x-api-key:`` style pairs."""

    ENTITY = "SECRET"
    PRIORITY = 84
    RULES = (
        Rule(
            "secret pair",
            r"(?i:\b" + _PREFIX + r"(?:secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)"
            r"[\"']?\s*[:=]\s*)" + _VALUE,
            0.85,
            hints=("secret", "token", "key", "credential"),
        ),
    )

    def validate_result(self, pattern_text: str) -> bool:
        """Not a placeholder."""
        return not is_placeholder(pattern_text)


class PrivateKeyRecognizer(RegexRecognizer):
    """PEM private-key blocks (RSA, EC, OpenSSH, PKCS#8), also with escaped ``\\n`` inside JSON strings."""

    ENTITY = "PRIVATE_KEY"
    PRIORITY = 95
    RULES = (
        Rule(
            "pem block",
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?s:.)*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----",
            1.0,
            hints=("private key-----",),
        ),
        Rule(
            "pem head",
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?:\\n|\r?\n[A-Za-z0-9+/=]{16,}|[ \t]|[A-Za-z0-9+/=])*",
            0.9,
            hints=("private key-----",),
        ),
    )
