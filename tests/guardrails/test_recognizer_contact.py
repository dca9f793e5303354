"""E-mail, phone numbers, IP addresses and person names (key context and bounded NER)."""

from __future__ import annotations

import pytest

from guardrails.redaction import RedactionSettings, Redactor
from guardrails.redaction.engine import installed_spacy_model


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor(RedactionSettings(pseudonym_key="test-key-0123456789abcdef", nlp=False))


def found(redactor: Redactor, text: str) -> list[tuple[str, str]]:
    return [(f.entity_type, text[f.start : f.end]) for f in redactor.analyze(text)]


@pytest.mark.parametrize(
    ("entity", "text", "value"),
    [
        ("EMAIL_ADDRESS", "user=maria.silva@empresa.com.br logged in", "maria.silva@empresa.com.br"),
        ("EMAIL_ADDRESS", '{"email":"Ana_G+x@correo.mx"}', "Ana_G+x@correo.mx"),
        ("PHONE_NUMBER", "tel=+55 11 98765-4321 status=200", "+55 11 98765-4321"),
        ("PHONE_NUMBER", "phone +52 55 1234 5678", "+52 55 1234 5678"),
        ("PHONE_NUMBER", "whatsapp +54 9 11 2345-6789", "+54 9 11 2345-6789"),
        ("PHONE_NUMBER", "cel +57 310 123 4567", "+57 310 123 4567"),
        ("PHONE_NUMBER", "movil +56 9 8765 4321", "+56 9 8765 4321"),
        ("PHONE_NUMBER", "call +5511987654321 now", "+5511987654321"),
        ("PHONE_NUMBER", "telefone: (11) 98765-4321", "(11) 98765-4321"),
        ("PHONE_NUMBER", "celular 11 98765-4321", "11 98765-4321"),
        ("IP_ADDRESS", "client 203.0.113.42 connected", "203.0.113.42"),
        ("IP_ADDRESS", "from 2001:db8::8a2e:370:7334 ok", "2001:db8::8a2e:370:7334"),
        ("PERSON", 'cardholder="Maria da Silva" status=ok', "Maria da Silva"),
        ("PERSON", '{"name": "João Pereira", "amount": 10}', "João Pereira"),
        ("PERSON", "beneficiario=Lucía Hernández amount=1", "Lucía Hernández"),
        ("PERSON", "titular: José Santos", "José Santos"),
    ],
)
def test_contact_data_is_found(redactor: Redactor, entity: str, text: str, value: str) -> None:
    assert (entity, value) in found(redactor, text)


@pytest.mark.parametrize(
    "text",
    [
        "git@github mirror at sha256:abc",  # no domain with a top-level label
        "ts=2025-03-14T09:00:00.137Z latency_ms=12.5 status=503",  # timestamps and metrics are not phones
        "phone +55 11 0000-0000",  # not a valid Brazilian number
        "order 98765-4321 later",  # national format without a phone cue
        "listening on 0.0.0.0:8080 and 127.0.0.1",  # unspecified and loopback addresses are kept
        "version 999.1.2.3 and time 12:34:56",  # not an address, not IPv6
        "mac aa:bb:cc:dd:ee:ff",
        '{"name": "fraud-xgb", "model_name": "Fraud Champion"}',  # model names are not people
        "cardholder=null",
    ],
)
def test_contact_lookalikes_are_left_alone(redactor: Redactor, text: str) -> None:
    assert found(redactor, text) == []


def test_greedy_phone_match_is_trimmed_to_the_valid_number(redactor: Redactor) -> None:
    text = "tel=+55 11 98765-4321 200 ok"
    assert found(redactor, text) == [("PHONE_NUMBER", "+55 11 98765-4321")]


@pytest.mark.skipif(installed_spacy_model() is None, reason="spaCy model en_core_web_sm not installed")
def test_ner_finds_names_after_a_cue_only() -> None:
    redactor = Redactor(RedactionSettings(pseudonym_key="test-key-0123456789abcdef", nlp=True))
    assert redactor.ner is not None
    # a name the gazetteer does not know, after a cue: NER finds it
    note = '{"msg":"Dispute note: cardholder Siobhan McAllister says the order was not received"}'
    assert ("PERSON", "Siobhan McAllister") in found(redactor, note)
    # without a name cue, NER is not run at all (bounded NER): an unknown name stays
    plain = "Siobhan McAllister restarted the fraud-xgb deployment"
    assert found(redactor, plain) == []


def test_patterns_only_mode_has_no_ner(redactor: Redactor) -> None:
    assert redactor.ner is None
    assert "SpacyRecognizer" not in [r.name for r in redactor.analyzer.registry.recognizers]
