"""A manager's dashboards in a real browser: every chart draws, and the page logs no error."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.book import make_book

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
# The charts the book's data gives the page (keys of insights/dashboards/charts.py charts(), one data-chart element
# each); the page may draw more (the churn calibration needs a trained run's backtest, which the book has not).
EXPECTED_CHARTS = {
    "revenue", "segment_sizes", "segment_value", "owners", "cohorts", "migration",
    "quality_segments", "quality_value", "quality_churn",
}  # fmt: skip

# Per element marked [data-chart]: whether it holds a canvas or an svg, and whether anything was drawn on it
# (a canvas with at least one non-transparent pixel, an svg with at least one shape).
CHARTS_JS = """() => [...document.querySelectorAll('[data-chart]')].map((chart) => {
  const canvas = chart.querySelector('canvas'), svg = chart.querySelector('svg');
  let drawn = false;
  if (canvas && canvas.width && canvas.height) {
    const context = canvas.getContext('2d');
    const pixels = context ? context.getImageData(0, 0, canvas.width, canvas.height).data : [];
    for (let i = 3; i < pixels.length && !drawn; i += 4) drawn = pixels[i] > 0;
  } else if (svg) {
    drawn = svg.querySelector('path, rect, circle, line, polyline, polygon, text') !== null;
  }
  const box = chart.getBoundingClientRect();
  return {name: chart.dataset.chart, holder: canvas ? 'canvas' : svg ? 'svg' : null, drawn,
          width: box.width, height: box.height};
})"""


@pytest.fixture
def book(alice, bob):
    """Alice's and bob's customers with orders and active model runs (tests/e2e/book.py)."""
    return make_book({"alice": alice, "bob": bob})


def test_a_managers_dashboards_draw_every_chart_without_errors(tab, sign_in, book, charlie):
    sign_in(charlie)
    assert tab.open(reverse("insights:dashboards")).ok
    page = tab.page
    expect(page.get_by_role("heading", name="Segments", exact=True)).to_be_visible()
    charts = page.locator("[data-chart]")
    expect(charts.first).to_be_attached()
    for n in range(charts.count()):  # each chart's library has had time to put its canvas or svg in
        expect(charts.nth(n).locator("canvas, svg").first).to_be_attached()
    page.wait_for_load_state("networkidle")
    tab.screenshot("dashboards")
    drawn = page.evaluate(CHARTS_JS)
    for chart in drawn:
        assert chart["holder"] and chart["drawn"], f"chart {chart['name']!r} did not draw: {chart}"
        assert chart["width"] > 100 and chart["height"] > 100, f"chart {chart['name']!r} has no room: {chart}"
    assert not EXPECTED_CHARTS - {chart["name"] for chart in drawn}, "charts missing from the page"
    tab.assert_clean()


# Per canvas chart: whether anything is drawn in the strip of `EDGE` CSS pixels along its left edge. Every chart
# keeps a margin there (grid left >= 8 px), so ink in it is a label cut off at the edge.
EDGE = 3
LEFT_EDGE_JS = """(edge) => [...document.querySelectorAll('[data-chart] canvas')].map((canvas) => {
  const scale = canvas.width / canvas.getBoundingClientRect().width;
  const pixels = canvas.getContext('2d').getImageData(0, 0, Math.ceil(edge * scale), canvas.height).data;
  let inked = false;
  for (let i = 3; i < pixels.length && !inked; i += 4) inked = pixels[i] > 0;
  return {name: canvas.closest('[data-chart]').dataset.chart, inked};
})"""


def test_no_chart_label_is_cut_off_at_the_charts_left_edge(tab, sign_in, book, charlie):
    sign_in(charlie)
    assert tab.open(reverse("insights:dashboards")).ok
    page = tab.page
    charts = page.locator("[data-chart]")
    expect(charts.first).to_be_attached()
    for n in range(charts.count()):
        expect(charts.nth(n).locator("canvas, svg").first).to_be_attached()
    page.wait_for_load_state("networkidle")
    cut = [chart["name"] for chart in page.evaluate(LEFT_EDGE_JS, EDGE) if chart["inked"]]
    assert not cut, f"labels cut off at the left edge of {cut}"


def test_the_next_best_actions_table_fits_a_1366px_screen(tab, sign_in, book, charlie):
    from insights.models import SuggestedAction

    for action in ("call_now", "win_back", "send_offer", "check_in"):
        SuggestedAction.objects.create(customer=book.customers["Juniper & Sons"], action=action, reason="r")
    sign_in(charlie)
    tab.page.set_viewport_size({"width": 1366, "height": 768})
    tab.open(reverse("insights:dashboards"))
    table, room = tab.page.evaluate(
        "[document.querySelector('#next-actions').scrollWidth,"
        " document.querySelector('#next-actions').parentElement.clientWidth]"
    )
    assert table <= room, f"the next best actions table is {table} px wide in {room} px"
    tab.assert_clean()


# The value axis's step of each drawn chart that counts things, as ECharts was given it (public getOption()).
COUNT_AXES_JS = """() => [...document.querySelectorAll('[data-chart]')].map((element) => {
  const option = window.echarts.getInstanceByDom(element).getOption();
  const axes = [...(option.xAxis || []), ...(option.yAxis || [])].filter((axis) => axis.type === 'value');
  return {name: element.dataset.chart, steps: axes.map((axis) => axis.minInterval ?? null)};
})"""


def test_axes_that_count_customers_step_by_whole_numbers(tab, sign_in, book, charlie):
    # The book has a handful of customers per segment: without a whole-number step the axis read 0.5, 1.5 ...
    sign_in(charlie)
    assert tab.open(reverse("insights:dashboards")).ok
    page = tab.page
    expect(page.locator("[data-chart='segment_sizes'] canvas")).to_be_attached()
    steps = {chart["name"]: chart["steps"] for chart in page.evaluate(COUNT_AXES_JS)}
    assert steps["segment_sizes"] == [1]
    assert steps["revenue"] == [None]  # money may have pence
