// The dashboards' charts (governance/templates/governance/dashboards/_chart.html): each
// .chart[data-chart] names the json_script that holds its figures; the same figures are the
// table under it. Patterns (decal) and value labels keep the chart readable without colour.
(function () {
  "use strict";

  function read(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function option(data, width) {
    var percent = data.unit === "%";
    var shown = data.series.filter(function (s) { return !s.hidden; });
    var symbols = ["circle", "rect", "triangle", "diamond"];
    var narrow = width < 560;
    // On a phone the legend takes a line per series; side-by-side bars turn their labels upright.
    var upright = narrow && data.kind !== "line" && !data.stack && shown.length > 1;
    var legendHeight = shown.length > 1 ? (narrow ? 26 * shown.length : 30) : 0;
    return {
      aria: { enabled: true, decal: { show: true } },
      textStyle: { fontSize: 14 },
      grid: { left: 8, right: 16, top: legendHeight + (upright ? 44 : 24), bottom: 8, containLabel: true },
      legend: shown.length > 1 ? { top: 0, left: 0, orient: narrow ? "vertical" : "horizontal", textStyle: { fontSize: 14 }, itemWidth: 28, itemHeight: 16 } : undefined,
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.categories, axisLabel: { fontSize: 13, interval: 0, rotate: narrow && data.categories.length > 4 ? 45 : 0 } },
      yAxis: { type: "value", max: percent ? 100 : null, minInterval: 1, axisLabel: { fontSize: 13, formatter: percent ? "{value}%" : "{value}" } },
      series: shown.map(function (s, i) {
        return {
          name: s.name,
          type: data.kind === "line" ? "line" : "bar",
          stack: data.stack ? "total" : undefined,
          data: s.data,
          symbol: symbols[i % symbols.length],
          symbolSize: 10,
          showAllSymbol: true,
          lineStyle: { width: 3, type: ["solid", "dashed", "dotted"][i % 3] },
          label: { show: true, position: data.stack ? "inside" : "top", fontSize: 13,
                   rotate: upright ? 90 : 0, align: upright ? "left" : "center", verticalAlign: upright ? "middle" : "bottom",
                   formatter: function (p) { return p.value === null || p.value === 0 && (data.stack || data.kind === "line") ? "" : p.value + (percent ? "%" : ""); } },
          connectNulls: false
        };
      })
    };
  }

  function draw(element) {
    var data = read(element.getAttribute("data-chart"));
    if (!data || !window.echarts) return;
    var lang = (document.documentElement.lang || "").toLowerCase();
    var chart = window.echarts.init(element, null, { renderer: "canvas", locale: lang.indexOf("zh") === 0 ? "ZH" : "EN" });
    chart.setOption(option(data, element.clientWidth));
    // A bar or a point opens the list behind it, as the table's links do.
    chart.on("click", function (params) {
      var series = data.series.filter(function (s) { return !s.hidden; })[params.seriesIndex];
      var url = series && series.urls && series.urls[params.dataIndex];
      if (url) window.location.assign(url);
    });
    window.addEventListener("resize", function () {
      chart.setOption(option(data, element.clientWidth), true);
      chart.resize();
    });
  }

  function start() {
    var charts = document.querySelectorAll(".chart[data-chart]");
    for (var i = 0; i < charts.length; i++) draw(charts[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
