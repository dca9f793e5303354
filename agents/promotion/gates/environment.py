"""Gate: environments in order — nothing reaches production without having passed staging.

For ``--to production`` the version must have held the ``staging`` alias at some point in the model's
alias history. Promotion to staging is the first gated environment and always passes this gate.
"""

from __future__ import annotations

from agents.promotion.models import GateResult, GateStatus, PromotionFacts

NAME = "environment_order"


def check(facts: PromotionFacts, _settings: object = None) -> GateResult:
    """Pass when the target is staging, or the version held the ``staging`` alias before."""
    if facts.target == "staging":
        return GateResult(gate=NAME, status=GateStatus.PASS, why="staging is the first gated environment")
    if facts.alias_history is None:
        return GateResult(
            gate=NAME,
            status=GateStatus.FAIL,
            why="cannot verify: alias history not read "
            f"({facts.unavailable.get('mlflow', 'mlflow did not answer')})",
        )
    held = [e for e in facts.alias_history if e.alias == "staging" and e.version == facts.version]
    evidence = [eid for eid, text in facts.evidence_index.items() if text.startswith("alias history")]
    if not held:
        staged = sorted({e.version for e in facts.alias_history if e.alias == "staging"}, key=_num)
        seen = f"staging held: v{', v'.join(staged)}" if staged else "staging alias never set"
        return GateResult(
            gate=NAME,
            status=GateStatus.FAIL,
            evidence=evidence,
            details=[seen],
            why=f"v{facts.version} never held the staging alias; promote it to staging first",
        )
    first = min(held, key=lambda e: e.at.timestamp() if e.at else 0.0)
    when = f" since {first.at:%Y-%m-%d %H:%M}Z" if first.at else ""
    return GateResult(
        gate=NAME,
        status=GateStatus.PASS,
        evidence=evidence,
        why=f"v{facts.version} held the staging alias{when}",
    )


def _num(version: str) -> tuple[int, str]:
    return (int(version), "") if version.isdigit() else (0, version)
