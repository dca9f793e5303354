"""Routing rules: which Slack channel an alert's report goes to, decided by label matchers.

A rule is a list of Alertmanager-style matchers and a channel; it matches an alert when every matcher
holds. A matcher is ``label OP value`` with ``OP`` one of

- ``=``  the label equals the value,
- ``!=`` the label differs from the value,
- ``=~`` the label full-matches the regular expression (anchored at both ends, as in Alertmanager),
- ``!~`` the label does not full-match it.

The value may be double-quoted (``severity="critical"``, ``team=~"fraud|risk"``); a missing label is the
empty string, so ``team=""`` matches alerts without a ``team`` label. The older ``match`` (label →
value) and ``match_re`` (label → regex) maps are accepted too and read as ``=`` / ``=~`` matchers.

Rules come from two places, read in this order, first match wins: ``REFERENT_ROUTES`` (settings, a
per-deployment override) and then the policy file's ``routes`` section; an alert no rule matches goes to
``REFERENT_SLACK_CHANNEL``. :func:`first_channel` applies that order.

Errors::

    ValueError (pydantic ValidationError when a settings or policy file loads)
    ├── a matcher that does not parse (no label, unknown operator)
    ├── a regular expression that does not compile
    └── a rule with no channel, or an unknown key (a rule with no matcher matches every alert)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

Operator = Literal["=", "!=", "=~", "!~"]
_MATCHER = re.compile(r"^\s*(?P<label>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op>=~|!~|!=|=)\s*(?P<value>.*?)\s*$")


@dataclass(frozen=True)
class Matcher:
    """One parsed matcher; ``pattern`` is the compiled, anchored regex of ``=~`` / ``!~``."""

    label: str
    op: Operator
    value: str
    pattern: re.Pattern[str] | None = None

    def holds(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.label, "")
        if self.pattern is not None:
            found = self.pattern.fullmatch(actual) is not None
            return found if self.op == "=~" else not found
        return (actual == self.value) if self.op == "=" else (actual != self.value)

    def __str__(self) -> str:
        return f'{self.label}{self.op}"{self.value}"'


def _unquote(raw: str, text: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        body = raw[1:-1]
        if re.search(r'(?<!\\)"', body):
            raise ValueError(f"matcher {text!r}: unescaped quote inside the value")
        return body.replace('\\"', '"').replace("\\\\", "\\")
    if raw.startswith('"') or raw.endswith('"'):
        raise ValueError(f"matcher {text!r}: unbalanced quotes in the value")
    return raw


def parse_matcher(text: str) -> Matcher:
    """Parse ``label OP value`` (``OP`` one of ``=``, ``!=``, ``=~``, ``!~``).

    Raises:
        ValueError: the text is not a matcher, or its regular expression does not compile.
    """
    found = _MATCHER.match(text or "")
    if found is None:
        raise ValueError(
            f"matcher {text!r} does not parse: expected LABEL OP VALUE with OP one of =, !=, =~, !~ "
            '(e.g. severity="critical", team=~"fraud|risk")'
        )
    op: Operator = found["op"]  # type: ignore[assignment]  # the regex allows only the four operators
    value = _unquote(found["value"], text)
    pattern = None
    if op in ("=~", "!~"):
        try:
            pattern = re.compile(value)
        except re.error as exc:
            raise ValueError(f"matcher {text!r}: bad regular expression: {exc}") from None
    return Matcher(found["label"], op, value, pattern)


class Route(BaseModel):
    """A routing rule: when every matcher holds on an alert's labels, its report goes to ``channel``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    matchers: list[str] = Field(
        default_factory=list, description='Alertmanager matchers, e.g. team=~"fraud.*"'
    )
    match: dict[str, str] = Field(default_factory=dict, description="label → value (same as = matchers)")
    match_re: dict[str, str] = Field(default_factory=dict, description="label → regex (same as =~ matchers)")
    channel: str = Field(min_length=1, description="Slack channel id or name")
    _parsed: tuple[Matcher, ...] = PrivateAttr(default=())

    @field_validator("matchers")
    @classmethod
    def _parse(cls, matchers: list[str]) -> list[str]:
        for text in matchers:
            parse_matcher(text)
        return matchers

    @model_validator(mode="after")
    def _compiled(self) -> Route:
        parsed = [parse_matcher(t) for t in self.matchers]
        parsed += [Matcher(k, "=", v) for k, v in self.match.items()]
        parsed += [_regex_matcher(k, v) for k, v in self.match_re.items()]
        self._parsed = tuple(parsed)
        return self

    @property
    def parsed(self) -> tuple[Matcher, ...]:
        """The rule's matchers, parsed (``matchers``, then ``match``, then ``match_re``)."""
        return self._parsed

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether every matcher holds on ``labels`` (a missing label is the empty string)."""
        return all(m.holds(labels) for m in self.parsed)


def _regex_matcher(label: str, value: str) -> Matcher:
    try:
        return Matcher(label, "=~", value, re.compile(value))
    except re.error as exc:
        raise ValueError(f"match_re {label}: bad regular expression {value!r}: {exc}") from None


def first_channel(labels: Mapping[str, str], *rule_lists: Iterable[Route], default: str) -> str:
    """The channel of the first rule (lists in the order given) that matches ``labels``, else ``default``."""
    for rules in rule_lists:
        for route in rules:
            if route.matches(labels):
                return route.channel
    return default
