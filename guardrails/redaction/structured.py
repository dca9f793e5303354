"""Structure-aware redaction of JSON-like data.

A value under a sensitive key (``password``, ``cardholder_name``, ``cpf``, ``authorization``…) is
replaced by a pseudonym whatever it looks like; every other string goes through the text redactor;
strings holding JSON are parsed, redacted as structures and serialised again (only when something
changed); numbers are checked as text (a card number stored as an integer is still a card number).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

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
    **dict.fromkeys(
        ("cardholder", "cardholdername", "holdername", "accountholder", "fullname", "firstname", "lastname",
         "customername", "payername", "payeename", "beneficiary", "beneficiaryname", "beneficiario", "titular",
         "nometitular", "nombretitular"),
        "PERSON",
    ),
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

TextRedactor = Callable[[str], str]
Pseudonymizer = Callable[[str, str], str]  # (entity_type, value) -> token
CleanCheck = Callable[[Any], bool]  # True: nothing in this subtree needs redaction


@lru_cache(maxsize=8192)  # keys repeat across every record of every tool output
def sensitive_entity(key: str) -> str | None:
    """Entity type of values under ``key``, or None when the key says nothing."""
    normalised = "".join(ch for ch in key.lower() if ch.isalnum())
    if normalised in SENSITIVE_KEYS:
        return SENSITIVE_KEYS[normalised]
    return next((entity for suffix, entity in SENSITIVE_SUFFIXES if normalised.endswith(suffix)), None)


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
            if entity is not None:
                out[new_key] = _mask(value, entity, pseudonym)
            else:
                out[new_key] = redact_structure(value, redact_text, pseudonym, clean)
        return out
    if isinstance(obj, list | tuple | set | frozenset):
        return [redact_structure(item, redact_text, pseudonym, clean) for item in obj]
    if isinstance(obj, str):
        parsed = _json_inside(obj)
        if parsed is None:
            return redact_text(obj)
        redacted = redact_structure(parsed, redact_text, pseudonym, clean)
        return obj if redacted == parsed else json.dumps(redacted, ensure_ascii=False)
    if isinstance(obj, int | float) and not isinstance(obj, bool):
        text = str(obj)
        redacted = redact_text(text)
        return obj if redacted == text else redacted
    return obj


def _mask(value: Any, entity: str, pseudonym: Pseudonymizer) -> Any:
    """Every scalar under a sensitive key becomes a token; None, booleans and empty strings stay."""
    if value is None or isinstance(value, bool) or value == "":
        return value
    if isinstance(value, Mapping):
        return {key: _mask(item, entity, pseudonym) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_mask(item, entity, pseudonym) for item in value]
    return pseudonym(entity, str(value))


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
    a string holding JSON), or a container is not plain JSON (a model, a tuple, a set).
    """
    leaves: list[str] = []

    def walk(value: Any, keys_only: bool) -> bool:
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str) or sensitive_entity(key) is not None:
                    return False
                if not keys_only:
                    leaves.append(key)
                if not walk(item, keys_only):
                    return False
            return True
        if isinstance(value, list):
            return all(walk(item, keys_only) for item in value)
        if isinstance(value, str):
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
