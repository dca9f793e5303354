"""Quality goals on a held-out sample of LatAm operational text (quality only, no timing).

The corpus (:mod:`evals.bench.latam_corpus`) is generated with faker's LatAm locales from the
held-out seed, never the one used to tune the recognizers: no identifier, secret or phone leaks,
at most 5 % of person names leak (any word of a name surviving counts), at least 98 % of the
operational tokens survive.
"""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from evals.bench.latam_corpus import HELDOUT_SEED, TUNE_SEED, generate
from evals.bench.redaction_latam import LatamQuality, redact_all, score
from guardrails.redaction import RedactionSettings, Redactor


@pytest.fixture(scope="module")
def quality() -> LatamQuality:
    assert HELDOUT_SEED != TUNE_SEED
    samples = generate(400, seed=HELDOUT_SEED)
    redactor = Redactor(RedactionSettings(pseudonym_key=SecretStr("test-key-0123456789abcdef")))
    _, outputs = redact_all(redactor, samples, "held-out")
    return score(samples, outputs)


def test_sample_plants_every_kind(quality: LatamQuality) -> None:
    assert quality.identifiers > 200 and quality.names > 300 and quality.phones > 150
    assert quality.operational > 1000


def test_no_identifier_secret_or_phone_leaks(quality: LatamQuality) -> None:
    assert quality.identifiers_leaked == []
    assert quality.phones_leaked == []


def test_names_leak_at_most_five_percent(quality: LatamQuality) -> None:
    assert quality.names_leaked_pct <= 5.0, quality.names_leaked[:10]


def test_operational_tokens_survive(quality: LatamQuality) -> None:
    assert quality.ops_kept_pct >= 98.0, quality.operational_lost[:10]


def test_scoring_catches_leaks() -> None:
    samples = generate(20, seed=HELDOUT_SEED)
    raw = score(samples, [s.text for s in samples])  # nothing redacted
    assert len(raw.identifiers_leaked) == raw.identifiers and raw.names_leaked_pct == 100.0
    assert len(raw.phones_leaked) == raw.phones and raw.ops_kept_pct == 100.0
