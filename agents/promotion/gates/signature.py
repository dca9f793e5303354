"""Gate: the candidate's signature accepts what callers of the champion send, and returns what they read.

Breaking changes: a required input the champion did not have (callers do not send it — e.g. a column
renamed from ``txn_amount_sum_24h`` to ``txn_amount_sum_24h_cents``), an input or output whose type
changed (other than a lossless widening such as ``integer`` → ``long`` or ``float`` → ``double``), and
an output the champion had that the candidate dropped. Champion inputs the candidate no longer reads
are reported but do not break callers.
"""

from __future__ import annotations

from typing import Any

from agents.promotion.models import GateResult, GateStatus, PromotionFacts

NAME = "signature"

WIDENINGS = {
    ("integer", "long"),
    ("float", "double"),
    ("integer", "double"),
    ("integer", "float"),
    ("int32", "int64"),
    ("float32", "float64"),
}


def _columns(fields: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(f.get("name")): f for f in fields if f.get("name") is not None}


def _type(field: dict[str, Any]) -> str:
    return str(field.get("type", "")).lower()


def _compatible_type(old: str, new: str) -> bool:
    return old == new or (old, new) in WIDENINGS


def compare_inputs(
    champion: list[dict[str, Any]], candidate: list[dict[str, Any]]
) -> tuple[list[str], list[str]]:
    """Breaking problems and harmless notes for the inputs (the champion's callers' point of view)."""
    old, new = _columns(champion), _columns(candidate)
    breaks, notes = [], []
    for name, spec in new.items():
        if name not in old:
            if spec.get("required", True):
                breaks.append(f"new required input {name} ({_type(spec)}) that champion callers do not send")
            else:
                notes.append(f"new optional input {name}")
        elif not _compatible_type(_type(old[name]), _type(spec)):
            breaks.append(f"input {name} changed type {_type(old[name])} -> {_type(spec)}")
    notes += [f"input {name} no longer used" for name in old if name not in new]
    return breaks, notes


def compare_outputs(champion: list[dict[str, Any]], candidate: list[dict[str, Any]]) -> list[str]:
    """Breaking problems of the outputs (what consumers of the champion read)."""
    old, new = _columns(champion), _columns(candidate)
    breaks = [f"output {name} removed" for name in old if name not in new]
    breaks += [
        f"output {name} changed type {_type(old[name])} -> {_type(new[name])}"
        for name in old
        if name in new and not _compatible_type(_type(old[name]), _type(new[name]))
    ]
    return breaks


def check(facts: PromotionFacts, _settings: object = None) -> GateResult:
    """Compare the candidate's signature with the champion's."""
    cand, base = facts.candidate, facts.baseline
    if cand is None:
        return GateResult(gate=NAME, status=GateStatus.FAIL, why="cannot verify: candidate version not read")
    if cand.inputs is None:
        return GateResult(
            gate=NAME,
            status=GateStatus.FAIL,
            evidence=cand.evidence,
            why=f"v{cand.version} has no model signature; compatibility cannot be verified",
        )
    if base is None or base.inputs is None:
        why = facts.baseline_note or "no champion signature to compare with"
        return GateResult(gate=NAME, status=GateStatus.SKIP, why=why, evidence=cand.evidence)
    breaks, notes = compare_inputs(base.inputs, cand.inputs)
    if base.outputs is not None and cand.outputs is not None:
        breaks += compare_outputs(base.outputs, cand.outputs)
    evidence = [*cand.evidence, *base.evidence]
    details = [*breaks, *notes]
    if breaks:
        return GateResult(
            gate=NAME,
            status=GateStatus.FAIL,
            details=details,
            evidence=evidence,
            why=f"incompatible with champion v{base.version}: {breaks[0]}"
            + (f" (+{len(breaks) - 1} more)" if len(breaks) > 1 else ""),
        )
    return GateResult(
        gate=NAME,
        status=GateStatus.PASS,
        details=details,
        evidence=evidence,
        why=f"inputs and outputs compatible with champion v{base.version}",
    )
