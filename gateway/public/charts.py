"""Bar charts drawn on the server as SVG: no script, a few hundred bytes, sharp on any screen.

``bars`` draws one question's answers as horizontal bars (the page's chart and, with a heading
and a footer, the image shared with a permalink); ``stacked`` draws one group's answers as a
single bar of shares (the breakdowns by county, ward and platform).
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import escape

# Dark enough against white for text (WCAG AA) and told apart by colour-blind readers.
COLOURS = ("#0b6e4f", "#b3261e", "#8a5a00", "#005f73", "#3d348b", "#495057")
INK = "#1a1a1a"
WIDTH = 600
ROW = 46


def colour(index: int) -> str:
    return COLOURS[index % len(COLOURS)]


def _percent(count: int, total: int) -> int:
    return round(100 * count / total) if total else 0


def bars(
    labels: Sequence[str],
    counts: Sequence[int],
    *,
    title: str = "",
    heading: str = "",
    footer: str = "",
    width: int = WIDTH,
) -> str:
    """Horizontal bars, one per answer: its label, then its bar with the percentage and count.
    ``heading`` and ``footer`` (the question, the source) make it a picture of its own; a
    page's chart is narrower (``width``), so that its words stay legible on a phone."""
    total = sum(counts)
    top = 40 if heading else 0
    height = top + ROW * len(labels) + (30 if footer else 0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" class="bars" role="img" aria-label="{escape(title or heading)}">',
        f"<title>{escape(title or heading)}</title>",
    ]
    if heading:
        parts.append(
            f'<rect width="{width}" height="{height}" fill="#ffffff"/>'
            f'<text x="8" y="26" font-family="sans-serif" font-size="18" font-weight="bold" '
            f'fill="{INK}">{escape(heading[:70])}</text>'
        )
    for i, (label, count) in enumerate(zip(labels, counts, strict=True)):
        y = top + i * ROW
        share = _percent(count, total)
        bar = max(1, round((width - 130) * count / total)) if total else 1
        parts.append(
            f'<text x="8" y="{y + 16}" font-family="sans-serif" font-size="14" '
            f'fill="{INK}">{escape(label[:60])}</text>'
            f'<rect x="8" y="{y + 22}" width="{bar}" height="16" fill="{colour(i)}"/>'
            f'<text x="{bar + 14}" y="{y + 35}" font-family="sans-serif" font-size="14" '
            f'fill="{INK}">{share}% ({count})</text>'
        )
    if footer:
        parts.append(
            f'<text x="8" y="{height - 10}" font-family="sans-serif" font-size="12" '
            f'fill="{INK}">{escape(footer)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def stacked(labels: Sequence[str], counts: Sequence[int], title: str) -> str:
    """One bar split by each answer's share (the colours of :func:`bars`)."""
    total = sum(counts)
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 6" width="100%" height="18" '
        f'preserveAspectRatio="none" role="img" aria-label="{escape(title)}">'
    ]
    x = 0.0
    for i, count in enumerate(counts):
        width = 100 * count / total if total else 0
        if width:
            parts.append(
                f'<rect x="{x:.2f}" width="{width:.2f}" height="6" fill="{colour(i)}">'
                f"<title>{escape(labels[i])}: {_percent(count, total)}%</title></rect>"
            )
        x += width
    parts.append("</svg>")
    return "".join(parts)
