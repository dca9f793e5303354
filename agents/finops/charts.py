"""Charts as inline SVG, generated here (no plotting library): line, diverging bars, waterfall."""

from __future__ import annotations

from html import escape

W, H, PAD_L, PAD_R, PAD_T, PAD_B = 720, 260, 70, 20, 30, 50


def _frame(title: str, body: str, height: int = H) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{W}" height="{height}" '
        f'viewBox="0 0 {W} {height}" font-family="sans-serif" font-size="11">'
        f"<title>{escape(title)}</title>"
        f'<text x="{W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">{escape(title)}</text>'
        f"{body}</svg>"
    )


def _ticks(lo: float, hi: float, y_of: object, n: int = 4) -> str:
    out = []
    for i in range(n + 1):
        v = lo + (hi - lo) * i / n
        y = y_of(v)  # type: ignore[operator]
        out.append(
            f'<line x1="{PAD_L}" y1="{y:.1f}" x2="{W - PAD_R}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end">{v:,.0f}</text>'
        )
    return "".join(out)


def line_chart(points: list[tuple[str, float]], title: str) -> str:
    """A line chart of ``(label, value)`` points (e.g. cost per day)."""
    if not points:
        return _frame(title, f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle">no data</text>')
    values = [v for _, v in points]
    lo, hi = 0.0, max(max(values), 1e-9) * 1.1
    plot_w, plot_h = W - PAD_L - PAD_R, H - PAD_T - PAD_B

    def x_of(i: int) -> float:
        return PAD_L + (plot_w * i / max(len(points) - 1, 1))

    def y_of(v: float) -> float:
        return PAD_T + plot_h * (1 - (v - lo) / (hi - lo))

    path = " ".join(f"{'M' if i == 0 else 'L'}{x_of(i):.1f},{y_of(v):.1f}" for i, (_, v) in enumerate(points))
    dots = "".join(
        f'<circle cx="{x_of(i):.1f}" cy="{y_of(v):.1f}" r="2.5" fill="#1f77b4">'
        f"<title>{escape(label)}: {v:,.2f}</title></circle>"
        for i, (label, v) in enumerate(points)
    )
    every = max(1, len(points) // 8)
    labels = "".join(
        f'<text x="{x_of(i):.1f}" y="{H - PAD_B + 16}" text-anchor="middle">{escape(label[-5:])}</text>'
        for i, (label, _) in enumerate(points)
        if i % every == 0
    )
    body = (
        _ticks(lo, hi, y_of)
        + f'<path d="{path}" fill="none" stroke="#1f77b4" stroke-width="2"/>'
        + dots
        + labels
    )
    return _frame(title, body)


def diverging_bars(items: list[tuple[str, float]], title: str) -> str:
    """Horizontal bars left (decrease, green) or right (increase, red) of zero."""
    if not items:
        return _frame(title, f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle">no data</text>')
    row, label_w = 22, 220
    height = PAD_T + row * len(items) + 20
    span = max(abs(v) for _, v in items) or 1.0
    mid = label_w + (W - label_w - PAD_R) / 2
    half = (W - label_w - PAD_R) / 2 - 50
    bars = [f'<line x1="{mid}" y1="{PAD_T - 4}" x2="{mid}" y2="{height - 14}" stroke="#999"/>']
    for i, (label, v) in enumerate(items):
        y = PAD_T + i * row
        length = half * abs(v) / span
        x = mid if v >= 0 else mid - length
        color = "#d62728" if v > 0 else "#2ca02c"
        bars.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{escape(label[:34])}</text>'
            f'<rect x="{x:.1f}" y="{y + 3}" width="{max(length, 1):.1f}" height="{row - 6}" fill="{color}"/>'
            f'<text x="{(x + length + 4) if v >= 0 else (x - 4):.1f}" y="{y + 14}" '
            f'text-anchor="{"start" if v >= 0 else "end"}">{v:+,.2f}</text>'
        )
    return _frame(title, "".join(bars), height)


def waterfall(steps: list[tuple[str, float, str]], title: str) -> str:
    """A waterfall: ``(label, value, kind)`` with kind ``total`` (bar from 0) or ``delta`` (floating bar)."""
    if not steps:
        return _frame(title, f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle">no data</text>')
    running, spans = 0.0, []
    for label, value, kind in steps:
        if kind == "total":
            spans.append((label, 0.0, value, kind))
            running = value
        else:
            spans.append((label, running, running + value, kind))
            running += value
    hi = max(max(a, b) for _, a, b, _ in spans) * 1.1 or 1.0
    lo = min(0.0, *(min(a, b) for _, a, b, _ in spans))
    plot_w, plot_h = W - PAD_L - PAD_R, H - PAD_T - PAD_B
    slot = plot_w / len(spans)

    def y_of(v: float) -> float:
        return PAD_T + plot_h * (1 - (v - lo) / (hi - lo))

    bars = []
    for i, (label, a, b, kind) in enumerate(spans):
        top, bottom = y_of(max(a, b)), y_of(min(a, b))
        color = "#1f77b4" if kind == "total" else ("#2ca02c" if b < a else "#d62728")
        x = PAD_L + i * slot + slot * 0.15
        bars.append(
            f'<rect x="{x:.1f}" y="{top:.1f}" width="{slot * 0.7:.1f}" height="{max(bottom - top, 1):.1f}" '
            f'fill="{color}"><title>{escape(label)}: {b - a:+,.2f}</title></rect>'
            f'<text x="{x + slot * 0.35:.1f}" y="{top - 4:.1f}" text-anchor="middle">{(b if kind == "total" else b - a):,.0f}</text>'
            f'<text x="{x + slot * 0.35:.1f}" y="{H - PAD_B + 16}" text-anchor="middle">{escape(label[:18])}</text>'
        )
    return _frame(title, _ticks(lo, hi, y_of) + "".join(bars))
