"""Given names and surnames of Latin America, Spain and Portugal (``data/latam_names.csv``).

Derived from names-dataset 3.3.1 (Apache-2.0) by ``evals/data/build_latam_names.py``; see
``data/ATTRIBUTION.md``. Loaded once, on first use, with each name also under its spelling without
diacritics (``João`` and ``Joao``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from .cues import PARTICLES, fold


@dataclass(frozen=True)
class Gazetteer:
    """Known given names and surnames (title case)."""

    given: frozenset[str]
    surnames: frozenset[str]

    def is_given(self, word: str) -> bool:
        """True for a known given name (``Ana``, ``João``, ``Joao``)."""
        return word in self.given or fold(word) in self.given

    def is_name(self, word: str) -> bool:
        """True for a known given name or surname."""
        return self.is_given(word) or word in self.surnames or fold(word) in self.surnames

    def name_run(self, words: list[str]) -> tuple[int, int] | None:
        """The first run ``[i, j)`` of words that reads as a full name, or None.

        A run starts at a known given name and continues over known names and particles
        (``Maria da Silva``); it must hold at least two names and cannot end on a particle.
        """
        for i, word in enumerate(words):
            if not self.is_given(word):
                continue
            end, names = i + 1, 1
            for j in range(i + 1, len(words)):
                if words[j].lower() in PARTICLES:
                    continue
                if not self.is_name(words[j]):
                    break
                end, names = j + 1, names + 1
            if names >= 2:
                return i, end
        return None


@cache
def gazetteer() -> Gazetteer:
    """The packaged gazetteer (read once per process)."""
    given: set[str] = set()
    surnames: set[str] = set()
    source = resources.files(__package__).joinpath("data", "latam_names.csv")
    with source.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            target = given if row["kind"] == "given" else surnames
            target.update((row["name"], fold(row["name"])))
    return Gazetteer(frozenset(given), frozenset(surnames))
