"""LatAm identifiers, IBAN and payment cards: valid values found, checksum-invalid look-alikes left alone."""

from __future__ import annotations

import pytest
from stdnum import luhn

from guardrails.redaction import RedactionSettings, Redactor


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor(RedactionSettings(pseudonym_key="test-key-0123456789abcdef", nlp=False))


def found(redactor: Redactor, text: str) -> list[tuple[str, str]]:
    return [(f.entity_type, text[f.start : f.end]) for f in redactor.analyze(text)]


def card(prefix: str, length: int) -> str:
    body = prefix + "7" * (length - len(prefix) - 1)
    return body + luhn.calc_check_digit(body)


VALID = [
    ("BR_CPF", "cliente 529.982.247-25 aprovado", "529.982.247-25"),
    ("BR_CPF", "cpf=52998224725 status=ok", "52998224725"),
    ("BR_CNPJ", "merchant 11.222.333/0001-81 ok", "11.222.333/0001-81"),
    ("BR_CNPJ", "alfanumérico 12.ABC.345/01DE-35 ok", "12.ABC.345/01DE-35"),
    ("BR_CNPJ", "cnpj: 12ABC34501DE35", "12ABC34501DE35"),
    ("MX_CURP", "curp BOXW310820HNERXN09 ok", "BOXW310820HNERXN09"),
    ("MX_RFC", "rfc GODE561231GR8 ok", "GODE561231GR8"),
    ("AR_CUIT", "CUIT 20-12345678-6 ok", "20-12345678-6"),
    ("AR_CUIT", "cuit=20123456786", "20123456786"),
    ("CL_RUT", "RUT 12.345.678-5 ok", "12.345.678-5"),
    ("CL_RUT", "rut=12345678-5 ok", "12345678-5"),
    ("CO_NIT", "NIT 900.123.456-8 ok", "900.123.456-8"),
    ("CO_NIT", "nit: 900123456-8", "900123456-8"),
    ("IBAN_CODE", "iban=DE89 3704 0044 0532 0130 00 amount=10", "DE89 3704 0044 0532 0130 00"),
    ("IBAN_CODE", "to GB82WEST12345698765432 ok", "GB82WEST12345698765432"),
    ("CREDIT_CARD", "card=4111111111111111 ok", "4111111111111111"),
    ("CREDIT_CARD", "pan 5500 0000 0000 0004 ok", "5500 0000 0000 0004"),
    ("CREDIT_CARD", "pan 4111-1111-1111-1111 ok", "4111-1111-1111-1111"),
    ("CREDIT_CARD", "amex 3782 822463 10005 ok", "3782 822463 10005"),
    ("CREDIT_CARD", f"elo {card('636368', 16)} ok", card("636368", 16)),
    ("CREDIT_CARD", f"mc2 {card('2221', 16)} ok", card("2221", 16)),
]

INVALID = [
    "cliente 529.982.247-26 aprovado",  # CPF check digit wrong
    "cliente 111.111.111-11",  # repeated digits pass mod 11 but are not issued
    "id=52998224725 status=ok",  # bare 11 digits without a CPF cue
    "merchant 11.222.333/0001-82 ok",  # CNPJ check digit wrong
    "alfanumérico 12.ABC.345/01DE-36",  # alphanumeric CNPJ check digit wrong
    "curp BOXW310820HNERXN08 ok",
    "rfc GODE561231GR9 ok",
    "CUIT 20-12345678-5 ok",
    "RUT 12.345.678-4 ok",
    "NIT 900.123.456-7 ok",
    "iban=DE88 3704 0044 0532 0130 00",
    "card=4111111111111112 ok",  # fails Luhn
    "order_id=1234567890123456 total=10",  # 16-digit order number failing Luhn
    f"ref {card('9', 16)}",  # passes Luhn, no card brand
]


@pytest.mark.parametrize(("entity", "text", "value"), VALID)
def test_valid_identifiers_are_found(redactor: Redactor, entity: str, text: str, value: str) -> None:
    assert (entity, value) in found(redactor, text)


@pytest.mark.parametrize("text", INVALID)
def test_checksum_invalid_lookalikes_are_rejected(redactor: Redactor, text: str) -> None:
    assert found(redactor, text) == []


def test_identifiers_are_replaced_by_tokens(redactor: Redactor) -> None:
    text = "cpf=529.982.247-25 cnpj=11.222.333/0001-81 card=4111 1111 1111 1111"
    assert redactor.redact_text(text, "t1") == "cpf=<BR_CPF_1> cnpj=<BR_CNPJ_1> card=<CREDIT_CARD_1>"
