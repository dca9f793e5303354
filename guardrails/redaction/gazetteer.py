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

# capitalised words that start sentences or places, never a name: greetings, articles, pronouns…
NOT_NAMES = frozenset(
    """
    A As O Os El La Las Los Lo Un Una Uno Del Al De Da Do En Em No Na Por Para Con Com Sin Sem Que Se
    Y E Ou Hola Olá Ola Oi Hi Hello Hey Bom Buenos Buenas Buen Boa Gracias Obrigado Obrigada Thanks
    FYI The An This That It He She We They I You Mr Mrs Ms Dr Sr Sra Srta Dra Hoy Ayer Hoje Ontem
    São San Santa Santo Rio Porto Belo Ciudad Nueva Nuevo Nova Novo Cliente Customer Titular
    Responsable Responsável Escalado Escalada Equipe Equipo Time Team Error Erro Pago Pagamento Pedido
    Orden Order Región Region Regiao Região Casa Banco Bank Caixa Mercado Grupo Empresa Hotel Hospital
    Clínica Clinica Universidad Universidade Colegio Calle Rua Avenida Av Plaza Praça Loja Tienda
    Farmacia Supermercado Posto Edificio Edifício Torre Estación Estação Aeropuerto Aeroporto
    """.split()  # noqa: SIM905 - a word list reads better than a list literal
)  # fmt: skip


@dataclass(frozen=True)
class Gazetteer:
    """Known given names and surnames (title case)."""

    given: frozenset[str]
    surnames: frozenset[str]

    def is_given(self, word: str) -> bool:
        """True for a known given name (``Ana``, ``João``, ``Joao``, ``JOÃO``)."""
        word = word.title() if word.isupper() else word
        return word in self.given or fold(word) in self.given

    def is_name(self, word: str) -> bool:
        """True for a known given name or surname (any of the spellings :meth:`is_given` accepts)."""
        return self.is_given(word) or self._is_surname(word)

    def name_run(self, words: list[str]) -> tuple[int, int] | None:
        """The first run ``[i, j)`` of capitalised words that reads as a full name, or None.

        A run starts at a known given name — or at an unknown word right before a known surname
        (``Rael Gomes``) — and continues over known names and particles (``Maria da Silva``); it
        holds at least two names, cannot end on a particle, and takes in one unknown word just
        before it (``Apollo Maria Alice``). Sentence words (``Hola``, ``El``, ``São``…) never start one.
        """
        for i, word in enumerate(words):
            if (
                word in NOT_NAMES
                or not word[:1].isupper()
                or not (self.is_given(word) or (i + 1 < len(words) and self._is_surname(words[i + 1])))
            ):
                continue
            end, names = i + 1, 1
            for j in range(i + 1, len(words)):
                if words[j].lower() in PARTICLES:
                    continue
                if not self.is_name(words[j]):
                    break
                end, names = j + 1, names + 1
            if names >= 2:
                start = i - 1 if i > 0 and words[i - 1][:1].isupper() and words[i - 1] not in NOT_NAMES else i
                return start, end
        return None

    def _is_surname(self, word: str) -> bool:
        word = word.title() if word.isupper() else word
        return word in self.surnames or fold(word) in self.surnames


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
