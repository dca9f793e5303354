"""Service settings: secrets from the environment, token digests, routes, production refusals."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.settings import Role, ServiceSettings, token_digest

STRONG = "a-real-secret-0123456789abcdef"


def test_environment_names(monkeypatch):
    monkeypatch.setenv("REFERENT_ALERTMANAGER_TOKEN", STRONG)
    monkeypatch.setenv("REFERENT_PAGERDUTY_SECRETS", "new-secret-0123456789, old-secret-0123456789")
    monkeypatch.setenv("REFERENT_SLACK_SIGNING_SECRET", STRONG)
    monkeypatch.setenv("REFERENT_FINOPS_CRON", "*/5 * * * *")
    monkeypatch.setenv("REFERENT_SLACK_CHANNEL", "C0DEFAULT")
    s = ServiceSettings()
    assert s.alertmanager_ok(STRONG) and not s.alertmanager_ok(STRONG[:-1])
    assert [p.get_secret_value() for p in s.pagerduty_secrets] == [
        "new-secret-0123456789",
        "old-secret-0123456789",
    ]
    assert s.slack_signing_secret is not None and s.finops_cron == "*/5 * * * *"
    assert STRONG not in repr(s)


def test_tokens_are_kept_as_digests_and_mapped_to_roles(monkeypatch):
    raw, hashed = "ci-token-0123456789", token_digest("ops-token-0123456789")
    monkeypatch.setenv(
        "REFERENT_API_TOKENS",
        f'{{"{raw}": {{"name": "ci", "role": "operator"}}, "{hashed}": {{"name": "ops", "role": "admin"}}}}',
    )
    s = ServiceSettings()
    assert raw not in s.api_tokens and token_digest(raw) in s.api_tokens
    ci = s.token_owner(raw)
    assert ci is not None and ci.principal == "token:ci" and ci.level == Role.operator
    assert s.token_owner("ops-token-0123456789").level == Role.admin
    assert s.token_owner("nope") is None and s.token_owner(hashed) is None
    monkeypatch.setenv("REFERENT_API_TOKENS", '{"t": {"name": "x", "role": "root"}}')
    with pytest.raises(ValidationError):
        ServiceSettings()


def test_routes_pick_the_first_matching_channel(monkeypatch):
    monkeypatch.setenv(
        "REFERENT_ROUTES",
        '[{"match": {"team": "fraud"}, "channel": "C0FRAUD"}, {"match_re": {"namespace": "pay.*"}, "channel": "C0PAY"}]',
    )
    s = ServiceSettings(slack_channel="C0DEFAULT")
    assert s.channel_for({"team": "fraud", "namespace": "payments"}) == "C0FRAUD"
    assert s.channel_for({"namespace": "payments"}) == "C0PAY"
    assert s.channel_for({"namespace": "risk"}) == "C0DEFAULT"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "REFERENT_ALERTMANAGER_TOKEN"),
        ({"REFERENT_ALERTMANAGER_TOKEN": "changeme"}, "REFERENT_ALERTMANAGER_TOKEN"),
        (
            {"REFERENT_ALERTMANAGER_TOKEN": STRONG, "REFERENT_SLACK_SIGNING_SECRET": "secret"},
            "SIGNING_SECRET",
        ),
        (
            {"REFERENT_ALERTMANAGER_TOKEN": STRONG, "REFERENT_PAGERDUTY_SECRETS": f"{STRONG},short"},
            "PAGERDUTY",
        ),
    ],
)
def test_production_refuses_placeholder_secrets(monkeypatch, env, named):
    monkeypatch.setenv("REFERENT_ENV", "production")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ValidationError, match=named):
        ServiceSettings()


def test_production_starts_with_real_secrets(monkeypatch):
    monkeypatch.setenv("REFERENT_ENV", "production")
    monkeypatch.setenv("REFERENT_ALERTMANAGER_TOKEN", STRONG)
    assert ServiceSettings().env == "production"
    # development tolerates missing secrets (the route then refuses every delivery)
    monkeypatch.setenv("REFERENT_ENV", "development")
    monkeypatch.delenv("REFERENT_ALERTMANAGER_TOKEN")
    assert not ServiceSettings().alertmanager_ok("")
