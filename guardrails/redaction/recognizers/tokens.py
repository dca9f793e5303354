"""Vendor tokens with a recognisable prefix: Slack, GitHub and OpenAI-style (``sk-…``) API keys."""

from __future__ import annotations

from .base import RegexRecognizer, Rule


class SlackTokenRecognizer(RegexRecognizer):
    """Slack bot/user/app tokens (``xoxb-``, ``xoxp-``, ``xapp-``…) and incoming-webhook URLs."""

    ENTITY = "SLACK_TOKEN"
    PRIORITY = 90
    RULES = (
        Rule("slack token", r"\bxox[abposre]-[A-Za-z0-9-]{10,250}", 0.95, hints=("xox",)),
        Rule("slack app token", r"\bxapp-\d-[A-Za-z0-9-]{10,250}", 0.95, hints=("xapp-",)),
        Rule(
            "slack webhook",
            r"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_-]{20,}",
            0.95,
            hints=("hooks.slack.com",),
        ),
    )


class GithubTokenRecognizer(RegexRecognizer):
    """GitHub personal, OAuth, app and refresh tokens (``ghp_``, ``gho_``, ``ghu_``, ``ghs_``, ``ghr_``, ``github_pat_``)."""

    ENTITY = "GITHUB_TOKEN"
    PRIORITY = 90
    RULES = (
        Rule(
            "github token",
            r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b",
            0.95,
            hints=("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
        ),
        Rule("github fine-grained pat", r"\bgithub_pat_[A-Za-z0-9_]{22,255}\b", 0.95, hints=("github_pat_",)),
    )


class OpenAiKeyRecognizer(RegexRecognizer):
    """``sk-`` keys (OpenAI, Anthropic and compatible providers) whose body looks random.

    The body must mix upper case, lower case and digits, so a pod name such as
    ``sk-fraud-scorer-7d9f8b6c4-x2klm`` is not taken for a key.
    """

    ENTITY = "OPENAI_API_KEY"
    PRIORITY = 90
    RULES = (
        Rule("sk key", r"\bsk-(?:proj-|svcacct-|admin-|ant-)?[A-Za-z0-9_-]{20,200}", 0.6, hints=("sk-",)),
    )

    def validate_result(self, pattern_text: str) -> bool:
        """At least two upper-case letters, two lower-case letters and two digits."""
        body = pattern_text[3:]
        upper = sum(ch.isupper() for ch in body)
        lower = sum(ch.islower() for ch in body)
        digits = sum(ch.isdigit() for ch in body)
        return upper >= 2 and lower >= 2 and digits >= 2
