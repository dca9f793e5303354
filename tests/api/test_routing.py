"""Routing rules (Alertmanager-style label matchers → Slack channel) from the settings and the policy file.

``REFERENT_ROUTES`` is read first, then the policy's ``routes``; first match wins, else the default
channel. A malformed matcher refuses to load (settings, policy file, ``referent serve``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from dbos import DBOS
from pydantic import SecretStr, ValidationError

from api.settings import ServiceSettings
from guardrails.policy import DEFAULT_POLICY, Policy, PolicyFile
from guardrails.routing import Route, parse_matcher

AM = "/v1/alerts/alertmanager"


@pytest.mark.parametrize(
    ("matcher", "labels", "holds"),
    [
        ('severity="critical"', {"severity": "critical"}, True),
        ("severity=critical", {"severity": "warning"}, False),
        ('team!="fraud"', {"team": "risk"}, True),
        ('team!="fraud"', {}, True),
        ('team=""', {}, True),
        ('team=~"fraud|risk"', {"team": "risk"}, True),
        ('team=~"fraud"', {"team": "fraud-ml"}, False),  # anchored at both ends
        ('namespace!~"kube-.*"', {"namespace": "kube-system"}, False),
        ('namespace !~ "kube-.*"', {"namespace": "payments"}, True),
        (r'msg="say \"hi\""', {"msg": 'say "hi"'}, True),
    ],
)
def test_matchers_follow_alertmanager(matcher: str, labels: dict[str, str], holds: bool) -> None:
    assert parse_matcher(matcher).holds(labels) is holds


@pytest.mark.parametrize(
    ("matcher", "why"),
    [
        ("team~fraud", "does not parse"),
        ('="fraud"', "does not parse"),
        ('team=~"(fraud"', "bad regular expression"),
        ('team="fraud', "unbalanced quotes"),
        ('1team="x"', "does not parse"),
    ],
)
def test_bad_matchers_are_refused_with_the_reason(matcher: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_matcher(matcher)
    with pytest.raises(ValidationError, match=why):
        Route.model_validate({"matchers": [matcher], "channel": "C0X"})


def test_a_route_rejects_unknown_keys_and_legacy_maps_still_work() -> None:
    with pytest.raises(ValidationError, match="matcher"):
        Route.model_validate({"matcher": ['team="x"'], "channel": "C0X"})
    legacy = Route.model_validate(
        {"match": {"team": "fraud"}, "match_re": {"namespace": "pay.*"}, "channel": "C"}
    )
    assert legacy.matches({"team": "fraud", "namespace": "payments"})
    assert not legacy.matches({"team": "fraud", "namespace": "risk"})


def _policy_with_routes(tmp_path: Path, routes: list[dict[str, Any]]) -> Path:
    data = yaml.safe_load(DEFAULT_POLICY.read_text())
    data["routes"] = routes
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


POLICY_ROUTES = [
    {"matchers": ['team=~"fraud|risk"', 'severity!="info"'], "channel": "C0FRAUDRISK"},
    {"matchers": ['alertname!~"Fraud.*"'], "channel": "C0MISC"},
]
SETTINGS_ROUTES = [{"matchers": ['team="risk"', 'env="staging"'], "channel": "C0OVERRIDE"}]


def test_settings_routes_come_before_the_policy_routes(tmp_path: Path) -> None:
    policy = Policy.load(_policy_with_routes(tmp_path, POLICY_ROUTES))
    settings = ServiceSettings(routes=SETTINGS_ROUTES, slack_channel="C0DEFAULT")
    assert settings.channel_for({"team": "risk", "env": "staging"}, policy) == "C0OVERRIDE"
    assert settings.channel_for({"team": "risk", "env": "prod", "severity": "page"}, policy) == "C0FRAUDRISK"
    assert settings.channel_for({"team": "risk", "severity": "info", "alertname": "X"}, policy) == "C0MISC"
    assert settings.channel_for({"alertname": "FraudX"}, policy) == "C0DEFAULT"
    assert settings.channel_for({"team": "risk"}) == "C0DEFAULT"  # without the policy: settings only


def test_the_shipped_policy_loads_and_routes_nothing() -> None:
    assert Policy.load().spec.routes == []
    with pytest.raises(ValidationError, match="does not parse"):
        PolicyFile.model_validate({"rules": [], "routes": [{"matchers": ["team"], "channel": "C"}]})


@pytest.mark.integration
def test_policy_routes_send_each_report_to_its_channel(
    tmp_path: Path, kit: Any, recorder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from tools.settings import PlatformSettings

    monkeypatch.setenv("REFERENT_POLICY_FILE", str(_policy_with_routes(tmp_path, POLICY_ROUTES)))
    platform = PlatformSettings(
        prometheus_url=None,
        mlflow_tracking_uri=None,
        slack_bot_token=SecretStr(kit.SLACK_BOT),
        slack_api_url=recorder.api_url,
    )
    services = kit.make_services(
        tmp_path / "state", platform=platform, slack_channel="C0DEFAULT", routes=SETTINGS_ROUTES
    )
    alerts = [
        kit.am_alert(fingerprint="aaaa000000000001", team="fraud"),
        kit.am_alert(fingerprint="aaaa000000000002", team="risk", env="staging"),
        kit.am_alert("ModelDrift", fingerprint="aaaa000000000003", team="risk", severity="info"),
        kit.am_alert(fingerprint="aaaa000000000004", team="payments"),
    ]
    try:
        with TestClient(create_app(services)) as client:
            auth = {"Authorization": f"Bearer {kit.AM_TOKEN}"}
            ids = client.post(AM, json=kit.alertmanager_payload(*alerts), headers=auth).json()["incidents"]
            for iid in ids:
                DBOS.retrieve_workflow(f"triage-{iid}").get_result()
            roots = {
                r["body"]["channel"]: r["body"]["text"]
                for r in recorder.requests("chat.postMessage")
                if not r["body"].get("thread_ts")
            }
    finally:
        services.close()
    expected = ["C0FRAUDRISK", "C0OVERRIDE", "C0MISC", "C0DEFAULT"]
    assert {channel: iid in roots.get(channel, "") for channel, iid in zip(expected, ids, strict=True)} == {
        channel: True for channel in expected
    }


def test_serve_refuses_a_policy_with_a_bad_matcher(tmp_path: Path) -> None:
    bad = _policy_with_routes(tmp_path, [{"matchers": ['team=~"(fraud"'], "channel": "C0X"}])
    env = {**os.environ, "REFERENT_POLICY_FILE": str(bad), "REFERENT_STATE_DIR": str(tmp_path / "state")}
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "serve", "--port", "65535"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 2, done.stderr
    assert (
        "policy file" in done.stderr
        and "routes" in done.stderr
        and "bad regular expression" in done.stderr
        and "(fraud" in done.stderr
    )
