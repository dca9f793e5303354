"""Build ``guardrails/redaction/data/latam_names.csv`` from the ``names-dataset`` library (Apache-2.0).

The redactor's name gazetteer: the most frequent given names and surnames of the Latin American,
Spanish and Portuguese users in names-dataset 3.3.1 (Philippe Remy, Apache-2.0 licence; see
``guardrails/redaction/data/ATTRIBUTION.md``). Only names written as one capitalised alphabetic word
of two letters or more are kept, minus common Spanish / Portuguese / English words that are also names
(``Rosa``, ``Luz``, ``Will``…), which the gazetteer must never flag alone.

Run by hand (the library is ~55 MB and not a dependency)::

    pip install names-dataset==3.3.1 && python evals/data/build_latam_names.py
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from names_dataset import NameDataset  # type: ignore[import-not-found]

COUNTRIES = ("BR", "MX", "AR", "CO", "CL", "PE", "UY", "EC", "VE", "BO", "PY", "ES", "PT")
TOP_GIVEN = 700  # per country and gender
TOP_SURNAMES = 1500  # per country
OUT = Path(__file__).resolve().parents[2] / "guardrails" / "redaction" / "data" / "latam_names.csv"
# words of operational or ordinary text that the dataset also holds as names
COMMON_WORDS = frozenset(
    [
        "a",
        "al",
        "alta",
        "alto",
        "amor",
        "angel",
        "api",
        "app",
        "are",
        "as",
        "azul",
        "baja",
        "bajo",
        "banco",
        "bem",
        "best",
        "bien",
        "big",
        "black",
        "blanco",
        "bom",
        "boss",
        "brown",
        "buen",
        "bueno",
        "by",
        "cache",
        "caja",
        "cal",
        "cama",
        "can",
        "cara",
        "carta",
        "casa",
        "chase",
        "china",
        "cloud",
        "code",
        "col",
        "common",
        "con",
        "da",
        "das",
        "de",
        "del",
        "do",
        "dos",
        "e",
        "el",
        "en",
        "error",
        "es",
        "esta",
        "este",
        "fe",
        "feliz",
        "fin",
        "fonte",
        "for",
        "fuente",
        "gold",
        "good",
        "gran",
        "grande",
        "green",
        "grant",
        "hope",
        "hot",
        "i",
        "in",
        "is",
        "it",
        "joy",
        "ju",
        "la",
        "las",
        "le",
        "les",
        "lo",
        "los",
        "ma",
        "major",
        "mark",
        "mas",
        "max",
        "may",
        "mayo",
        "me",
        "mel",
        "mi",
        "mira",
        "mis",
        "mo",
        "more",
        "mundo",
        "na",
        "new",
        "no",
        "noche",
        "nos",
        "nova",
        "nuevo",
        "o",
        "ok",
        "on",
        "or",
        "ora",
        "page",
        "para",
        "pe",
        "per",
        "pi",
        "plata",
        "por",
        "pra",
        "primo",
        "puerto",
        "que",
        "real",
        "red",
        "rei",
        "rio",
        "rock",
        "rose",
        "sal",
        "salud",
        "san",
        "santa",
        "se",
        "sin",
        "so",
        "sol",
        "son",
        "star",
        "sun",
        "ta",
        "te",
        "the",
        "to",
        "tu",
        "un",
        "una",
        "uno",
        "us",
        "val",
        "vale",
        "verde",
        "vida",
        "vie",
        "vo",
        "will",
        "win",
        "ya",
        "yo",
        "job",
        "sao",
        "são",
        "america",
        "brasil",
        "brazil",
        "chile",
        "peru",
        "perú",
        "mexico",
        "méxico",
        "argentina",
        "colombia",
        "uruguay",
        "paraguay",
        "bolivia",
        "ecuador",
        "venezuela",
        "espana",
        "españa",
        "portugal",
    ]
)


def _keep(name: str) -> bool:
    return len(name) > 1 and name.isalpha() and name[0].isupper() and name.lower() not in COMMON_WORDS


def main() -> int:
    """Write the CSV (``kind,name``; kind ``given`` or ``surname``) and print its size."""
    dataset = NameDataset()
    given: set[str] = set()
    surnames: set[str] = set()
    for country in COUNTRIES:
        for gender in ("Male", "Female"):
            top = dataset.get_top_names(n=TOP_GIVEN, country_alpha2=country, gender=gender)
            given.update(name for name in top.get(country, {}).get(gender[0], []) if _keep(name))
        top = dataset.get_top_names(n=TOP_SURNAMES, use_first_names=False, country_alpha2=country)
        surnames.update(name for name in top.get(country, []) if _keep(name))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["kind", "name"])
        writer.writerows(("given", name) for name in sorted(given))
        writer.writerows(("surname", name) for name in sorted(surnames))
    print(f"{OUT}: {len(given)} given names, {len(surnames)} surnames")
    return 0


if __name__ == "__main__":
    sys.exit(main())
