"""Reading an alert expression's structure with a real PromQL parser (``promql-parser``).

The parser only tells us *what the rule says* (its comparison, threshold, metrics, grouping labels) so
diagnosis queries can be derived from the rule itself; whether a query is valid is always decided by
Prometheus's own parser (promtool / the server), never here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import promql_parser as pp

COMPARISONS = {">", "<", ">=", "<=", "==", "!="}
SET_OPS = {"and", "or", "unless"}
IDENTITY_LABELS = (
    "namespace",
    "pod",
    "container",
    "instance",
    "job",
    "service",
    "model",
    "version",
    "feature_view",
    "feature",
    "workload",
    "node",
    "device",
    "mountpoint",
    "queue",
    "topic",
)


@dataclass
class ExprShape:
    """What an alert expression is made of."""

    expr: str
    signal: str = field(default="", metadata={"doc": "the expression without its threshold comparison"})
    comparison: str | None = None
    threshold: float | None = None
    metrics: list[str] = field(default_factory=list)
    grouping: list[str] = field(default_factory=list)
    matchers: dict[str, dict[str, str]] = field(default_factory=dict)
    counters: list[str] = field(default_factory=list)
    functions: list[str] = field(default_factory=list)


def _walk(node: object, shape: ExprShape) -> None:
    if isinstance(node, pp.VectorSelector):
        name = node.name or next((m.value for m in node.matchers.matchers if m.name == "__name__"), None)
        if name and name not in shape.metrics:
            shape.metrics.append(name)
            shape.matchers[name] = {
                m.name: f"{_op(m.op)}{m.value}" for m in node.matchers.matchers if m.name != "__name__"
            }
        return
    if isinstance(node, pp.MatrixSelector):
        _walk(node.vector_selector, shape)
        return
    if isinstance(node, pp.AggregateExpr):
        if node.modifier is not None and node.modifier.type == pp.AggModifierType.By:
            shape.grouping += [lbl for lbl in node.modifier.labels if lbl not in shape.grouping]
        _walk(node.expr, shape)
        return
    if isinstance(node, pp.Call):
        shape.functions.append(node.func.name)
        if node.func.name in {"rate", "irate", "increase"}:
            for arg in node.args:
                if isinstance(arg, pp.MatrixSelector) and arg.vector_selector.name:
                    shape.counters.append(arg.vector_selector.name)
        for arg in node.args:
            _walk(arg, shape)
        return
    for attr in ("lhs", "rhs", "expr"):
        child = getattr(node, attr, None)
        if child is not None:
            _walk(child, shape)


def _op(op: object) -> str:
    for candidate, text in ((pp.MatchOp.NotEqual, "!="), (pp.MatchOp.Re, "=~"), (pp.MatchOp.NotRe, "!~")):
        if op == candidate:
            return text
    return "="


def _strip_parens(node: object) -> object:
    while isinstance(node, pp.ParenExpr):
        node = node.expr
    return node


def _split(node: object) -> tuple[object, str | None, float | None]:
    """(signal, comparison, threshold) of ``signal OP number`` (either side); set ops keep the left side."""
    node = _strip_parens(node)
    if not isinstance(node, pp.BinaryExpr):
        return node, None, None
    op = str(node.op)
    if op in SET_OPS:
        return _split(node.lhs)
    if op in COMPARISONS:
        lhs, rhs = _strip_parens(node.lhs), _strip_parens(node.rhs)
        if isinstance(rhs, pp.NumberLiteral):
            return lhs, op, float(rhs.val)
        if isinstance(lhs, pp.NumberLiteral):
            flipped = {">": "<", "<": ">", ">=": "<=", "<=": ">="}.get(op, op)
            return rhs, flipped, float(lhs.val)
        return node.lhs, op, None
    return node, None, None


def analyze(expr: str) -> ExprShape:
    """Parse ``expr`` and describe it. Raises ``ValueError`` when it is not PromQL."""
    try:
        tree = pp.parse(expr)
    except Exception as exc:
        raise ValueError(f"not PromQL: {exc}") from None
    shape = ExprShape(expr=expr.strip())
    signal, shape.comparison, shape.threshold = _split(tree)
    shape.signal = str(signal).strip() if signal is not None else shape.expr
    _walk(tree, shape)
    return shape


def selector(metric: str, matchers: dict[str, str]) -> str:
    """``metric{label="v",...}`` from the matchers as written in the rule."""
    if not matchers:
        return metric
    parts = []
    for label, spec in matchers.items():
        for op in ("=~", "!~", "!=", "="):
            if spec.startswith(op):
                value = spec[len(op) :].replace("\\", "\\\\").replace('"', '\\"')
                parts.append(f'{label}{op}"{value}"')
                break
    return f"{metric}{{{','.join(parts)}}}"
