/* Draws the statistics page's charts with ECharts from the JSON blob the page embeds.
   The same numbers are in plain tables under each chart, so the page reads without this script. */
(function () {
  "use strict";

  var blob = document.getElementById("charts-data");
  if (!blob || !window.echarts) { return; }
  var data = JSON.parse(blob.textContent);
  var GREEN = "#198754", RED = "#dc3545", INK = "#212529";
  var PALETTE = ["#198754", "#0d6efd", "#fd7e14", "#6f42c1", "#20c997", "#d63384", "#ffc107", "#0dcaf0", "#6c757d", "#795548"];
  var drawn = [];

  function draw(id, option, height) {
    var el = document.getElementById(id);
    if (!el) { return; }
    if (height) { el.style.height = height + "px"; }
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(Object.assign({ color: PALETTE, textStyle: { fontSize: 13 }, animation: false }, option));
    drawn.push(chart);
  }

  function pie(spec) {
    var shown = spec.cells.filter(function (c) { return c.value; });
    return {
      tooltip: { trigger: "item", formatter: "{b}：{c}" + spec.unit + "（{d}%）" },
      legend: { type: "scroll", bottom: 0 },
      series: [{
        type: "pie", radius: ["32%", "62%"], center: ["50%", "45%"],
        label: { formatter: "{b}\n{c}" },
        data: shown.map(function (c) { return { name: c.label, value: c.value }; })
      }]
    };
  }

  function bar(spec) {
    // Many or long labels (skills, places) read better as horizontal bars, largest on top.
    var horizontal = spec.cells.length > 9 || spec.key === "skills" || spec.key === "migrant_place";
    var cells = horizontal ? spec.cells.slice().reverse() : spec.cells;
    var labels = cells.map(function (c) { return c.label; });
    var values = cells.map(function (c) { return c.value === null ? "-" : c.value; });
    var category = { type: "category", data: labels, axisLabel: { interval: 0, rotate: horizontal ? 0 : 30 } };
    var amount = { type: "value", minInterval: 1 };
    var option = {
      grid: { left: 8, right: 40, top: 16, bottom: 8, containLabel: true },
      tooltip: {
        trigger: "axis", axisPointer: { type: "shadow" },
        formatter: function (items) {
          var cell = cells[items[0].dataIndex];
          return cell.label + "：" + cell.shown + spec.unit;
        }
      },
      xAxis: horizontal ? amount : category,
      yAxis: horizontal ? category : amount,
      series: [{
        type: "bar", data: values, itemStyle: { color: GREEN }, barMaxWidth: 36,
        label: { show: true, position: horizontal ? "right" : "top" }
      }]
    };
    return { option: option, height: horizontal ? Math.max(260, cells.length * 24 + 40) : null };
  }

  data.charts.forEach(function (spec) {
    if (!spec.cells.length) { return; }
    if (spec.kind === "pie") {
      draw("chart-" + spec.key, pie(spec));
    } else {
      var made = bar(spec);
      draw("chart-" + spec.key, made.option, made.height);
    }
  });

  var points = data.points;
  draw("chart-points", {
    tooltip: { trigger: "axis" },
    legend: { data: ["加分", "扣分", "净积分"], top: 0 },
    grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: points.months, axisLabel: { interval: 0 } },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: "加分", type: "bar", data: points.awarded, itemStyle: { color: GREEN }, barMaxWidth: 28 },
      { name: "扣分", type: "bar", data: points.deducted, itemStyle: { color: RED }, barMaxWidth: 28 },
      { name: "净积分", type: "line", data: points.net, itemStyle: { color: INK } }
    ]
  });

  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () { drawn.forEach(function (c) { c.resize(); }); }, 150);
  });
}());
