"""Promotion agent on the real sandbox (MLflow, Prometheus, Feast): each gate failing alone, the
approval wait and resume after a restart, and rollback.

Test models are loaded into the shared MLflow under unique ``fraud-promo-*`` names (the policy lets the
promotion agent write ``fraud-*`` models) so the demo models other tests assert on stay untouched.
Version layout of the main test model (champion v1, staging last held by v2)::

    v2 good   v3 worse metrics   v4 renamed input   v5 no approval tag   v6 never staged
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from agents.deps import AgentDeps
from agents.promotion import ApprovalPending, GateStatus, resume_run, run_promotion, run_rollback
from agents.promotion.checkpoint import checkpointer, sqlite_checkpointer
from agents.promotion.render import APPROVE_ACTION, DENY_ACTION, to_slack_blocks
from agents.promotion.settings import PromotionSettings
from agents.reports import ReportStore
from guardrails.gateway import CallContext

pytestmark = pytest.mark.integration

KEY = "test-pseudonym-key-0123456789abcdef"
APPROVER = "token:release-manager"  # in the default policy's ml-approvers


def release_manager() -> Any:
    """The release manager's API token, authenticated the way the REST API does (digest lookup)."""
    import hashlib

    from guardrails.identity import token_identity

    raw = "release-manager-token-0123456789"
    return token_identity(raw, {hashlib.sha256(raw.encode()).hexdigest(): "release-manager"})


FRESH = [
    {"name": "txn_count_1h", "type": "long"},
    {"name": "txn_amount_sum_24h", "type": "double"},
    {"name": "card_age_days", "type": "long"},
]
RENAMED = [FRESH[0], {"name": "txn_amount_sum_24h_cents", "type": "long"}, FRESH[2]]
STALE = [{"name": "payout_amount_7d", "type": "double"}, {"name": "payout_count_7d", "type": "long"}]
OUT = [{"name": "score", "type": "double"}]
TAGS = {"owner": "fraud-ml", "training_data_version": "txn-2026-11-01", "approval": "approved"}
GOOD = {"auc": 0.91, "log_loss": 0.079}
# The test models serve no traffic: the policy waives canary evidence for them (except where a test
# checks that production requires it).
WAIVED = PromotionSettings(canary_waived_models=["fraud-promo-*"])


