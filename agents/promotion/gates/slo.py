"""Gate: canary/shadow SLOs of the candidate version from Prometheus (latency p99, error rate).

Over the window, for the series of this model and version: p99 latency from
``histogram_quantile(0.99, sum by (le) (rate(model_request_duration_seconds_bucket[w])))`` and the 5xx
share of ``model_requests_total``. A version with no traffic in the window has no canary or shadow
evidence: promoting it to a target that requires that evidence (``canary_required_targets``, production
by default) fails unless ``canary_waived_models`` waives it for this model; other targets skip. A
source that did not answer fails the gate (it cannot be verified). Per-model limits come from the
model tags ``slo.latency_p99_ms`` and ``slo.error_rate``.
"""

from __future__ import annotations

from agents.promotion.models import GateResult, GateStatus, PromotionFacts, SloFacts
from agents.promotion.settings import PromotionSettings

NAME = "canary_slo"


def limits(facts: PromotionFacts, settings: PromotionSettings) -> tuple[float, float]:
    """(p99 latency limit in seconds, error-rate limit): model tags override the settings."""
    latency, errors = settings.slo_latency_p99_s, settings.slo_error_rate
    try:
        if "slo.latency_p99_ms" in facts.model_tags:
            latency = float(facts.model_tags["slo.latency_p99_ms"]) / 1000
        if "slo.error_rate" in facts.model_tags:
            errors = float(facts.model_tags["slo.error_rate"])
    except ValueError:
        pass  # a malformed tag keeps the default limit; the line below names the limit used
    return latency, errors


def _not_judgeable(facts: PromotionFacts, slo: SloFacts, settings: PromotionSettings) -> GateResult | None:
    """No traffic: FAIL when the target needs canary evidence, else SKIP; FAIL with traffic but no
    measurement; None when there is something to judge."""
    if slo.requests is None or slo.requests < settings.slo_min_requests:
        no_traffic = f"v{facts.version} served no traffic in the last {slo.window} ({slo.selector})"
        if settings.canary_required(facts.model, facts.target):
            return GateResult(
                gate=NAME,
                status=GateStatus.FAIL,
                evidence=slo.evidence,
                why=f"{no_traffic}: {facts.target} needs canary or shadow evidence (traffic on the "
                "candidate with its SLOs met) and no waiver covers this model",
            )
        waived = facts.target in settings.canary_required_targets
        return GateResult(
            gate=NAME,
            status=GateStatus.SKIP,
            evidence=slo.evidence,
            why=f"{no_traffic}; no canary or shadow to judge"
            + (f" (canary evidence waived for {facts.model} by policy)" if waived else ""),
        )
    if slo.latency_p99_s is None and slo.error_rate is None:
        return GateResult(
            gate=NAME,
            status=GateStatus.FAIL,
            evidence=slo.evidence,
            why=f"cannot verify: v{facts.version} has traffic but no latency or error measurement",
        )
    return None


def _judge(slo: SloFacts, max_latency: float, max_errors: float) -> tuple[list[str], list[str]]:
    """(detail lines, broken limits) of the measured p99 latency and error rate."""
    lines, failures = [f"requests in {slo.window}: {slo.requests:.0f}"], []
    if slo.latency_p99_s is None:
        lines.append("latency p99: no histogram samples")
    else:
        ok = slo.latency_p99_s <= max_latency
        lines.append(f"latency p99 {slo.latency_p99_s * 1000:.1f} ms (limit {max_latency * 1000:.0f} ms)")
        if not ok:
            failures.append(f"p99 {slo.latency_p99_s * 1000:.0f} ms > {max_latency * 1000:.0f} ms")
    if slo.error_rate is not None:
        lines.append(f"error rate {slo.error_rate:.2%} (limit {max_errors:.2%})")
        if slo.error_rate > max_errors:
            failures.append(f"error rate {slo.error_rate:.2%} > {max_errors:.2%}")
    return lines, failures


def check(facts: PromotionFacts, settings: PromotionSettings) -> GateResult:
    """Judge p99 latency and error rate against the limits; skip without traffic."""
    slo = facts.slo
    if slo is None:
        return GateResult(
            gate=NAME,
            status=GateStatus.FAIL,
            why="cannot verify: Prometheus did not answer "
            f"({facts.unavailable.get('prometheus', 'unavailable')})",
        )
    skipped = _not_judgeable(facts, slo, settings)
    if skipped is not None:
        return skipped
    lines, failures = _judge(slo, *limits(facts, settings))
    if failures:
        return GateResult(
            gate=NAME,
            status=GateStatus.FAIL,
            details=lines,
            evidence=slo.evidence,
            why=f"v{facts.version} breaks its SLOs over {slo.window}: {'; '.join(failures)}",
        )
    return GateResult(
        gate=NAME,
        status=GateStatus.PASS,
        details=lines,
        evidence=slo.evidence,
        why=f"v{facts.version} within its SLOs over {slo.window}",
    )
