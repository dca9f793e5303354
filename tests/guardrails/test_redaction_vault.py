"""The pseudonym vault: in-memory and SQL storage, reveal only through the policy's callable."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from guardrails.redaction import (
    InMemoryStorage,
    PseudonymRow,
    RedactionSettings,
    Redactor,
    RevealDenied,
    SqlStorage,
    UnknownPseudonym,
    Vault,
)
from guardrails.store.db import Database

KEY = "vault-key-0123456789abcdef"


def allow(principal: str) -> bool:
    return principal == "approver:alice"


@pytest.fixture
def db(state_db_url: str) -> Database:
    """A migrated store: SQLite, and (integration) PostgreSQL."""
    database = Database(state_db_url)
    database.migrate()
    return database


def test_in_memory_vault_reveals_to_authorised_principal() -> None:
    vault = Vault(KEY, InMemoryStorage())
    token = vault.pseudonym("inc-1", "CREDIT_CARD", "4111 1111 1111 1111")
    assert token == "<CREDIT_CARD_1>"
    assert vault.reveal("inc-1", token, "approver:alice", allow) == "4111 1111 1111 1111"


def test_reveal_denied_before_any_lookup() -> None:
    vault = Vault(KEY)
    token = vault.pseudonym("inc-1", "BR_CPF", "529.982.247-25")
    calls: list[str] = []

    def deny(principal: str) -> bool:
        calls.append(principal)
        return False

    with pytest.raises(RevealDenied):
        vault.reveal("inc-1", token, "agent:triage", deny)
    assert calls == ["agent:triage"]


def test_unknown_token_and_wrong_scope() -> None:
    vault = Vault(KEY)
    token = vault.pseudonym("inc-1", "EMAIL_ADDRESS", "a@example.com")
    with pytest.raises(UnknownPseudonym):
        vault.reveal("inc-2", token, "approver:alice", allow)
    with pytest.raises(UnknownPseudonym):
        vault.reveal("inc-1", "<EMAIL_ADDRESS_9>", "approver:alice", allow)


def test_sql_vault_persists_encrypted_rows(db: Database) -> None:
    vault = Vault(KEY, SqlStorage(db))
    first = vault.pseudonym("inc-9", "CREDIT_CARD", "4111111111111111")
    second = vault.pseudonym("inc-9", "CREDIT_CARD", "5500000000000004")
    assert (first, second) == ("<CREDIT_CARD_1>", "<CREDIT_CARD_2>")
    with db.session() as session:
        rows = session.scalars(select(PseudonymRow).order_by(PseudonymRow.id)).all()
    assert [(r.scope, r.token, r.entity_type) for r in rows] == [
        ("inc-9", "<CREDIT_CARD_1>", "CREDIT_CARD"),
        ("inc-9", "<CREDIT_CARD_2>", "CREDIT_CARD"),
    ]
    assert all(b"4111" not in r.ciphertext and len(r.digest) == 64 for r in rows)
    assert rows[0].created_at is not None
    # a fresh vault (new process, empty cache) over the same table: same tokens, same values
    again = Vault(KEY, SqlStorage(db))
    assert again.pseudonym("inc-9", "CREDIT_CARD", "4111 1111 1111 1111") == "<CREDIT_CARD_1>"
    assert again.reveal("inc-9", "<CREDIT_CARD_2>", "approver:alice", allow) == "5500000000000004"


def test_sql_vault_with_another_key_cannot_decrypt(db: Database) -> None:
    Vault(KEY, SqlStorage(db)).pseudonym("inc-9", "BR_CPF", "52998224725")
    other = Vault("another-key-0123456789abcdef", SqlStorage(db))
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag
        other.reveal("inc-9", "<BR_CPF_1>", "approver:alice", allow)


def test_redactor_with_sql_vault_round_trip(db: Database) -> None:
    settings = RedactionSettings(pseudonym_key=KEY, nlp=False)
    redactor = Redactor(settings, vault=Vault(settings.pseudonym_key, SqlStorage(db)))
    out = redactor.redact_text("titular cpf 529.982.247-25 pagou com 4111111111111111", scope="inc-3")
    assert out == "titular cpf <BR_CPF_1> pagou com <CREDIT_CARD_1>"
    assert redactor.vault.reveal("inc-3", "<BR_CPF_1>", "approver:alice", allow) == "529.982.247-25"


def test_concurrent_writers_agree_on_tokens(db: Database) -> None:
    """Two replicas (engines) pseudonymising the same values at once: one token per value, no gaps."""
    from concurrent.futures import ThreadPoolExecutor

    vaults = [Vault(KEY, SqlStorage(Database(db.url))), Vault(KEY, SqlStorage(Database(db.url)))]
    cards = [f"41111111111{i:05d}" for i in range(12)]
    jobs = [(vaults[i % 2], card) for i, card in enumerate(cards * 2)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        tokens = list(pool.map(lambda job: job[0].pseudonym("inc-c", "CREDIT_CARD", job[1]), jobs))
    by_card: dict[str, set[str]] = {}
    for (_, card), token in zip(jobs, tokens, strict=True):
        by_card.setdefault(card, set()).add(token)
    assert all(len(t) == 1 for t in by_card.values())  # the same value got the same token everywhere
    assert sorted({t for ts in by_card.values() for t in ts}) == sorted(
        f"<CREDIT_CARD_{n}>" for n in range(1, 13)
    )
