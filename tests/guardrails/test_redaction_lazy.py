"""spaCy (and Presidio) only when NER runs, and pseudonyms written in one transaction per call."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import event

from guardrails.redaction import RedactionSettings, Redactor, SqlStorage, Vault
from guardrails.redaction.nlp import installed_spacy_model
from guardrails.store.db import Database

KEY = "test-key-0123456789abcdef"
PROBE = """
import json, sys
from guardrails.redaction import RedactionSettings, Redactor
seen = {"import": "spacy" in sys.modules or "presidio_analyzer" in sys.modules}
r = Redactor(RedactionSettings(pseudonym_key="test-key-0123456789abcdef", nlp=True))
seen["build"] = "spacy" in sys.modules or "presidio_analyzer" in sys.modules
r.redact_text("pod fraud-xgb-7f9c latency_ms=41 cpf 529.982.247-25 escalated by Ana Gómez")
r.redact_obj({"customer": "Maria Silva", "trace": "4bf92f3577b34da6"})
seen["no_ner_needed"] = "spacy" in sys.modules
r.redact_text("cardholder Siobhan McAllister disputes the charge")
seen["ner"] = "spacy" in sys.modules
print(json.dumps(seen))
"""


def test_spacy_is_imported_only_when_a_text_needs_ner() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["import"] is False and seen["build"] is False and seen["no_ner_needed"] is False
    assert seen["ner"] is (installed_spacy_model() is not None)


def test_ner_loads_once_across_threads() -> None:
    if installed_spacy_model() is None:
        pytest.skip("spaCy model en_core_web_sm not installed")
    from concurrent.futures import ThreadPoolExecutor

    redactor = Redactor(RedactionSettings(pseudonym_key=SecretStr(KEY), nlp=True))
    with ThreadPoolExecutor(4) as pool:
        ners = list(pool.map(lambda _: redactor.ner, range(8)))
    assert all(n is ners[0] for n in ners) and ners[0] is not None


def test_one_write_transaction_per_redact_call(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'v.db'}")
    redactor = Redactor(
        RedactionSettings(pseudonym_key=SecretStr(KEY), nlp=False), vault=Vault(KEY, SqlStorage(db))
    )
    inserts: list[int] = []
    commits: list[int] = []
    state = {"inserts": 0}

    @event.listens_for(db.engine, "before_cursor_execute")
    def _count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("INSERT"):
            state["inserts"] += 1

    @event.listens_for(db.engine, "commit")
    def _commit(conn):  # type: ignore[no-untyped-def]
        if state["inserts"]:
            commits.append(state["inserts"])
            inserts.append(state["inserts"])
            state["inserts"] = 0

    text = "\n".join(
        f"cpf 529.982.247-25 card 4111 1111 1111 1111 mail user{i}@example.com tel +55 11 98765-43{i:02d}"
        for i in range(20)
    )
    out = redactor.redact_lines(text, "batch")
    assert "<EMAIL_ADDRESS_20>" in out and "<BR_CPF_1>" in out and "<BR_CPF_2>" not in out
    assert len(commits) == 1  # 42 new values, one transaction
    assert redactor.redact_lines(text, "batch") == out and len(commits) == 1  # known values: no write
    db.dispose()
