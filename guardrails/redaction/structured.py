"""Structure-aware redaction of JSON-like data.

A value under a sensitive key (``password``, ``cardholder_name``, ``cpf``, ``authorization``…) is
replaced by a pseudonym whatever it looks like; a value under a soft name key (``customer``,
``owner``, ``name``… see :mod:`.cues`) is a person when it looks like a name and holds a known given
name or surname; every other string goes through the text redactor; strings holding JSON are parsed,
redacted as structures and serialised again (only when something changed); URLs with a query string
have each parameter value decoded and redacted under its parameter name (``?holder=Ana%20G%C3%B3mez``);
numbers are checked as text (a card number stored as an integer is still a card number). A value that
already is a token (``<PERSON_2>``) stays as it is, so redacting twice changes nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlsplit, urlunsplit

from pydantic import BaseModel

from .cues import NAME_KEYS, SOFT_NAME_KEYS, normalise_key

# normalised key (lower case, letters and digits only) → entity type of its value
SENSITIVE_KEYS: dict[str, str] = {
    **dict.fromkeys(("password", "passwd", "pwd", "passphrase", "dbpassword"), "PASSWORD"),
    **dict.fromkeys(
        ("secret", "clientsecret", "token", "accesstoken", "refreshtoken", "idtoken", "apikey", "xapikey",
         "privatekey", "secretkey", "accesskey", "credentials", "cookie", "setcookie", "sessiontoken"),
        "SECRET",
    ),
    **dict.fromkeys(("authorization", "proxyauthorization"), "BEARER_TOKEN"),
    **dict.fromkeys(("awssecretaccesskey", "awssecretkey"), "AWS_SECRET_KEY"),
    **dict.fromkeys(NAME_KEYS, "PERSON"),
    **dict.fromkeys(("cardnumber", "pan", "cc", "ccnumber", "creditcard"), "CREDIT_CARD"),
    **dict.fromkeys(("cvv", "cvc", "cvv2", "securitycode"), "CARD_SECURITY_CODE"),
    "cpf": "BR_CPF", "cnpj": "BR_CNPJ", "curp": "MX_CURP", "rfc": "MX_RFC", "cuit": "AR_CUIT",
    "cuil": "AR_CUIT", "rut": "CL_RUT", "nit": "CO_NIT", "iban": "IBAN_CODE",
    **dict.fromkeys(("email", "emailaddress", "mail", "correo"), "EMAIL_ADDRESS"),
    **dict.fromkeys(("phone", "phonenumber", "telephone", "telefone", "telefono", "celular", "mobile", "msisdn"),
                    "PHONE_NUMBER"),
    **dict.fromkeys(("ip", "ipaddress", "clientip", "remoteaddr", "xforwardedfor"), "IP_ADDRESS"),
}  # fmt: skip
# keys ending like this are sensitive too (``db_password``, ``slack_bot_token``, ``stripe_api_key``)
SENSITIVE_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("password", "PASSWORD"),
    ("passwd", "PASSWORD"),
    ("secret", "SECRET"),
    ("token", "SECRET"),
    ("apikey", "SECRET"),
    ("privatekey", "SECRET"),
    ("secretkey", "SECRET"),
)

SOFT_PERSON = "PERSON?"  # soft name key: a person only when the value reads as one
TOKEN = re.compile(r"<[A-Z][A-Z0-9_]*_\d+>")
TextRedactor = Callable[[str], str]
Pseudonymizer = Callable[[str, str], str]  # (entity_type, value) -> token
CleanCheck = Callable[[Any], bool]  # True: nothing in this subtree needs redaction


@lru_cache(maxsize=8192)  # keys repeat across every record of every tool output
def sensitive_entity(key: str) -> str | None:
    """Entity type of values under ``key``, or None when the key says nothing."""
    normalised = normalise_key(key)
    if normalised in SENSITIVE_KEYS:
        return SENSITIVE_KEYS[normalised]
    if normalised in SOFT_NAME_KEYS:
        return SOFT_PERSON
    return next((entity for suffix, entity in SENSITIVE_SUFFIXES if normalised.endswith(suffix)), None)


def is_token(value: str) -> bool:
    """True for a pseudonym token such as ``<BR_CPF_1>``."""
    return TOKEN.fullmatch(value) is not None


def redact_structure(
    obj: Any, redact_text: TextRedactor, pseudonym: Pseudonymizer, clean: CleanCheck = lambda _: False
) -> Any:
    """A redacted copy of ``obj`` (mappings, sequences, strings, numbers; models are dumped first).

    ``clean(subtree)`` may vouch for a whole dict or list (or the JSON a string holds) in one check;
    such a subtree is kept as it is instead of being walked leaf by leaf.
    """
    if isinstance(obj, BaseModel):
        obj = obj.model_dump(mode="json")
    if isinstance(obj, dict | list) and clean(obj):
        return obj
    if isinstance(obj, Mapping):
        out: dict[Any, Any] = {}
        for key, value in obj.items():
            entity = sensitive_entity(key) if isinstance(key, str) else None
            new_key = redact_text(key) if isinstance(key, str) else key
            if entity == SOFT_PERSON:
                out[new_key] = _soft_person(value, redact_text, pseudonym, clean)
            elif entity is not None:
                out[new_key] = _mask(value, entity, pseudonym)
            else:
                out[new_key] = redact_structure(value, redact_text, pseudonym, clean)
        return out
    if isinstance(obj, list | tuple | set | frozenset):
        return [redact_structure(item, redact_text, pseudonym, clean) for item in obj]
    if isinstance(obj, str):
        if is_token(obj):
            return obj
        parsed = _json_inside(obj)
        if parsed is None:
            url = _url_query(obj)
            return redact_text(obj) if url is None else _redact_url(url, redact_text, pseudonym, clean)
        redacted = redact_structure(parsed, redact_text, pseudonym, clean)
        return obj if redacted == parsed else json.dumps(redacted, ensure_ascii=False)
    if isinstance(obj, int | float) and not isinstance(obj, bool):
        text = str(obj)
        redacted = redact_text(text)
        return obj if redacted == text else redacted
    return obj


def _mask(value: Any, entity: str, pseudonym: Pseudonymizer) -> Any:
    """Every scalar under a sensitive key becomes a token; None, booleans and empty strings stay."""
    if (
        value is None
        or isinstance(value, bool)
        or value == ""
        or (isinstance(value, str) and is_token(value))
    ):
        return value
    if isinstance(value, Mapping):
        return {key: _mask(item, entity, pseudonym) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_mask(item, entity, pseudonym) for item in value]
    return pseudonym(entity, str(value))


def _soft_person(value: Any, redact_text: TextRedactor, pseudonym: Pseudonymizer, clean: CleanCheck) -> Any:
    """A soft name key's value: a person's name when it reads as one, else redacted like any value."""
    from .recognizers.person import known_name_span, looks_like_name  # recognizers import this module

    if (
        isinstance(value, str)
        and looks_like_name(value)
        and known_name_span(value, 0, len(value)) is not None
    ):
        return pseudonym("PERSON", value)
    return redact_structure(value, redact_text, pseudonym, clean)


def _url_query(text: str) -> Any | None:
    """The split URL when ``text`` is one URL with a query string, else None."""
    if "?" not in text or not text.startswith(("http://", "https://")) or any(ch.isspace() for ch in text):
        return None
    parts = urlsplit(text)
    return parts if parts.query else None


def _redact_url(parts: Any, redact_text: TextRedactor, pseudonym: Pseudonymizer, clean: CleanCheck) -> str:
    """The URL with each query value decoded, redacted under its parameter name and encoded again."""
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    redacted = (
        redact_structure(dict(pairs), redact_text, pseudonym, clean)
        if len(dict(pairs)) == len(pairs)
        else None
    )
    if redacted is None:  # repeated parameter names: redact each pair on its own
        redacted_pairs = [
            next(iter(redact_structure({k: v}, redact_text, pseudonym, clean).items())) for k, v in pairs
        ]
    else:
        redacted_pairs = list(redacted.items())
    if redacted_pairs == pairs:
        return str(urlunsplit(parts._replace(path=redact_text(parts.path))))
    query = "&".join(
        f"{quote_plus(str(k), safe='<>')}={quote_plus(str(v), safe='<>')}" for k, v in redacted_pairs
    )
    return str(urlunsplit(parts._replace(path=redact_text(parts.path), query=query)))


def _json_inside(text: str) -> Any | None:
    """The JSON value a string holds (``'{"a": 1}'``), or None when it holds none."""
    stripped = text.strip()
    if stripped[:1] in ("{", "[") and stripped[-1:] in ("}", "]"):
        try:
            return json.loads(stripped)
        except ValueError:
            return None
    return None


def plain_leaves(obj: Any) -> list[str] | None:
    """Every key and scalar of plain JSON data as text, for one scan of them all.

    None when ``obj`` needs the full walk anyway: a key marks its value sensitive (also a key inside
    a string holding JSON), a soft name key holds a capitalised string, a string is a URL with a
    query (its values are encoded), or a container is not plain JSON (a model, a tuple, a set).
    """
    leaves: list[str] = []

    def walk(value: Any, keys_only: bool) -> bool:
        if isinstance(value, dict):
            for key, item in value.items():
                entity = sensitive_entity(key) if isinstance(key, str) else ""
                if entity == SOFT_PERSON and not (isinstance(item, str) and item[:1].isupper()):
                    entity = None  # ``"owner": "ml-platform"``: nothing a name could be
                if not isinstance(key, str) or entity is not None:
                    return False
                if not keys_only:
                    leaves.append(key)
                if not walk(item, keys_only):
                    return False
            return True
        if isinstance(value, list):
            return all(walk(item, keys_only) for item in value)
        if isinstance(value, str):
            if _url_query(value) is not None:
                return False
            if not keys_only:
                leaves.append(value)
            inner = _json_inside(value)
            return inner is None or walk(inner, True)  # its text is already among the leaves
        if value is None or isinstance(value, bool | int | float):
            if not keys_only and value is not None:
                leaves.append(str(value))
            return True
        return False

    return leaves if walk(obj, False) else None
