import re

from casework.supervision import charts


def _widths(svg: str) -> list[float]:
    return [float(w) for w in re.findall(r'<rect x="190"[^>]* width="([\d.]+)"', svg)]


def test_bars_scale_to_the_largest_value():
    svg = charts.horizontal_bars("Ages", [("a", 4, "4"), ("b", 2, "2"), ("c", 0, "0")])

    assert _widths(svg) == [330.0, 165.0, 0.0]


def test_bars_scale_to_a_given_maximum_for_rates():
    svg = charts.horizontal_bars("Rates", [("a", 0.5, "50%")], maximum=1)

    assert _widths(svg) == [165.0]


def test_labels_are_escaped_so_a_provider_name_cannot_inject_markup():
    svg = charts.horizontal_bars("<b>t</b>", [("<script>x</script>", 1, "1 & 2")])

    assert "<script>" not in svg
    assert "&lt;script&gt;x&lt;/script&gt;" in svg
    assert "1 &amp; 2" in svg
    assert "<title>&lt;b&gt;t&lt;/b&gt;</title>" in svg


def test_share_columns_leave_a_month_without_data_empty_and_colour_late_months():
    svg = charts.share_columns(
        "On time",
        [("2026-01", None, "n/a"), ("2026-02", 1.0, "100%"), ("2026-03", 0.5, "50%")],
    )

    rects = re.findall(r'<rect [^>]*height="([\d.]+)" fill="(#[0-9a-f]+)"', svg)
    assert rects == [("160.0", charts.BAR), ("80.0", charts.LATE)]
    assert "2026-01" in svg


def test_an_empty_chart_says_so():
    assert "No data." in charts.horizontal_bars("Nothing", [])
