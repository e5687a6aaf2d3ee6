// The dashboards' charts: each [data-chart] box is drawn by ECharts from the figure's JSON (the same table
// that stands below it and that the API answers). Clicking a point, a cell or a bar opens its cases.
"use strict";

(function () {
  const pct = (v) => (v === null || v === undefined ? null : Math.round(v * 1000) / 10);
  const col = (fig, key) => fig.columns.indexOf(key);
  const values = (fig, key) => fig.rows.map((r) => r[col(fig, key)]);
  const label = (fig, key) => fig.labels[col(fig, key)];
  const base = { animation: false, tooltip: { trigger: "item", renderMode: "richText" }, grid: { containLabel: true, left: 8, right: 8, top: 40, bottom: 8 } };

  const builders = {
    trend(fig) {
      const keys = ["recovery_rate", "kept_rate", "contact_rate", "rpc_rate"];
      return {
        ...base,
        tooltip: { trigger: "axis", renderMode: "richText" },
        legend: { top: 0 },
        xAxis: { type: "category", data: values(fig, "day") },
        yAxis: { type: "value", axisLabel: { formatter: "{value}%" } },
        series: keys.map((k) => ({ name: label(fig, k), type: "line", connectNulls: true, data: values(fig, k).map(pct) })),
      };
    },
    roll(fig) {
      const targets = fig.extra.targets;
      const froms = values(fig, "from");
      const data = [];
      fig.rows.forEach((row, y) => targets.forEach((t, x) => data.push([x, y, pct(row[col(fig, t)])])));
      return {
        ...base,
        xAxis: { type: "category", data: targets.map((t) => label(fig, t)) },
        yAxis: { type: "category", data: froms, inverse: true },
        visualMap: { min: 0, max: 100, calculable: false, orient: "horizontal", left: "center", top: 0, itemHeight: 120 },
        series: [{ type: "heatmap", data: data, label: { show: true, formatter: (p) => p.value[2] + "%" } }],
      };
    },
    heatmap(fig) {
      const hours = Array.from({ length: 24 }, (_, h) => h);
      const days = fig.extra.weekdays;
      const data = fig.rows.map((r) => [r[col(fig, "hour")], days.indexOf(r[col(fig, "weekday")]), pct(r[col(fig, "rpc_rate")])]);
      return {
        ...base,
        xAxis: { type: "category", data: hours },
        yAxis: { type: "category", data: days, inverse: true },
        visualMap: { min: 0, max: Math.max(1, ...data.map((d) => d[2] || 0)), orient: "horizontal", left: "center", top: 0, itemHeight: 120 },
        series: [{ type: "heatmap", data: data }],
      };
    },
    leaderboard(fig) {
      return {
        ...base,
        xAxis: { type: "category", data: values(fig, "collector") },
        yAxis: { type: "value" },
        series: [{ name: label(fig, "recovered"), type: "bar", data: values(fig, "recovered").map(Number) }],
      };
    },
    channels(fig) {
      return {
        ...base,
        legend: { top: 0 },
        xAxis: { type: "category", data: values(fig, "channel") },
        yAxis: [{ type: "value", axisLabel: { formatter: "{value}%" } }, { type: "value" }],
        series: [
          { name: label(fig, "reach_rate"), type: "bar", data: values(fig, "reach_rate").map(pct) },
          { name: label(fig, "recovered_per_attempt"), type: "bar", yAxisIndex: 1, data: values(fig, "recovered_per_attempt").map(Number) },
        ],
      };
    },
    selfservice(fig) {
      return {
        ...base,
        xAxis: { type: "category", data: values(fig, "what") },
        yAxis: { type: "value", axisLabel: { formatter: "{value}%" } },
        series: [{ name: label(fig, "share"), type: "bar", data: values(fig, "share").map(pct) }],
      };
    },
    vintage(fig) {
      return {
        ...base,
        xAxis: { type: "category", data: values(fig, "vintage") },
        yAxis: { type: "value", axisLabel: { formatter: "{value}%" } },
        series: [{ name: label(fig, "recovery_rate"), type: "bar", data: values(fig, "recovery_rate").map(pct) }],
      };
    },
    experiment(fig) {
      // Each arm's proportion with its 95% interval: a box from the low to the high end, the value inside.
      const rows = fig.rows.filter((r) => r[col(fig, "value")] !== null && r[col(fig, "high")] <= 1);
      const names = rows.map((r) => r[col(fig, "arm")] + " · " + r[col(fig, "metric")]);
      const box = rows.map((r) => {
        const v = pct(r[col(fig, "value")]), lo = pct(r[col(fig, "low")]), hi = pct(r[col(fig, "high")]);
        return [lo, lo, v, hi, hi];
      });
      return {
        ...base,
        xAxis: { type: "category", data: names, axisLabel: { interval: 0, rotate: 20 } },
        yAxis: { type: "value", axisLabel: { formatter: "{value}%" } },
        series: [{ type: "boxplot", data: box }],
      };
    },
  };

  function drillLink(fig, index) {
    return fig.drill && fig.drill[index] ? fig.drill[index] : null;
  }

  function draw(box) {
    const source = document.getElementById(box.dataset.source);
    const build = builders[box.dataset.chart];
    if (!source || !build || typeof echarts === "undefined") {
      return;
    }
    const fig = JSON.parse(source.textContent);
    if (!fig.rows.length) {
      box.hidden = true;
      return;
    }
    const chart = echarts.init(box, null, { renderer: "canvas" });
    chart.setOption(build(fig));
    chart.on("click", (params) => {
      const index = box.dataset.chart === "roll" ? params.value[1] : params.dataIndex;
      const link = drillLink(fig, index);
      if (link) {
        window.location.href = box.dataset.drillUrl + "?" + link;
      }
    });
    window.addEventListener("resize", () => chart.resize());
  }

  document.addEventListener("DOMContentLoaded", () => document.querySelectorAll("[data-chart]").forEach(draw));
})();
