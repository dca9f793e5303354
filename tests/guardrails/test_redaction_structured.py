"""Structure-aware redaction of dicts, lists and JSON strings."""

from __future__ import annotations

import json

import pytest

from guardrails.redaction import RedactionSettings, Redactor
from guardrails.redaction.structured import sensitive_entity


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor(RedactionSettings(pseudonym_key="test-key-0123456789abcdef", nlp=False))


@pytest.mark.parametrize(
    ("key", "entity"),
    [
        ("password", "PASSWORD"),
        ("DB_PASSWORD", "PASSWORD"),
        ("api-key", "SECRET"),
        ("slack_bot_token", "SECRET"),
        ("Authorization", "BEARER_TOKEN"),
        ("cardholder_name", "PERSON"),
        ("cpf", "BR_CPF"),
        ("email", "EMAIL_ADDRESS"),
        ("phone", "PHONE_NUMBER"),
        ("max_tokens", None),
        ("prompt_tokens", None),
        ("model_name", None),
        ("trace_id", None),
    ],
)
def test_sensitive_keys(key: str, entity: str | None) -> None:
    assert sensitive_entity(key) == entity


def test_sensitive_keys_are_redacted_whatever_their_value(redactor: Redactor) -> None:
    obj = {
        "password": "x",
        "cardholder_name": "maria silva",  # lower case: no pattern would catch it
        "cpf": 52998224725,
        "authorization": {"scheme": "Bearer", "credentials": "abc"},
        "email": None,
        "ok": True,
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "latency_ms": 12.5,
        "max_tokens": 512,
    }
    out = redactor.redact_obj(obj, scope="s")
    assert out == {
        "password": "<PASSWORD_1>",
        "cardholder_name": "<PERSON_1>",
        "cpf": "<BR_CPF_1>",
        "authorization": {"scheme": "<BEARER_TOKEN_1>", "credentials": "<BEARER_TOKEN_2>"},
        "email": None,
        "ok": True,
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "latency_ms": 12.5,
        "max_tokens": 512,
    }


def test_nested_values_and_json_strings(redactor: Redactor) -> None:
    payload = json.dumps(
        {"customer": {"cpf": "529.982.247-25", "note": "card 4111111111111111"}, "status": 200}
    )
    obj = {
        "events": [{"msg": "mail a.b@example.com"}, payload],
        "pan": 4111111111111111,
        "untouched": '{"a": 1}',
    }
    out = redactor.redact_obj(obj, scope="j")
    assert out["events"][0] == {"msg": "mail <EMAIL_ADDRESS_1>"}
    assert json.loads(out["events"][1]) == {
        "customer": {"cpf": "<BR_CPF_1>", "note": "card <CREDIT_CARD_1>"},
        "status": 200,
    }
    assert out["pan"] == "<CREDIT_CARD_1>"
    assert out["untouched"] == '{"a": 1}'  # unchanged JSON strings keep their exact text


def test_original_object_is_not_modified(redactor: Redactor) -> None:
    obj = {"password": "x", "items": ["a.b@example.com"]}
    redactor.redact_obj(obj)
    assert obj == {"password": "x", "items": ["a.b@example.com"]}


def test_clean_plain_data_takes_the_one_scan_path(redactor: Redactor) -> None:
    obj = {"lines": ['{"pod":"fraud-scorer-7f9c-0","status":200}'] * 3, "n": 3, "ok": None}
    assert redactor.redact_obj(obj, scope="f") is obj  # nothing found: no copy, no per-leaf walk


@pytest.mark.parametrize(
    "obj",
    [
        {"lines": ['{"pod":"p-0","db_password":"hunter2"}']},  # a sensitive key inside a JSON string
        {"rows": [{"pod": "p-0"}, {"meta": {"api_key": "k"}}]},  # deep, with a clean-looking value
        [["p-0", '[{"cardholder": "ana"}]']],  # inside a JSON list inside a string
    ],
)
def test_sensitive_keys_anywhere_leave_the_fast_path(redactor: Redactor, obj: object) -> None:
    out = json.dumps(redactor.redact_obj(obj, scope="k"))
    assert "hunter2" not in out and '"k"' not in out and "ana" not in out
    assert "p-0" in out


def test_non_json_containers_are_copied_as_json(redactor: Redactor) -> None:
    out = redactor.redact_obj({"pods": ("p-0", "p-1"), "ids": {7}}, scope="t")
    assert out == {"pods": ["p-0", "p-1"], "ids": [7]}
