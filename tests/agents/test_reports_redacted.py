"""Nothing raw persisted, as an attacker with the database file would check: identifiers planted in
alert labels, the ``generatorURL`` query string and label values that end up in PromQL appear
nowhere in the SQLite file (``.db`` and ``-wal``), the ``--json`` output or the audit records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
import typer
from typer.testing import CliRunner

from api.commands import triage as triage_cmd

CPF = "529.982.247-25"
CARD = "4111 1111 1111 1111"
EMAIL = "ana.souza@example.com.br"
CUSTOMER = "Maria Eduarda Nogueira"
ESCALATED = "Joana Ferreira"
GENERATOR_URL = (
    "http://prometheus:9090/graph?g0.expr="
    + quote_plus(f'rate(http_requests_total{{service="refund-{EMAIL}"}}[5m]) > 0.1')
    + f"&customer={quote_plus(CUSTOMER)}&cpf={CPF}&card={quote_plus(CARD)}&contact={quote(EMAIL)}"
)


def planted_alert() -> dict[str, Any]:
    """An Alertmanager v4 payload with PII in labels, the generator URL and the annotations."""
    return {
        "version": "4",
        "status": "firing",
        "alerts": [
            {
                "status": "firing",
                "labels": {
                    "alertname": "ServingErrorRateHigh",
                    "severity": "critical",
                    "service": f"refund-{EMAIL}",  # a label value the collectors put in PromQL
                    "namespace": f"cust-{CPF}",
                    "customer": CUSTOMER,
                    "card": CARD,
                    "note": f"cpf {CPF} card {CARD}",
                },
                "annotations": {
                    "summary": f"errors for {CUSTOMER}",
                    "description": f"escalated by {ESCALATED}",
                },
                "startsAt": "2026-12-06T03:00:00Z",
                "generatorURL": GENERATOR_URL,
                "fingerprint": "0123456789abcdef",
            }
        ],
    }


def raw_forms() -> list[str]:
    """Every spelling of the planted values an attacker would grep for."""
    values = [CPF, CPF.replace(".", "").replace("-", ""), CARD, CARD.replace(" ", ""), EMAIL, "ana.souza"]
    values += [CUSTOMER, "Nogueira", "Eduarda", ESCALATED, "Ferreira"]
    return values + [quote_plus(v) for v in values] + [quote(v) for v in values]


def leaks(data: bytes) -> list[str]:
    return [value for value in raw_forms() if value.encode() in data]


@pytest.fixture
def app() -> typer.Typer:
    cli = typer.Typer()
    triage_cmd.register(cli)

    @cli.command("noop")
    def _noop() -> None:  # a second command keeps typer in multi-command mode
        """Unused."""

    return cli


def _state_bytes(state: Path) -> bytes:
    files = [p for p in state.rglob("*") if p.is_file() and p.name != "pseudonym.key"]
    assert any(p.name.endswith(".db") for p in files), files
    return b"".join(p.read_bytes() for p in files)  # the .db, its -wal and -shm, anything else there


def _run(app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    state = tmp_path / "state"
    monkeypatch.setenv("REFERENT_STATE_DIR", str(state))
    monkeypatch.delenv("REFERENT_LLM_MODEL", raising=False)
    monkeypatch.delenv("REFERENT_DATABASE_URL", raising=False)
    payload = tmp_path / "alert.json"
    payload.write_text(json.dumps(planted_alert()))
    assert len(leaks(payload.read_bytes())) >= 8  # the detector sees what was planted
    result = CliRunner().invoke(app, ["triage", "--alert", str(payload), "--json"])
    assert result.exit_code == 0, result.output
    return result.output, state


def test_no_raw_value_in_json_output_or_state_files(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REFERENT_SANDBOX_DIR", raising=False)  # no platform: every source missing
    output, state = _run(app, tmp_path, monkeypatch)
    body = json.loads(output)
    assert leaks(output.encode()) == []
    assert leaks(_state_bytes(state)) == []
    # what was planted is there as tokens, so the report still says something
    assert body["alert"]["labels"]["customer"].startswith("<PERSON_")
    assert (
        "<BR_CPF_" in body["alert"]["generator_url"]
        and "<EMAIL_ADDRESS_" in body["alert"]["labels"]["service"]
    )
    assert body["alert"]["labels"]["alertname"] == "ServingErrorRateHigh"  # operational labels kept


@pytest.mark.integration
def test_no_raw_value_after_a_triage_on_the_demo_sandbox(
    app: typer.Typer, demo_sandbox: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFERENT_SANDBOX_DIR", demo_sandbox["dir"])
    output, state = _run(app, tmp_path, monkeypatch)
    body = json.loads(output)
    queries = " ".join(e["query"] for e in body["evidence"])
    assert "<EMAIL_ADDRESS_" in queries  # the planted service label reached PromQL, as a token
    assert leaks(output.encode()) == []
    assert leaks(_state_bytes(state)) == []


def test_report_store_redacts_what_it_is_given(tmp_path: Path) -> None:
    from pydantic import SecretStr

    from agents.reports import ReportStore
    from guardrails.factory import build_redactor
    from guardrails.settings import GuardrailSettings
    from guardrails.store.db import Database

    settings = GuardrailSettings(state_dir=tmp_path, pseudonym_key=SecretStr("test-key-0123456789abcdef"))
    db = Database(settings.db_url)
    store = ReportStore(db, build_redactor(settings, db))
    body = json.dumps(
        {"labels": {"customer": CUSTOMER, "note": f"cpf {CPF}"}, "query": f'up{{svc="{EMAIL}"}}'}
    )
    report_id = store.save(
        kind="x", run_id="r1", subject=f"alert:{CPF}", body_json=body, markdown=f"card {CARD}"
    )
    stored = store.get(report_id)
    assert stored is not None
    assert leaks(f"{stored.subject} {stored.body_json} {stored.markdown}".encode()) == []
    assert json.loads(stored.body_json)["labels"]["customer"] == "<PERSON_1>"
    db.dispose()
    assert leaks(_state_bytes(tmp_path)) == []
