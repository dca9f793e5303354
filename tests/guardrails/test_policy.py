"""Policy decisions: default deny, precedence, groups, constraints, budgets, file validation."""

from __future__ import annotations

import pytest

from guardrails.policy import Decision, Policy, PolicyFile


def make(rules, **extra) -> Policy:
    return Policy(PolicyFile.model_validate({"rules": rules, **extra}))


def test_default_deny_without_rules():
    decision = make([]).decide("agent:triage", "prometheus.query", "read", "production", {})
    assert decision.decision is Decision.DENY and "default deny" in decision.reason


def test_deny_beats_approval_beats_allow():
    rules = [
        {"name": "a", "principals": ["agent:*"], "tools": ["*"], "decision": "allow"},
        {
            "name": "b",
            "principals": ["agent:x"],
            "tools": ["mlflow.*"],
            "decision": "needs_approval",
            "approvers": ["user:l"],
        },
        {"name": "c", "principals": ["agent:x"], "tools": ["mlflow.delete_alias"], "decision": "deny"},
    ]
    p = make(rules)
    assert p.decide("agent:y", "mlflow.set_alias", "write", "dev", {}).decision is Decision.ALLOW
    assert p.decide("agent:x", "mlflow.set_alias", "write", "dev", {}).decision is Decision.NEEDS_APPROVAL
    assert p.decide("agent:x", "mlflow.delete_alias", "destructive", "dev", {}).decision is Decision.DENY


def test_groups_environments_and_actions():
    p = make(
        [
            {
                "name": "r",
                "principals": ["group:oncall"],
                "tools": ["prometheus.*"],
                "actions": ["read"],
                "environments": ["production"],
                "decision": "allow",
            }
        ],
        groups={"oncall": ["slack:U1*"]},
    )
    assert p.decide("slack:U123", "prometheus.query", "read", "production", {}).allowed
    assert not p.decide("slack:U999"[:6] + "X", "prometheus.query", "read", "production", {}).allowed
    assert not p.decide("slack:U123", "prometheus.query", "read", "staging", {}).allowed
    assert not p.decide("slack:U123", "prometheus.query", "write", "production", {}).allowed


def test_constraints_missing_and_outside():
    p = make(
        [
            {
                "name": "r",
                "principals": ["agent:promotion"],
                "tools": ["mlflow.set_alias"],
                "constraints": {"model": ["fraud-*"]},
                "decision": "allow",
            }
        ]
    )
    assert p.decide("agent:promotion", "mlflow.set_alias", "write", "dev", {"model": "fraud-scorer"}).allowed
    d = p.decide("agent:promotion", "mlflow.set_alias", "write", "dev", {"model": "ledger"})
    assert not d.allowed and "outside rule" in d.reason
    d = p.decide("agent:promotion", "mlflow.set_alias", "write", "dev", {})
    assert "required" in d.reason


def test_needs_approval_requires_approvers():
    with pytest.raises(ValueError, match="approvers"):
        make([{"name": "r", "principals": ["*"], "tools": ["*"], "decision": "needs_approval"}])


def test_unknown_keys_rejected(tmp_path):
    bad = tmp_path / "p.yaml"
    bad.write_text("rules:\n  - {name: r, principals: ['*'], tools: ['*'], decision: allow, typo: 1}\n")
    with pytest.raises(ValueError):
        Policy.load(bad)


def test_shipped_policy_for_the_four_agents():
    p = Policy.load()
    for agent in ("triage", "runbook", "rightsizing", "promotion"):
        assert p.decide(f"agent:{agent}", "prometheus.query", "read", "production", {}).allowed
        assert (
            p.decide(
                f"agent:{agent}", "mlflow.delete_alias", "destructive", "dev", {"model": "fraud-scorer"}
            ).decision
            is Decision.DENY
        )
    assert (
        p.decide(
            "agent:triage", "mlflow.set_alias", "write", "production", {"model": "fraud-scorer"}
        ).decision
        is Decision.DENY
    )
    assert (
        p.decide(
            "agent:promotion", "mlflow.set_alias", "write", "production", {"model": "fraud-scorer"}
        ).decision
        is Decision.NEEDS_APPROVAL
    )
    assert p.decide(
        "agent:promotion", "mlflow.set_alias", "write", "staging", {"model": "fraud-scorer"}
    ).allowed
    assert p.budget_for("agent:triage").tool_calls == 120
    assert p.budget_for("token:someone").tool_calls == 200
    assert p.can_approve("user:ml-lead", ("group:ml-approvers",))
    assert not p.can_approve("agent:promotion", ("group:ml-approvers",))
    assert p.can_reveal("user:security-officer") and not p.can_reveal("agent:triage")


def test_a_group_or_glob_is_never_a_principal():
    rules = [{"name": "g", "principals": ["group:ops"], "tools": ["*"], "decision": "allow"}]
    p = make(rules, groups={"ops": ["user:ana"]}, vault_reveal=["group:ops"])
    assert p.decide("user:ana", "prometheus.query", "read", "dev", {}).allowed
    for forged in ("group:ops", "user:*", "user:an?"):
        assert p.decide(forged, "prometheus.query", "read", "dev", {}).decision is Decision.DENY
        assert not p.can_approve(forged, ("group:ops", "user:*"))
        assert not p.can_reveal(forged)
    assert p.can_reveal("user:ana") and p.can_approve("user:ana", ("group:ops",))


@pytest.mark.parametrize("target", ["group:approvers", "user:*", "agent:triage", "ana"])
def test_cli_users_must_map_to_a_human_principal(target):
    with pytest.raises(ValueError):
        make([], cli_users={"ana": target})
    assert make([], cli_users={"ana": "user:ml-lead"}).spec.cli_users == {"ana": "user:ml-lead"}


def test_one_alias_map_unknown_is_production():
    p = make([], environments={"aliases": {"Shadow": "staging"}})
    assert p.environment_of_alias("shadow") == "staging"
    assert p.environment_of_alias("champion") == "production"  # not in this map: strictest
    assert make([]).environment_of_alias("staging") == "staging"  # the default map
    with pytest.raises(ValueError):
        make([], environments={"aliases": {"x": "qa"}})
