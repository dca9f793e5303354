"""Runbook categories come from what a rule watches; no machine paths; generated runbooks stay out of
the source tree unless asked."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from pydantic import SecretStr

from agents.deps import AgentDeps
from agents.runbook import derive, sections
from agents.runbook.graph import run_runbooks
from agents.runbook.promql import analyze
from agents.runbook.render import to_markdown
from agents.runbook.rules import load_rules, pick, source_label
from guardrails.factory import build_runtime
from guardrails.gateway import CallContext
from guardrails.settings import GuardrailSettings
from runbooks import LIBRARY_DIR, REFERENCE_DIR
from tools.runbook_library import RunbookLibrary, RunbookLocations, is_curated, split_front_matter
from tools.settings import PlatformSettings

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "evals" / "data" / "alert-rules" / "awesome-prometheus-alerts"
ML_RULES = ROOT / "evals" / "sandbox" / "rules" / "ml-platform.rules.yml"
MODEL_WORDS = ("Scores served", "roll the alias back", "referent rollback", "model's errors")


def _category(rule_file: Path, alert: str) -> str:
    rule = pick(load_rules(rule_file), alert)[0]
    shape = analyze(rule.expr)
    component = "ml-model" if derive.is_ml_component(rule, shape) else sections.component_of(rule, shape)
    return sections.category_of(component)


def test_no_real_third_party_rule_is_a_model_quality_incident() -> None:
    rules = [r for f in sorted(REAL.rglob("*.yml")) for r in load_rules(f, allow_empty=True)]
    assert len(rules) == 954
    ml = [r.alert for r in rules if derive.is_ml_component(r, analyze(r.expr))]
    assert ml == []  # e.g. LiteLLM's spend alert matches a `model` label, but watches an LLM proxy's spend


@pytest.mark.parametrize(
    ("rule_file", "alert", "category"),
    [
        (REAL / "kubernetes" / "kubestate-exporter.yml", "KubernetesNodeNotReady", "infrastructure"),
        (REAL / "mysql" / "mysqld-exporter.yml", "MysqlDown", "service"),
        (REAL / "host-and-hardware" / "node-exporter.yml", "HostOutOfMemory", "infrastructure"),
        (ML_RULES, "GpuIdleAllocated", "infrastructure/cost"),
        (ML_RULES, "ModelServingErrorRateHigh", "model-quality"),
        (ML_RULES, "FeatureViewStale", "model-quality"),
        (ML_RULES, "KubernetesContainerOomKiller", "infrastructure"),
    ],
)
def test_category_from_what_the_rule_watches(rule_file: Path, alert: str, category: str) -> None:
    assert _category(rule_file, alert) == category


@pytest.fixture
def deps(tmp_path: Path):  # type: ignore[no-untyped-def]
    rt = build_runtime(
        GuardrailSettings(state_dir=tmp_path, pseudonym_key=SecretStr("k" * 24), redaction_nlp=False),
        PlatformSettings(runbooks_dir=tmp_path / "generated"),
    )
    yield AgentDeps(gateway=rt.gateway, ctx=CallContext("agent:runbook", f"rb-{uuid.uuid4().hex[:8]}"))
    rt.close()


def test_idle_gpu_runbook_speaks_of_cost_not_of_model_scores(deps: AgentDeps) -> None:
    batch = run_runbooks(
        deps, pick(load_rules(ML_RULES), "GpuIdleAllocated"), store=False, server_check=False
    )
    rb = batch.runbooks[0]
    md = to_markdown(rb)
    assert (rb.component, rb.category, rb.ml_component) == ("gpu", "infrastructure/cost", False)
    assert not any(word in md for word in MODEL_WORDS)
    assert "billed" in md and "referent rightsize" in md
    model = run_runbooks(
        deps, pick(load_rules(ML_RULES), "ModelServingErrorRateHigh"), store=False, server_check=False
    )
    assert model.runbooks[0].category == "model-quality" and "Scores served" in to_markdown(model.runbooks[0])


def test_front_matter_has_no_machine_path(deps: AgentDeps, tmp_path: Path) -> None:
    batch = run_runbooks(
        deps, pick(load_rules(ML_RULES), "CpuThrottlingHigh"), store=False, server_check=False
    )
    front, _ = split_front_matter(to_markdown(batch.runbooks[0]))
    assert front["source_rule"] == "evals/sandbox/rules/ml-platform.rules.yml"  # relative to the repository
    assert front["category"] == "infrastructure"
    outside = tmp_path / "team-rules.yml"  # not in a repository: the file name only
    outside.write_text(ML_RULES.read_text())
    assert source_label(outside) == "team-rules.yml"
    assert source_label(Path("../rules/x.yml")) == "../rules/x.yml"  # relative: as the user gave it
    for doc in sorted(LIBRARY_DIR.glob("*.md")):  # the curated library, too
        front, _ = split_front_matter(doc.read_text())
        assert not str(front.get("source_rule", "")).startswith("/"), doc.name


def test_generated_runbooks_go_to_the_state_directory_not_the_source_tree(tmp_path: Path) -> None:
    assert is_curated(LIBRARY_DIR)
    curated = tmp_path / "curated"
    curated.mkdir()
    (curated / ".curated").touch()
    (curated / "Known.md").write_text("---\nalert: Known\n---\n## Meaning\n")
    state = tmp_path / "state"
    library = RunbookLibrary(curated, [REFERENCE_DIR], locations=RunbookLocations(state_dir=state))
    doc = library.save("NewAlert", "---\nalert: NewAlert\n---\n## Meaning\n")
    assert Path(doc.path) == state / "runbooks" / "NewAlert.md"
    assert not (curated / "NewAlert.md").exists()
    assert library.find("Known").path == str(curated / "Known.md")  # curated ones are still served
    asked = RunbookLibrary(curated, locations=RunbookLocations(state_dir=state, runbooks_dir=curated))
    assert Path(asked.save("Asked", "x").path) == curated / "Asked.md"  # the explicit ask wins


def test_locations_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFERENT_STATE_DIR", str(tmp_path / "st"))
    assert RunbookLocations().generated_dir() == tmp_path / "st" / "runbooks"
    monkeypatch.setenv("REFERENT_RUNBOOKS_DIR", str(tmp_path / "rb"))
    assert RunbookLocations().generated_dir() == tmp_path / "rb"
    rt = build_runtime(
        GuardrailSettings(state_dir=tmp_path / "st", pseudonym_key=SecretStr("k" * 24), redaction_nlp=False),
        PlatformSettings(),  # reads REFERENT_RUNBOOKS_DIR like a real start
    )
    try:
        deps = AgentDeps(gateway=rt.gateway, ctx=CallContext("agent:runbook", "rb-env"))
        saved = deps.call("runbooks.save", alert="EnvAlert", markdown="---\nalert: EnvAlert\n---\n").data
    finally:
        rt.close()
    assert Path(saved["path"]).parent == tmp_path / "rb"
    assert not (LIBRARY_DIR / "EnvAlert.md").exists()


def test_incident_runbooks_take_their_category_from_the_alert_too() -> None:
    # runbook_from_incident has only the alert: its name and label names decide, a model label aside
    words = "GpuIdleAllocated namespace pod container workload"
    assert sections.component_of_text(words, skip=("ml-model",)) == "gpu"
    assert sections.component_of_text("CpuThrottlingHigh namespace pod", skip=("ml-model",)) == "kubernetes"
    assert sections.category_of("gpu") == "infrastructure/cost"


def test_a_runtime_writes_generated_runbooks_under_its_own_state_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REFERENT_STATE_DIR", raising=False)
    monkeypatch.delenv("REFERENT_RUNBOOKS_DIR", raising=False)
    state = tmp_path / "given-in-code"
    rt = build_runtime(
        GuardrailSettings(state_dir=state, pseudonym_key=SecretStr("k" * 24), redaction_nlp=False),
        PlatformSettings(),
    )
    try:
        deps = AgentDeps(gateway=rt.gateway, ctx=CallContext("agent:runbook", "rb-state"))
        saved = deps.call("runbooks.save", alert="StateAlert", markdown="---\nalert: StateAlert\n---\n").data
    finally:
        rt.close()
    assert Path(saved["path"]).parent == state / "runbooks"