def _v(
    n: int,
    ago: str,
    metrics: dict[str, float] | None = None,
    tags: dict[str, str] | None = None,
    inputs: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    return {
        "version": n,
        "created_ago": ago,
        "metrics": metrics or GOOD,
        "tags": TAGS if tags is None else tags,
        "inputs": inputs or FRESH,
        "outputs": OUT,
    }


def _two_versions(
    name: str, inputs: list[dict[str, str]], tags: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "name": name,
        "tags": {"owner": "fraud-ml", **(tags or {})},
        "versions": [
            _v(1, "10d", {"auc": 0.90, "log_loss": 0.08}, inputs=inputs),
            _v(2, "3d", inputs=inputs),
        ],
        "alias_history": [
            {"alias": "champion", "version": 1, "ago": "9d"},
            {"alias": "staging", "version": 2, "ago": "2d"},
        ],
    }


def _custom_metric_model(name: str) -> dict[str, Any]:
    """v2 is worse on a lower-is-better metric the defaults do not know (declared in the world)."""
    model = _two_versions(name, FRESH)
    model["metric_directions"] = {"chargeback_loss_bps": "min"}
    model["versions"][0]["metrics"] = {**GOOD, "chargeback_loss_bps": 12.0}
    model["versions"][1]["metrics"] = {**GOOD, "chargeback_loss_bps": 14.0}
    return model


@pytest.fixture(scope="module")
def models(demo_sandbox: dict[str, Any]) -> dict[str, str]:
    """Load the test models into the sandbox's MLflow once for this module."""
    from evals.sandbox import mlflow_world
    from evals.worlds.schema import World

    base = f"fraud-promo-{uuid.uuid4().hex[:6]}"
    names = {
        "gates": base,
        "stale": f"{base}-stale",
        "slo": f"{base}-slo",
        "write": f"{base}-write",
        "cli": f"{base}-cli",
        "custom": f"{base}-custom",
    }
    gates = {
        "name": names["gates"],
        "tags": {"owner": "fraud-ml"},
        "versions": [
            _v(1, "10d", {"auc": 0.90, "log_loss": 0.08}),
            _v(2, "3d"),
            _v(3, "6d", {"auc": 0.85, "log_loss": 0.08}),
            _v(4, "5d", inputs=RENAMED),
            _v(5, "4d", tags={k: v for k, v in TAGS.items() if k != "approval"}),
            _v(6, "1d"),
        ],
        "alias_history": [{"alias": "champion", "version": 1, "ago": "9d"}]
        + [
            {"alias": "staging", "version": v, "ago": ago}
            for v, ago in ((3, "6d"), (4, "5d"), (5, "4d"), (2, "2d"))
        ],
    }
    world = World.model_validate(
        {
            "name": "promotion-test",
            "models": [
                gates,
                _two_versions(names["stale"], STALE),
                # serves as payout-anomaly (which has traffic on v2 and no model alert) with a 10 ms p99 limit
                _two_versions(
                    names["slo"], FRESH, {"serving.model": "payout-anomaly", "slo.latency_p99_ms": "10"}
                ),
                _two_versions(names["write"], FRESH),
                _two_versions(names["cli"], FRESH),
                _custom_metric_model(names["custom"]),
            ],
        }
    )
    mlflow_world.load_models(world, datetime.now(UTC), demo_sandbox["mlflow_uri"])
    return names


def build(state_dir: Path, sandbox_dir: str, database_url: str | None = None) -> Any:
    """A fresh runtime over the sandbox and the state in ``state_dir`` or ``database_url`` (a "process")."""
    from guardrails.factory import build_runtime
    from guardrails.settings import GuardrailSettings
    from tools.settings import PlatformSettings

    return build_runtime(
        GuardrailSettings(state_dir=state_dir, database_url=database_url, pseudonym_key=SecretStr(KEY)),
        PlatformSettings(sandbox_dir=Path(sandbox_dir)),
    )


@pytest.fixture
def rt(demo_sandbox: dict[str, Any], tmp_path: Path) -> Iterator[Any]:
    runtime = build(tmp_path, demo_sandbox["dir"])
    yield runtime
    runtime.close()


def deps_for(runtime: Any, run_id: str | None = None) -> AgentDeps:
    ctx = CallContext("agent:promotion", run_id or f"it-{uuid.uuid4().hex[:8]}")
    return AgentDeps(gateway=runtime.gateway, ctx=ctx)


def dry(runtime: Any, model: str, version: int, target: str = "production", settings: Any = WAIVED) -> Any:
    return run_promotion(
        deps_for(runtime),
        model,
        version,
        target,  # type: ignore[arg-type]
        dry_run=True,
        reports=ReportStore(runtime.db),
        settings=settings,
    )


def failing(report: Any) -> set[str]:
    return {g.gate for g in report.gates if g.status is GateStatus.FAIL}


# --- each gate failing alone ----------------------------------------------------------------------


def test_good_candidate_passes_every_gate(rt: Any, models: dict[str, str]) -> None:
    report = dry(rt, models["gates"], 2)
    assert failing(report) == set(), report.reasons
    assert report.decision == "promote" and not report.alias_moved
    assert (
        report.gate("canary_slo").status is GateStatus.SKIP and "no traffic" in report.gate("canary_slo").why
    )
    assert report.gate("feature_freshness").status is GateStatus.PASS  # txn_velocity, card_profile are fresh


@pytest.mark.parametrize(
    ("version", "gate", "needle"),
    [
        (3, "metrics", "auc"),
        (4, "signature", "txn_amount_sum_24h_cents"),
        (5, "tags", "approval"),
        (6, "environment_order", "never held the staging alias"),
    ],
)
def test_one_gate_fails_alone(rt: Any, models: dict[str, str], version: int, gate: str, needle: str) -> None:
    report = dry(rt, models["gates"], version)
    assert failing(report) == {gate}, report.reasons
    assert needle in report.gate(gate).why
    assert report.decision == "block"


def test_freshness_fails_alone(rt: Any, models: dict[str, str]) -> None:
    report = dry(rt, models["stale"], 2)
    assert failing(report) == {"feature_freshness"}, report.reasons
    assert "payout_stats" in report.gate("feature_freshness").why


def test_canary_slo_fails_alone(rt: Any, models: dict[str, str]) -> None:
    report = dry(rt, models["slo"], 2)
    assert failing(report) == {"canary_slo"}, report.reasons
    assert "p99" in report.gate("canary_slo").why


def test_open_incident_fails_alone(rt: Any, models: dict[str, str]) -> None:
    store = ReportStore(rt.db)
    store.save(
        kind="triage",
        run_id="t-1",
        subject=f"{models['gates']} ModelServingErrorRateHigh",
        body_json=json.dumps({"status": "open", "model": models["gates"]}),
        markdown="",
    )
    report = dry(rt, models["gates"], 2)
    assert failing(report) == {"no_open_incident"}, report.reasons
    store.save(
        kind="triage",
        run_id="t-2",
        subject=models["stale"],
        body_json=json.dumps({"status": "resolved"}),
        markdown="",
    )
    assert "no_open_incident" not in failing(dry(rt, models["stale"], 2))  # resolved reports do not count


def test_production_without_canary_evidence_blocks(rt: Any, models: dict[str, str]) -> None:
    report = dry(rt, models["gates"], 2, settings=PromotionSettings())  # no waiver
    assert failing(report) == {"canary_slo"}, report.reasons
    assert "no traffic" in report.gate("canary_slo").why and report.decision == "block"
    staging = dry(rt, models["gates"], 2, target="staging", settings=PromotionSettings())
    assert staging.gate("canary_slo").status is GateStatus.SKIP  # staging needs no canary


def test_custom_lower_is_better_metric_declared_in_the_world_blocks(
    rt: Any, demo_sandbox: dict[str, Any], models: dict[str, str]
) -> None:
    from mlflow.tracking import MlflowClient

    uri = demo_sandbox["mlflow_uri"]
    tags = MlflowClient(uri, uri).get_registered_model(models["custom"]).tags
    assert json.loads(tags["metric_directions"]) == {"chargeback_loss_bps": "min"}
    report = dry(rt, models["custom"], 2)
    assert failing(report) == {"metrics"}, report.reasons
    assert "chargeback_loss_bps" in report.gate("metrics").why


def test_demo_fraud_scorer_v4_is_blocked(rt: Any) -> None:
    report = dry(rt, "fraud-scorer", 4)
    assert report.baseline_version == "3"  # v4 already is champion: compared with the previous one
    sig = report.gate("signature")
    assert sig.status is GateStatus.FAIL and "txn_amount_sum_24h_cents" in sig.why
    assert {"signature", "tags", "environment_order", "canary_slo", "no_open_incident"} <= failing(report)
    assert report.gate("canary_slo").evidence  # measured on v4's real traffic
    stored = ReportStore(rt.db).list(kind="promotion")
    assert stored and stored[0].run_id == report.run_id


def test_staging_promotion_needs_no_approval(rt: Any, models: dict[str, str]) -> None:
    report = run_promotion(deps_for(rt), models["write"], 1, "staging")
    assert report.alias_moved and report.approval_status == "not_needed"
    assert report.previous_champion == "2"
    report = run_promotion(deps_for(rt), models["write"], 2, "staging")  # restore what the others expect
    assert report.alias_moved and report.previous_champion == "1"


# --- approval wait, restart, resume, rollback -------------------------------------------------------


def _champion(mlflow_uri: str, model: str) -> str:
    from mlflow.tracking import MlflowClient

    return str(MlflowClient(mlflow_uri, mlflow_uri).get_registered_model(model).aliases["champion"])


def test_approval_wait_resume_after_restart_and_rollback(
    demo_sandbox: dict[str, Any], models: dict[str, str], tmp_path: Path, state_db_url: str
) -> None:
    """Three "processes" (fresh runtimes) share the state store: SQLite file, or PostgreSQL for replicas."""
    model, uri, sbx = models["write"], demo_sandbox["mlflow_uri"], demo_sandbox["dir"]
    run_id = f"it-{uuid.uuid4().hex[:8]}"
    first = build(tmp_path, sbx, state_db_url)  # process 1: runs the gates, asks for approval, stops
    with checkpointer(first.settings) as saver:
        waiting = run_promotion(
            deps_for(first, run_id),
            model,
            2,
            "production",
            checkpointer=saver,
            reports=ReportStore(first.db),
            settings=WAIVED,
        )
    first.close()
    del first, saver
    # checkpoints live beside the state: a SQLite file, or the PostgreSQL database itself
    assert (tmp_path / "checkpoints.sqlite").exists() == state_db_url.startswith("sqlite")
    assert waiting.decision == "promote" and waiting.approval_status == "pending" and waiting.approval_id
    assert not waiting.alias_moved and _champion(uri, model) == "1"
    buttons = next(b for b in to_slack_blocks(waiting) if b["type"] == "actions")["elements"]
    assert {(b["action_id"], b["value"]) for b in buttons} == {
        (APPROVE_ACTION, waiting.approval_id),
        (DENY_ACTION, waiting.approval_id),
    }

    second = build(
        tmp_path, sbx, state_db_url
    )  # process 2: resume refused while pending, then a human approves
    with checkpointer(second.settings) as saver, pytest.raises(ApprovalPending):
        resume_run(deps_for(second, run_id), checkpointer=saver)
    second.gateway.decide_approval(waiting.approval_id, release_manager(), approve=True)
    second.close()

    third = build(tmp_path, sbx, state_db_url)  # process 3: resumes from the checkpoint and moves the alias
    with checkpointer(third.settings) as saver:
        done = resume_run(deps_for(third, run_id), checkpointer=saver, reports=ReportStore(third.db))
    assert done.alias_moved and done.approval_status == "approved" and done.approved_by == APPROVER
    assert done.previous_champion == "1" and _champion(uri, model) == "2"
    assert [g.gate for g in done.gates] == [g.gate for g in waiting.gates]

    rb_id = f"it-rb-{uuid.uuid4().hex[:8]}"
    with checkpointer(third.settings) as saver:
        rb = run_rollback(deps_for(third, rb_id), model, checkpointer=saver)
        assert rb.approval_status == "pending" and rb.version == "1" and _champion(uri, model) == "2"
        third.gateway.decide_approval(str(rb.approval_id), release_manager(), approve=True)
        restored = resume_run(deps_for(third, rb_id), checkpointer=saver)
    third.close()
    assert restored.alias_moved and restored.kind == "rollback" and _champion(uri, model) == "1"


def test_denied_approval_blocks(rt: Any, models: dict[str, str], tmp_path: Path) -> None:
    run_id = f"it-{uuid.uuid4().hex[:8]}"
    with sqlite_checkpointer(tmp_path / "cp.sqlite") as saver:
        waiting = run_promotion(
            deps_for(rt, run_id), models["gates"], 2, "production", checkpointer=saver, settings=WAIVED
        )
        rt.gateway.decide_approval(
            str(waiting.approval_id), release_manager(), approve=False, note="not today"
        )
        denied = resume_run(deps_for(rt, run_id), checkpointer=saver)
    assert denied.decision == "block" and denied.approval_status == "denied" and not denied.alias_moved


def test_approval_flipped_in_sql_does_not_resume(
    rt: Any, models: dict[str, str], tmp_path: Path, demo_sandbox: dict[str, Any]
) -> None:
    """An attacker with database access marks the pending approval approved: the run does not move the alias."""
    from sqlalchemy import text

    run_id = f"it-{uuid.uuid4().hex[:8]}"
    model = models["gates"]
    champion = _champion(demo_sandbox["mlflow_uri"], model)
    with sqlite_checkpointer(tmp_path / "cp.sqlite") as saver:
        waiting = run_promotion(
            deps_for(rt, run_id), model, 2, "production", checkpointer=saver, settings=WAIVED
        )
        with rt.db.engine.begin() as conn:
            conn.execute(
                text("UPDATE approvals SET status='approved', decided_by='user:ml-lead' WHERE id=:id"),
                {"id": waiting.approval_id},
            )
        resumed = resume_run(deps_for(rt, run_id), checkpointer=saver)
    assert not resumed.alias_moved and resumed.approval_status == "invalid"
    assert _champion(demo_sandbox["mlflow_uri"], model) == champion
    refused = [r for r in rt.audit.tail(20, run_id) if r.outcome == "approval_invalid"]
    assert refused and refused[-1].approval_id == waiting.approval_id and "verification" in refused[-1].reason


# --- the CLI: first half and resume in separate processes ------------------------------------------


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )


