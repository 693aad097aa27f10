"""The server-drawn charts: the axis top, the figures written out, and no inline style (CSP)."""

import re

from marketplace.web.pages.charts import Series, bar_chart, line_chart, nice_ceiling


def test_the_axis_top_is_the_next_round_figure():
    assert [nice_ceiling(v) for v in (0, 0.3, 1, 7, 10, 11, 23, 51, 480, 5000)] == [
        1,
        0.5,
        1,
        10,
        10,
        20,
        50,
        100,
        500,
        5000,
    ]


def test_a_line_chart_names_every_point_and_skips_missing_ones():
    svg = line_chart(
        "订单趋势", ["11月1日", "11月8日", "11月15日"], [Series("下单", [3, None, 12]), Series("完成", [1, 2, 5])]
    )
    assert svg.startswith("<svg") and 'role="img"' in svg and "<title>订单趋势</title>" in svg
    assert svg.count("<circle") == 5
    assert "下单 11月15日: 12" in svg and "完成 11月8日: 2" in svg
    assert "style=" not in svg and "<script" not in svg


def test_a_bar_chart_writes_each_figure_and_escapes_labels():
    svg = bar_chart("按领域", [("法律<援助>", 4), ("健康", 10)])
    assert "法律&lt;援助&gt;: 4" in svg and ">10</text>" in svg
    heights = [float(h) for h in re.findall(r'<rect class="chart-bar"[^>]*height="([\d.]+)"', svg)]
    assert heights[1] > heights[0] > 0


def test_empty_charts_still_draw_their_axes():
    assert "<title>空</title>" in bar_chart("空", []) and "<title>空</title>" in line_chart("空", [], [])


def test_horizontal_bars_fit_long_labels_and_escape_them():
    from marketplace.web.pages.charts import hbar_chart

    svg = hbar_chart("各类别需求数", [("劳动争议", 40), ("亲子<阅读>", 20), ("急救培训", 0)])
    widths = [float(w) for w in re.findall(r'<rect class="chart-bar"[^>]*width="([\d.]+)"', svg)]
    assert widths[0] == 2 * widths[1] and widths[2] == 0  # to scale, the longest the largest
    assert "亲子&lt;阅读&gt;: 20" in svg and "<阅读>" not in svg
    assert 'viewBox="0 0 640 ' in svg and "style=" not in svg


def test_a_legend_names_each_series_in_its_colour():
    from marketplace.web.pages.charts import legend

    html = legend([Series("教育培训", [1]), Series("法律<咨询>", [2])])
    assert html.count("<li>") == 2 and 'class="chart-series-1"' in html and "法律&lt;咨询&gt;" in html
