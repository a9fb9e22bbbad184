// Draws the charts of a page with the vendored ECharts (static/vendor/echarts), from plain data the server put
// in a json_script element (id "dashboard-charts"; its format is described in insights/dashboards/charts.py).
// Each chart is an element with data-chart="<key>", role="img" and an aria-label, hidden until drawn; the same
// figures are in a <details> table beside it, open without JavaScript and folded once the charts are drawn. No
// inline script or style: the page works under a strict Content-Security-Policy.
(function () {
  "use strict";
  const payload = document.getElementById("dashboard-charts");
  if (!payload || !window.echarts) return; // without the library the tables stay open: nothing is lost
  const specs = JSON.parse(payload.textContent);
  const css = getComputedStyle(document.documentElement);
  const color = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  const palette = {
    accent: color("--accent", "#2553c4"),
    danger: color("--danger", "#b3261e"),
    muted: color("--muted", "#566274"),
    border: color("--border", "#e1e5eb"),
    soft: color("--accent-soft", "#e8eefc"),
    text: color("--text", "#18212d"),
    font: color("--font", "system-ui, sans-serif"),
  };
  const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const escape = (text) => window.echarts.format.encodeHTML(String(text));
  const whole = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
  const compact = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });

  // How a value reads in a tooltip (full) and on an axis (short), by the chart's format.
  function full(format, value) {
    if (value === null || value === undefined) return "–";
    if (format === "percent") return Math.round(value * 100) + "%";
    if (format === "decimal") return Number(value).toFixed(3);
    return whole.format(value);
  }
  function short(format, value) {
    if (format === "percent") return Math.round(value * 100) + "%";
    if (format === "decimal") return String(Number(value.toFixed(3)));
    return compact.format(value);
  }

  function seriesColor(series, index) {
    if (series.tone === "danger") return palette.danger;
    if (series.dashed) return palette.muted;
    return index === 0 ? palette.accent : palette.danger;
  }

  // One tooltip for bar and line charts: the category, then each series' value. No series marker: ECharts draws
  // it with an inline style attribute, which a strict style-src would refuse.
  function axisTooltip(spec) {
    return function (items) {
      // A series without a value at this category (the month-to-date point stands alone) says nothing.
      const given = items.filter((item) => item.value !== null && item.value !== undefined && item.value !== "-");
      const lines = given.map(
        (item) => escape(item.seriesName) + ": <strong>" + full(spec.format, item.value) + "</strong>"
      );
      return "<strong>" + escape(items[0].name) + "</strong><br>" + lines.join("<br>");
    };
  }

  // Category labels take at most 40 % of a narrow chart, so that the bars keep room on a phone.
  const labelWidth = (element) => Math.min(220, Math.floor(element.clientWidth * 0.4));

  // Every axis label names the page's font itself: ECharts sizes the room for labels (containLabel) with the
  // axis label's own font, not the chart-wide textStyle, so a label drawn in the page's font came out wider than
  // the room made for it and was clipped at the chart's edge ("apsed one-time buyers").
  const label = (options) => ({ fontFamily: palette.font, ...options });

  const base = {
    animation: !still,
    textStyle: { fontFamily: palette.font, color: palette.text },
    tooltip: { confine: true },
  };

  function bar(spec, element) {
    element.style.height = Math.max(180, 60 + spec.categories.length * spec.series.length * 26) + "px";
    return {
      ...base,
      tooltip: { ...base.tooltip, trigger: "axis", axisPointer: { type: "shadow" }, formatter: axisTooltip(spec) },
      legend: spec.series.length > 1 ? { top: 0 } : undefined,
      grid: { left: 8, right: 24, top: spec.series.length > 1 ? 32 : 8, bottom: 8, containLabel: true },
      // Counts have no halves: the axis steps by whole numbers at least (no "0.5 customers" on small data).
      xAxis: { type: "value", minInterval: spec.format === "count" ? 1 : undefined, splitNumber: element.clientWidth < 480 ? 3 : 5, axisLabel: label({ hideOverlap: true, formatter: (v) => short(spec.format, v) }), splitLine: { lineStyle: { color: palette.border } } },
      yAxis: { type: "category", inverse: true, data: spec.categories, axisLabel: label({ width: labelWidth(element), overflow: "truncate" }) },
      series: spec.series.map((s, i) => ({
        name: s.name,
        type: "bar",
        // A tone per category (the model's bar and the baseline's), else the series' colour.
        data: spec.tones ? s.data.map((value, j) => ({ value, itemStyle: { color: palette[spec.tones[j]] || seriesColor(s, i) } })) : s.data,
        barMaxWidth: 22,
        itemStyle: { color: seriesColor(s, i), borderRadius: [0, 3, 3, 0] },
        label: spec.values_shown ? { show: true, position: "right", fontFamily: palette.font, formatter: (item) => full(spec.format, item.value) } : undefined,
      })),
    };
  }

  function line(spec) {
    return {
      ...base,
      tooltip: { ...base.tooltip, trigger: "axis", formatter: axisTooltip(spec) },
      legend: spec.series.length > 1 ? { top: 0 } : undefined,
      grid: { left: 8, right: 16, top: spec.series.length > 1 ? 32 : 12, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: spec.categories, boundaryGap: !spec.series.some((s) => s.area), axisLabel: label({ hideOverlap: true }) },
      // A spec may fix the value axis ("min", "max": net sentiment runs from -100% to 100%) and ask for a line
      // at zero ("zero_line"), so a flat line at 0 reads as "neutral", not as an empty chart.
      yAxis: { type: "value", minInterval: spec.format === "count" ? 1 : undefined, scale: spec.format === "decimal", min: spec.min, max: spec.max, axisLabel: label({ formatter: (v) => short(spec.format, v) }), splitLine: { lineStyle: { color: palette.border } } },
      series: spec.series.map((s, i) => ({
        name: s.name,
        type: "line",
        data: s.data,
        symbolSize: 6,
        connectNulls: true,
        itemStyle: { color: seriesColor(s, i) },
        lineStyle: { width: 2, type: s.dashed ? "dashed" : "solid", color: seriesColor(s, i) },
        areaStyle: s.area ? { color: palette.soft } : undefined,
        markLine: spec.zero_line && i === 0
          ? { silent: true, symbol: "none", label: { show: false }, lineStyle: { color: palette.muted, type: "solid", width: 1 }, data: [{ yAxis: 0 }] }
          : undefined,
      })),
    };
  }

  function heatmap(spec, element) {
    element.style.height = Math.max(200, 70 + spec.rows.length * 30) + "px";
    const counted = spec.cells.some((cell) => cell[3] !== null);
    // Column labels wrap within their column rather than being cut, so that similar names stay apart.
    const column = Math.max(40, Math.floor((element.clientWidth - labelWidth(element) - 20) / spec.categories.length) - 8);
    return {
      ...base,
      tooltip: {
        ...base.tooltip,
        formatter: (item) => {
          const [x, y, share, count] = item.value;
          const extra = count === null ? "" : " (" + whole.format(count) + " customers)";
          return escape(spec.rows[y]) + " &rarr; " + escape(spec.categories[x]) + ": <strong>" + full("percent", share) + "</strong>" + extra;
        },
      },
      grid: { left: 8, right: 16, top: 8, bottom: 48, containLabel: true },
      xAxis: { type: "category", data: spec.categories, position: "top", axisLabel: label({ interval: 0, width: column, overflow: "break" }) },
      yAxis: { type: "category", data: spec.rows, inverse: true, axisLabel: label({ width: labelWidth(element), overflow: "truncate" }) },
      visualMap: {
        min: 0, max: 1, calculable: false, orient: "horizontal", left: "center", bottom: 0, itemHeight: 160,
        inRange: { color: ["#f4f7fe", palette.accent] }, text: ["100%", "0%"], dimension: 2,
      },
      series: [{
        type: "heatmap",
        data: spec.cells,
        label: { show: true, formatter: (item) => (counted ? whole.format(item.value[3]) : full("percent", item.value[2])) },
        itemStyle: { borderColor: "#fff", borderWidth: 1 },
        emphasis: { itemStyle: { borderColor: palette.text } },
      }],
    };
  }

  function calibration(spec) {
    const largest = Math.max(...spec.points.map((p) => p[2]));
    const axis = (name) => ({ type: "value", min: 0, max: 1, name, nameLocation: "middle", nameGap: 36, axisLabel: label({ formatter: (v) => short("percent", v) }), splitLine: { lineStyle: { color: palette.border } } });
    return {
      ...base,
      tooltip: {
        ...base.tooltip,
        formatter: (item) => item.seriesIndex === 0
          ? "Predicted <strong>" + full("percent", item.value[0]) + "</strong>, observed <strong>" + full("percent", item.value[1]) + "</strong><br>" + whole.format(item.value[2]) + " customers"
          : "Perfect calibration",
      },
      legend: { top: 0 },
      grid: { left: 40, right: 24, top: 36, bottom: 32, containLabel: true },
      xAxis: axis("Predicted churn risk"),
      yAxis: axis("Observed churn"),
      series: [
        { name: "Churn model", type: "line", data: spec.points, symbolSize: (p) => 6 + 14 * Math.sqrt(p[2] / largest), itemStyle: { color: palette.accent }, lineStyle: { color: palette.accent } },
        { name: "Perfect calibration", type: "line", data: [[0, 0], [1, 1]], symbol: "none", lineStyle: { type: "dashed", color: palette.muted }, itemStyle: { color: palette.muted } },
      ],
    };
  }

  const builders = { bar, line, heatmap, calibration };
  const drawn = [];
  document.querySelectorAll("[data-chart]").forEach((element) => {
    const spec = specs[element.dataset.chart];
    if (!spec || !builders[spec.type]) return;
    element.hidden = false;
    const chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(builders[spec.type](spec, element));
    chart.resize();
    drawn.push(chart);
    // The figures are drawn: fold the table beside the chart (still one click or key press away).
    const table = element.closest("section") && element.closest("section").querySelector("details.chart-data");
    if (table) table.open = false;
  });
  if (drawn.length) {
    window.addEventListener("resize", () => drawn.forEach((chart) => chart.resize()));
  }
})();
