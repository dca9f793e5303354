"""AWS credentials: access key ids (``AKIA…``/``ASIA…``) anywhere, secret access keys after their key name."""

from __future__ import annotations

from .base import RegexRecognizer, Rule, is_placeholder


class AwsAccessKeyRecognizer(RegexRecognizer):
    """AWS access key ids: a 4-letter type prefix and 16 upper-case base-32 characters."""

    ENTITY = "AWS_ACCESS_KEY_ID"
    PRIORITY = 90
    RULES = (
        Rule(
            "aws access key id",
            r"\b(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA)[A-Z2-7]{16}\b",
            0.95,
            hints=("akia", "asia", "abia", "acca", "aida", "aroa"),
        ),
    )


class AwsSecretKeyRecognizer(RegexRecognizer):
    """40-character AWS secret keys written after ``aws_secret_access_key`` (or similar) and ``=``/``:``.

    Git SHAs are 40 characters too; they never follow such a key and are all lower-case hex.
    """

    ENTITY = "AWS_SECRET_KEY"
    PRIORITY = 91
    RULES = (
        Rule(
            "aws secret key",
            r"(?i:aws_?secret_?(?:access_?)?key|secret_?access_?key)[\"']?\s*[:=]\s*[\"']?"
            r"(?P<value>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)",
            0.95,
            hints=("secret",),
        ),
    )

    def validate_result(self, pattern_text: str) -> bool:
        """Not a placeholder, and not lower-case hex only."""
        hex_only = all(ch in "0123456789abcdef" for ch in pattern_text)
        return not is_placeholder(pattern_text) and not hex_only
