"""The redactor end to end: operational evidence survives, pseudonyms are stable, lines untouched."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from guardrails.redaction import RedactionSettings, Redactor
from guardrails.redaction.engine import Pseudonymize

OPERATIONAL = [
    "2025-03-14T09:00:00.137Z",
    "550e8400-e29b-41d4-a716-446655440000",
    "4bf92f3577b34da6a3ce929d0e0e4736",
    "10cead117c1cf0773cf65a3b3198e9f780aba21d",
    "fraud-xgb-57ec8bcbd-fy6p0",
    "fraud-xgb",
    "v12.3.1",
    "latency_ms=23.4",
    "status=503",
    "1234567890123456",
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
]


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor(RedactionSettings(pseudonym_key="test-key-0123456789abcdef", nlp=False))


@pytest.mark.parametrize("placeholder", ["", "changeme", "CHANGEME", "secret", "short-key"])
def test_settings_refuse_placeholder_keys(placeholder: str) -> None:
    with pytest.raises(ValidationError, match="PSEUDONYM_KEY"):
        RedactionSettings(pseudonym_key=placeholder)


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFERENT_REDACTION_PSEUDONYM_KEY", "env-key-0123456789abcdef")
    monkeypatch.setenv("REFERENT_REDACTION_NLP", "false")
    settings = RedactionSettings()
    assert settings.pseudonym_key.get_secret_value() == "env-key-0123456789abcdef"
    assert settings.nlp is False
    assert "env-key" not in repr(settings)


def test_operational_evidence_survives(redactor: Redactor) -> None:
    line = " ".join(OPERATIONAL) + " pod/fraud-xgb-57ec8bcbd-fy6p0 model=fraud-xgb version=12 HTTP/1.1 200"
    assert redactor.analyze(line) == []
    assert redactor.redact_text(line) == line


def test_same_value_same_token_within_scope(redactor: Redactor) -> None:
    text = "a 4111 1111 1111 1111 b 5500000000000004 c 4111111111111111 d cpf 529.982.247-25"
    out = redactor.redact_text(text, scope="incident-7")
    assert out == "a <CREDIT_CARD_1> b <CREDIT_CARD_2> c <CREDIT_CARD_1> d cpf <BR_CPF_1>"
    # the numbering continues across calls in the scope, and the mapping is stable
    assert redactor.redact_text("card 5500 0000 0000 0004", scope="incident-7") == "card <CREDIT_CARD_2>"
    # another scope numbers afresh
    assert redactor.redact_text("card 5500 0000 0000 0004", scope="incident-8") == "card <CREDIT_CARD_1>"


def test_pseudonyms_are_keyed() -> None:
    first = Redactor(RedactionSettings(pseudonym_key="key-one-0123456789abcdef", nlp=False))
    second = Redactor(RedactionSettings(pseudonym_key="key-two-0123456789abcdef", nlp=False))
    assert first.vault.digest("BR_CPF", "52998224725") != second.vault.digest("BR_CPF", "52998224725")
    assert first.vault.digest("BR_CPF", "529.982.247-25") == first.vault.digest("BR_CPF", "52998224725")


def test_redact_lines_keeps_clean_lines_identical(redactor: Redactor) -> None:
    lines = [
        "2025-03-14T09:00:00Z INFO trace_id=4bf92f3577b34da6a3ce929d0e0e4736 latency_ms=12 status=200  ",
        "pay card=4111111111111111 email=a.b@example.com",
        "\ttabs\tand  spaces  kept ",
        "",
        "-----BEGIN EC PRIVATE KEY-----",
        "MHcCAQEEIBkg4LVWM9nuwNSk3yIzVBp6mCOrHy3oFhH2bUaZBw4koAoGCCqGSM49",
        "-----END EC PRIVATE KEY-----",
        "tail line",
    ]
    out = redactor.redact_lines("\n".join(lines), scope="lines").split("\n")
    assert out[0] == lines[0] and out[2] == lines[2] and out[3] == lines[3] and out[-1] == lines[-1]
    assert out[1] == "pay card=<CREDIT_CARD_1> email=<EMAIL_ADDRESS_1>"
    assert out[4] == "<PRIVATE_KEY_1>"


def test_fast_path_agrees_with_the_presidio_analyzer(redactor: Redactor) -> None:
    text = "cpf 529.982.247-25 pan 4111111111111111 key AKIAIOSFODNN7EXAMPLE mail x.y@example.org"
    fast = {(f.entity_type, f.start, f.end) for f in redactor.analyze(text)}
    plain = {(r.entity_type, r.start, r.end) for r in redactor.analyzer.analyze(text, language="en")}
    assert fast == plain


def test_presidio_anonymizer_uses_the_same_pseudonyms(redactor: Redactor) -> None:
    from presidio_anonymizer.entities import OperatorConfig

    text = "card 4111111111111111"
    results = redactor.analyzer.analyze(text, language="en")
    operators = {
        "DEFAULT": OperatorConfig(Pseudonymize().operator_name(), {"vault": redactor.vault, "scope": "p"})
    }
    anonymized = redactor.anonymizer.anonymize(text, results, operators=operators)
    assert anonymized.text == redactor.redact_text(text, scope="p") == "card <CREDIT_CARD_1>"


def test_findings_never_carry_the_value(redactor: Redactor) -> None:
    finding = redactor.analyze("cpf 529.982.247-25")[0]
    assert set(finding.model_dump()) == {"entity_type", "start", "end", "score"}
    assert "529" not in finding.model_dump_json()


def test_patterns_only_with_a_warning_when_the_model_is_missing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from guardrails.redaction import redactor as module

    monkeypatch.setattr(module, "installed_spacy_model", lambda: None)
    with caplog.at_level("WARNING", logger=module.__name__):
        redactor = Redactor(RedactionSettings(pseudonym_key="test-key-0123456789abcdef", nlp=True))
    assert redactor.ner is None
    assert "patterns-only" in caplog.text
    assert redactor.redact_text('cardholder="Maria Silva"') == 'cardholder="<PERSON_1>"'