def test_cli_promote_waits_then_resumes_in_a_new_process(
    demo_sandbox: dict[str, Any], models: dict[str, str], tmp_path: Path
) -> None:
    import yaml

    from guardrails.identity import os_user
    from guardrails.policy import DEFAULT_POLICY

    policy = yaml.safe_load(DEFAULT_POLICY.read_text())
    policy["cli_users"] = {os_user(): "user:ml-lead"}  # whoever runs the tests starts the run as ml-lead
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump(policy))
    env = {
        **os.environ,
        "REFERENT_POLICY_FILE": str(tmp_path / "policy.yaml"),
        "REFERENT_STATE_DIR": str(tmp_path),
        "REFERENT_SANDBOX_DIR": demo_sandbox["dir"],
        "REFERENT_PSEUDONYM_KEY": KEY,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "FEAST_USAGE": "False",
        "REFERENT_PROMOTION_CANARY_WAIVED_MODELS": json.dumps(WAIVED.canary_waived_models),
    }
    model = models["cli"]
    first = _cli(["promote", model, "2", "--to", "production", "--json"], env)
    assert first.returncode == 0, first.stderr[-2000:]
    waiting = json.loads(first.stdout)
    assert waiting["approval_status"] == "pending" and _champion(demo_sandbox["mlflow_uri"], model) == "1"
    assert (tmp_path / "checkpoints.sqlite").exists()

    # the human who started the run (this OS account = user:ml-lead, an approver) cannot approve it
    own = _cli(["approvals", "approve", waiting["approval_id"]], env)
    assert own.returncode == 2 and "cannot decide" in own.stderr, own.stderr[-2000:]
    forged = _cli(["approvals", "approve", waiting["approval_id"], "--as", "group:ml-approvers"], env)
    assert forged.returncode == 2 and "group" in forged.stderr
    approver = build(tmp_path, demo_sandbox["dir"])
    approver.gateway.decide_approval(waiting["approval_id"], release_manager(), approve=True)
    approver.close()

    second = _cli(["promote", "--resume", waiting["run_id"], "--json"], env)
    assert second.returncode == 0, second.stderr[-2000:]
    done = json.loads(second.stdout)
    assert done["alias_moved"] and done["previous_champion"] == "1"
    assert _champion(demo_sandbox["mlflow_uri"], model) == "2"
    assert (
        _cli(["promote", "--resume", waiting["run_id"]], env).returncode == 2
    )  # finished: nothing to resume
