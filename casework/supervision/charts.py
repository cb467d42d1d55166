"""Small server-side SVG charts: no script, no CDN, nothing for a locked-down network to
block. Each function returns markup that is safe to put in a page: every label is
escaped here."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BAR = "#1f5fae"
LATE = "#b3261e"
INK = "#1d2430"
MUTED = "#5b6472"
GRID = "#d8dde4"


def _svg(width: int, height: int, title: str, body: list[str]) -> SafeString:
    return mark_safe(  # noqa: S308 - every interpolated label is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" '
        'class="chart">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def horizontal_bars(
    title: str,
    rows: list[tuple[str, float, str]],
    *,
    maximum: float | None = None,
    colour: str = BAR,
) -> SafeString:
    """rows: (label, value, text shown at the bar's end). Bars scale to `maximum`
    (the largest value when not given)."""
    label_width, bar_width, row_height = 190, 330, 26
    height = max(1, len(rows)) * row_height + 10
    top = max([value for _, value, _ in rows] + [maximum or 0]) or 1
    body = []
    for index, (label, value, text) in enumerate(rows):
        y = 5 + index * row_height
        length = bar_width * max(value, 0) / top
        body.append(
            f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end" '
            f'font-size="13" fill="{INK}">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="18" '
            f'fill="{colour}"><title>{escape(label)}: {escape(text)}</title></rect>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 17}" font-size="12" '
            f'fill="{MUTED}">{escape(text)}</text>'
        )
    if not rows:
        body.append(
            f'<text x="10" y="20" font-size="13" fill="{MUTED}">No data.</text>'
        )
    # Room after the longest bar for a value label such as "100% of 1,234".
    return _svg(label_width + bar_width + 110, height, title, body)


def share_columns(
    title: str, columns: list[tuple[str, float | None, str]]
) -> SafeString:
    """Vertical bars of shares in [0, 1] (e.g. on-time share by month), with a
    dashed line at 100%; a bar under 95% is drawn in the late colour. A column
    without data is left empty. The text under a column should be short
    ("62% of 8")."""
    chart_height, column_width, left = 160, 62, 40
    width = left + max(1, len(columns)) * column_width + 10
    body = [
        f'<line x1="{left}" y1="10" x2="{width - 5}" y2="10" stroke="{GRID}" '
        'stroke-dasharray="4 3"/>',
        f'<text x="{left - 4}" y="14" font-size="11" text-anchor="end" '
        f'fill="{MUTED}">100%</text>',
        f'<line x1="{left}" y1="{10 + chart_height}" x2="{width - 5}" '
        f'y2="{10 + chart_height}" stroke="{GRID}"/>',
    ]
    for index, (label, value, text) in enumerate(columns):
        x = left + index * column_width + 6
        if value is not None:
            height = chart_height * min(max(value, 0), 1)
            colour = BAR if value >= 0.95 else LATE
            body.append(
                f'<rect x="{x}" y="{10 + chart_height - height:.1f}" '
                f'width="{column_width - 12}" height="{height:.1f}" fill="{colour}">'
                f"<title>{escape(label)}: {escape(text)}</title></rect>"
            )
        body.append(
            f'<text x="{x + (column_width - 12) / 2:.1f}" y="{chart_height + 26}" '
            f'font-size="10" text-anchor="middle" fill="{INK}">{escape(label)}</text>'
            f'<text x="{x + (column_width - 12) / 2:.1f}" y="{chart_height + 40}" '
            f'font-size="10" text-anchor="middle" fill="{MUTED}">{escape(text)}</text>'
        )
    return _svg(width, chart_height + 50, title, body)


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"
