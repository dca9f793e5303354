"""Secrets: cloud keys, vendor tokens, JWTs, bearer values, passwords in DSNs and pairs, PEM blocks."""

from __future__ import annotations

import base64
import json

import pytest

from guardrails.redaction import RedactionSettings, Redactor

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
GIT_SHA = "10cead117c1cf0773cf65a3b3198e9f780aba21d"


def jwt() -> str:
    def seg(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{seg({'alg': 'HS256', 'typ': 'JWT'})}.{seg({'sub': 'u-123', 'exp': 1})}.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor(RedactionSettings(pseudonym_key="test-key-0123456789abcdef", nlp=False))


def found(redactor: Redactor, text: str) -> list[tuple[str, str]]:
    return [(f.entity_type, text[f.start : f.end]) for f in redactor.analyze(text)]


TOKEN = jwt()
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq9\nZmFrZWtleWRhdGE=\n-----END RSA PRIVATE KEY-----"


@pytest.mark.parametrize(
    ("entity", "text", "value"),
    [
        ("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
        ("AWS_SECRET_KEY", f"aws_secret_access_key = {AWS_SECRET}", AWS_SECRET),
        ("AWS_SECRET_KEY", f'"SecretAccessKey": "{AWS_SECRET}"', AWS_SECRET),
        ("SLACK_TOKEN", "SLACK=xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"),
        ("GITHUB_TOKEN", "https://ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A@github.com/acme/x", "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A"),
        ("GITHUB_TOKEN", "token github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"),
        ("OPENAI_API_KEY", "OPENAI_API_KEY=sk-proj-Ab12Cd34Ef56Gh78Ij90KlMnOpQrStUv", "sk-proj-Ab12Cd34Ef56Gh78Ij90KlMnOpQrStUv"),
        ("JWT", f"Authorization: Bearer {TOKEN}", TOKEN),
        ("BEARER_TOKEN", "Authorization: Bearer 9f8e7d6c5b4a39281706abcdef", "9f8e7d6c5b4a39281706abcdef"),
        ("BEARER_TOKEN", "authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
        ("PASSWORD", "DATABASE_URL=postgresql://svc:S3cr3t!x@db.internal:5432/fraud", "S3cr3t!x"),
        ("PASSWORD", "amqp://guest:guestpw@rabbit:5672/", "guestpw"),
        ("PASSWORD", "login user=etl password=Hunter2Hunter2 attempt=2", "Hunter2Hunter2"),
        ("PASSWORD", '{"db_password": "p@ss w0rd"}', "p@ss"),
        ("SECRET", "client_secret=abc123def456 scope=read", "abc123def456"),
        ("SECRET", "x-api-key: 0a1b2c3d4e5f", "0a1b2c3d4e5f"),
        ("SECRET", "slack_bot_token=tok-123456", "tok-123456"),
        ("PRIVATE_KEY", f"key:\n{PEM}\nend", PEM),
        ("PRIVATE_KEY", '{"value":"-----BEGIN PRIVATE KEY-----\\nMIIEv\\n-----END PRIVATE KEY-----"}', "-----BEGIN PRIVATE KEY-----\\nMIIEv\\n-----END PRIVATE KEY-----"),
    ],
)  # fmt: skip
def test_secrets_are_found(redactor: Redactor, entity: str, text: str, value: str) -> None:
    assert (entity, value) in found(redactor, text)


@pytest.mark.parametrize(
    "text",
    [
        f"git_sha={GIT_SHA} deployed",  # 40 hex chars are not an AWS secret without the key name
        "pod sk-fraud-scorer-7d9f8b6c4-x2klm restarted",  # pod name starting with sk-
        "Authorization: Bearer <redacted>",
        "password=*** attempt=2",
        "password=${DB_PASSWORD}",
        "prompt_tokens=120 completion_tokens=80 max_tokens=512",
        "secret_name=db-creds namespace=ml",
        "eyJhbGciOi.notajwt.atall",
        "postgresql://db.internal:5432/fraud",  # no credentials in the URL
    ],
)
def test_secret_lookalikes_are_left_alone(redactor: Redactor, text: str) -> None:
    assert found(redactor, text) == []


def test_dsn_password_wins_over_email_lookalike(redactor: Redactor) -> None:
    text = "postgres://svc:pw123@db.payments.com/x"
    assert found(redactor, text) == [("PASSWORD", "pw123")]
    assert redactor.redact_text(text, "s") == "postgres://svc:<PASSWORD_1>@db.payments.com/x"


def test_value_under_a_secret_key_is_redacted_whatever_it_looks_like(redactor: Redactor) -> None:
    # hex-only is no AWS secret key shape, but the key name still makes the value a secret
    assert found(redactor, f"aws_secret_access_key = {GIT_SHA}") == [("SECRET", GIT_SHA)]
