"""Referent's recognizers, one small module per identifier family.

Each is a :class:`.base.RegexRecognizer` (RE2 rules, Presidio-shaped results; ``engine`` adapts it to
a Presidio ``PatternRecognizer`` on demand); :func:`default_recognizers` lists the set the redactor uses.
"""

from __future__ import annotations

from .ar_cuit import ArCuitRecognizer
from .aws import AwsAccessKeyRecognizer, AwsSecretKeyRecognizer
from .base import RegexRecognizer, Rule
from .br_cnpj import BrCnpjRecognizer
from .br_cpf import BrCpfRecognizer
from .cl_rut import ClRutRecognizer
from .co_nit import CoNitRecognizer
from .credentials import (
    BearerTokenRecognizer,
    PasswordPairRecognizer,
    PrivateKeyRecognizer,
    SecretPairRecognizer,
    UrlPasswordRecognizer,
)
from .credit_card import PaymentCardRecognizer
from .email import EmailAddressRecognizer
from .iban import IbanCodeRecognizer
from .ip_address import IpAddressRecognizer
from .jwt import JwtRecognizer
from .mx_curp import MxCurpRecognizer
from .mx_rfc import MxRfcRecognizer
from .person import (
    ContextualNer,
    CuedNameRecognizer,
    GazetteerNameRecognizer,
    KeyedNameRecognizer,
    cue_regions,
)
from .phone import PhoneNumberRecognizer
from .tokens import GithubTokenRecognizer, OpenAiKeyRecognizer, SlackTokenRecognizer

RECOGNIZER_CLASSES: tuple[type[RegexRecognizer], ...] = (
    BrCpfRecognizer,
    BrCnpjRecognizer,
    MxCurpRecognizer,
    MxRfcRecognizer,
    ArCuitRecognizer,
    ClRutRecognizer,
    CoNitRecognizer,
    IbanCodeRecognizer,
    PaymentCardRecognizer,
    EmailAddressRecognizer,
    PhoneNumberRecognizer,
    IpAddressRecognizer,
    KeyedNameRecognizer,
    CuedNameRecognizer,
    GazetteerNameRecognizer,
    AwsAccessKeyRecognizer,
    AwsSecretKeyRecognizer,
    SlackTokenRecognizer,
    GithubTokenRecognizer,
    OpenAiKeyRecognizer,
    JwtRecognizer,
    BearerTokenRecognizer,
    UrlPasswordRecognizer,
    PasswordPairRecognizer,
    SecretPairRecognizer,
    PrivateKeyRecognizer,
)

SECRET_ENTITIES = frozenset(
    {"AWS_ACCESS_KEY_ID", "AWS_SECRET_KEY", "SLACK_TOKEN", "GITHUB_TOKEN", "OPENAI_API_KEY", "JWT",
     "BEARER_TOKEN", "PASSWORD", "SECRET", "PRIVATE_KEY"}
)  # fmt: skip


def default_recognizers() -> list[RegexRecognizer]:
    """A fresh instance of every Referent recognizer."""
    return [cls() for cls in RECOGNIZER_CLASSES]


__all__ = [
    "RECOGNIZER_CLASSES",
    "SECRET_ENTITIES",
    "ArCuitRecognizer",
    "AwsAccessKeyRecognizer",
    "AwsSecretKeyRecognizer",
    "BearerTokenRecognizer",
    "BrCnpjRecognizer",
    "BrCpfRecognizer",
    "ClRutRecognizer",
    "CoNitRecognizer",
    "ContextualNer",
    "CuedNameRecognizer",
    "EmailAddressRecognizer",
    "GazetteerNameRecognizer",
    "GithubTokenRecognizer",
    "IbanCodeRecognizer",
    "IpAddressRecognizer",
    "JwtRecognizer",
    "KeyedNameRecognizer",
    "MxCurpRecognizer",
    "MxRfcRecognizer",
    "OpenAiKeyRecognizer",
    "PasswordPairRecognizer",
    "PaymentCardRecognizer",
    "PhoneNumberRecognizer",
    "PrivateKeyRecognizer",
    "RegexRecognizer",
    "Rule",
    "SecretPairRecognizer",
    "SlackTokenRecognizer",
    "UrlPasswordRecognizer",
    "cue_regions",
    "default_recognizers",
]
