"""Evidence precision: the share of cited evidence ids that exist in the run.

A cited id exists when the report's ledger holds it and the run's audit log recorded at least that
many successful tool results (evidence ids are ``E1``, ``E2``, ... in the order results arrived).
"""

from __future__ import annotations

from typing import Any


def cited_ids(report: dict[str, Any]) -> list[str]:
    return [str(e.get("id")) for h in report.get("hypotheses", []) for e in h.get("evidence", [])]


def precision(report: dict[str, Any], results_in_audit: int) -> float | None:
    """Cited-and-existing / cited; None when nothing is cited."""
    cited = cited_ids(report)
    if not cited:
        return None
    ledger = {str(e.get("id")) for e in report.get("evidence", [])}

    def exists(eid: str) -> bool:
        number = eid[1:] if eid.startswith("E") else ""
        return eid in ledger and number.isdigit() and 0 < int(number) <= results_in_audit

    return sum(exists(e) for e in cited) / len(cited)
