"""IPv4 and IPv6 addresses, validated with :mod:`ipaddress`; loopback and unspecified ones are kept."""

from __future__ import annotations

import ipaddress

from .base import RegexRecognizer, Rule


class IpAddressRecognizer(RegexRecognizer):
    """IP addresses; times (``12:34:56``), MACs and version strings are not valid addresses."""

    ENTITY = "IP_ADDRESS"
    PRIORITY = 40
    CONTEXT = ("ip", "addr", "client", "remote", "x-forwarded-for")
    RULES = (
        Rule("ipv4", r"\b(?:\d{1,3}\.){3}\d{1,3}\b", 0.5),
        Rule("ipv6", r"(?:^|[^\w:.])(?P<value>[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})(?:[^\w:]|$)", 0.5),
    )

    def validate_result(self, pattern_text: str) -> bool:
        """A parseable address that is neither loopback nor unspecified."""
        if ":" in pattern_text and "::" not in pattern_text and pattern_text.count(":") != 7:
            return False
        try:
            address = ipaddress.ip_address(pattern_text)
        except ValueError:
            return False
        return not (address.is_loopback or address.is_unspecified)
