"""LatAm names and phones: structure (keys), one cue list, the gazetteer, LatAm mobile formats,
and the operational numbers that must survive."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from guardrails.redaction import RedactionSettings, Redactor
from guardrails.redaction.cues import NAME_KEYS, SOFT_NAME_KEYS, TEXT_CUES
from guardrails.redaction.gazetteer import gazetteer
from guardrails.redaction.structured import sensitive_entity


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor(RedactionSettings(pseudonym_key=SecretStr("test-key-0123456789abcdef"), nlp=False))


def found(redactor: Redactor, text: str) -> list[tuple[str, str]]:
    return [(f.entity_type, text[f.start : f.end]) for f in redactor.analyze(text)]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ('{"customer": "Maria Eduarda Nogueira", "amount": 120.5}', "Maria Eduarda Nogueira"),
        ("KeyError: {'holder': 'Lucía Fernanda Rincón', 'amount': 10}", "Lucía Fernanda Rincón"),
        ("ValueError: bad payload {'cliente': 'Juan Pérez García'}", "Juan Pérez García"),
        ("ticket escalated by Ana Gómez after the 3rd retry", "Ana Gómez"),
        ("owner: Rodrigo Alves (on call)", "Rodrigo Alves"),
        ("contacto: Camila Rojas", "Camila Rojas"),
        ("el cliente Joaquín Herrera Soto reclamó el cobro duplicado", "Joaquín Herrera Soto"),
        ("a titular Beatriz Carvalho contestou a compra", "Beatriz Carvalho"),
        ("responsável: Marcos Vinícius Teixeira", "Marcos Vinícius Teixeira"),
        ("responsable del turno Valentina Muñoz", "Valentina Muñoz"),
        ("Falei com o Sr. Ortega sobre o estorno", "Ortega"),
        ("Gonzalo Fuentes confirmó que el pago salió dos veces", "Gonzalo Fuentes"),
        ("Oi, aqui é a Fernanda Lima do financeiro", "Fernanda Lima"),
        ("payer=Luis Fernando de la Cruz status=settled", "Luis Fernando de la Cruz"),
        ("auth ok titular MARIA E NOGUEIRA bandeira VISA", "MARIA E NOGUEIRA"),
    ],
)
def test_names_in_json_tracebacks_cues_and_free_text(redactor: Redactor, text: str, name: str) -> None:
    assert ("PERSON", name) in found(redactor, text)
    assert name not in redactor.redact_text(text, "names")


@pytest.mark.parametrize(
    "text",
    [
        '{"owner": "ml-platform", "name": "fraud-xgb", "customer": "cus_9f8a7b"}',
        "customer Premium tier hit Payments API rate limit",
        'Traceback (most recent call last): File "/srv/app/Handler.py", line 42',
        "Deployment Rollout Succeeded for Fraud Scorer",
        "São Paulo region sa-east-1 degraded; Buenos Aires fine",
        "Banco Santander Timeout on Mercado Pago webhook",
    ],
)
def test_operational_capitalised_words_are_not_names(redactor: Redactor, text: str) -> None:
    assert [f for f in found(redactor, text) if f[0] == "PERSON"] == []


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("cliente ligou do +55 11 98765-4321 ontem", "+55 11 98765-4321"),
        ("me liga no (21) 99876-5432 por favor", "(21) 99876-5432"),
        ("numero do cliente 11 98765-4321", "11 98765-4321"),
        ("llamar al +52 1 55 1234 5678", "+52 1 55 1234 5678"),
        ("tel. +52 55 1234 5678", "+52 55 1234 5678"),
        ("celular 15-2345-6789 (Buenos Aires)", "15-2345-6789"),
        ("su celular es 011 15-2345-6789", "011 15-2345-6789"),
        ("whatsapp +54 9 11 2345-6789", "+54 9 11 2345-6789"),
        ("móvil 9 8765 4321", "9 8765 4321"),
        ("cel 310 123 4567", "310 123 4567"),
        ("teléfono 987 654 321", "987 654 321"),
        ("contacto 094 231 234", "094 231 234"),
        ("(+57) 310 123 4567 no contesta", "(+57) 310 123 4567"),
    ],
)
def test_latam_mobile_formats(redactor: Redactor, text: str, phone: str) -> None:
    assert ("PHONE_NUMBER", phone) in found(redactor, text)


@pytest.mark.parametrize(
    "text",
    [
        "latency_ms=1234 p99=5678 status=503 retries=3",
        "order 1234567812345678 amount 98765 BRL",
        "deployed fraud-xgb 2.14.3 at 2026-12-06T03:21:00Z build 20261206.1",
        "epoch 1733450000 took 12.345 s; 200 OK; 9 8765 records",
        "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span=00f067aa0ba902b7",
        "rows=9876543210 bytes=3101234567",
    ],
)
def test_operational_numbers_are_not_phones(redactor: Redactor, text: str) -> None:
    assert found(redactor, text) == []


def test_one_cue_list_drives_keys_and_text() -> None:
    assert sensitive_entity("card_holder") == "PERSON"
    assert sensitive_entity("Customer") == "PERSON?"  # soft: a person only when the value reads as one
    assert {"cardholder", "titular", "beneficiario"} <= NAME_KEYS
    assert {"customer", "owner", "contact", "responsavel", "escalatedby"} <= SOFT_NAME_KEYS
    assert {"escalated by", "cliente", "responsável", "titular"} <= set(TEXT_CUES)


def test_gazetteer_knows_latam_names_with_and_without_accents() -> None:
    names = gazetteer()
    assert names.is_given("João") and names.is_given("Joao") and names.is_name("Rincón")
    assert names.name_run(["O", "cliente", "Juan", "de", "la", "Cruz", "ligou"]) == (2, 6)
    assert names.name_run(["Santiago", "de", "Chile"]) is None


def test_structured_soft_keys_and_urls(redactor: Redactor) -> None:
    data = {
        "customer": "Ana Gómez",
        "owner": "ml-platform",
        "generator_url": "http://prom:9090/graph?g0.expr=up%7Bcpf%3D%22529.982.247-25%22%7D"
        "&holder=Jo%C3%A3o+Pereira&mail=ana%40example.com",
    }
    out = redactor.redact_obj(data, "s")
    assert out["customer"] == "<PERSON_1>" and out["owner"] == "ml-platform"
    url = out["generator_url"]
    assert "529.982" not in url and "Jo%C3%A3o" not in url and "ana%40" not in url
    assert (
        url.startswith("http://prom:9090/graph?g0.expr=up%7Bcpf%3D%22%3CBR_CPF_1%3E") or "<BR_CPF_1>" in url
    )


def test_redacting_twice_changes_nothing(redactor: Redactor) -> None:
    data = {"cardholder": "Maria Silva", "note": "cpf 529.982.247-25, escalated by Ana Gómez"}
    once = redactor.redact_obj(data, "twice")
    assert redactor.redact_obj(once, "twice") == once


def test_fast_path_does_not_skip_soft_keys_or_encoded_urls(redactor: Redactor) -> None:
    records = [
        {"owner": "Valentina", "model": "fraud-xgb"},
        {"url": "https://x.example/cb?mail=ana%40example.com"},
    ]
    out = redactor.redact_obj(records, "fast")
    assert out[0]["owner"].startswith("<PERSON_") and out[0]["model"] == "fraud-xgb"
    assert "ana%40" not in out[1]["url"] and "EMAIL_ADDRESS" in out[1]["url"]
    clean = [{"owner": "ml-platform", "name": "fraud-xgb", "url": "https://x.example/models"}]
    assert redactor.redact_obj(clean, "fast") is clean  # a clean structure is returned as it is
