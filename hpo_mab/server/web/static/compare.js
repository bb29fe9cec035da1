"use strict";
// The compare page's plots, per benchmark: best error so far (median and IQR), mean rank, arm shares.
(() => {
  const data = JSON.parse(document.getElementById("plot-data").textContent);
  const holder = document.getElementById("plots");
  const CONFIG = { responsive: true, displaylogo: false };
  const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];
  const hours = (values) => values.map((t) => t / 3600);
  const layout = (ytitle, extra = {}) => ({ margin: { t: 30, r: 10, b: 45, l: 60 }, xaxis: { title: { text: "simulated time (h)" } },
    yaxis: { title: { text: ytitle } }, legend: { orientation: "h" }, ...extra });

  function plot(title) {
    const div = document.createElement("div");
    div.className = "plot";
    div.setAttribute("role", "img");
    div.setAttribute("aria-label", title);
    holder.append(div);
    return div;
  }

  for (const [benchmark, entry] of Object.entries(data)) {
    const heading = document.createElement("h3");
    heading.textContent = benchmark;
    holder.append(heading);
    const anytime = [];
    Object.entries(entry.anytime).forEach(([strategy, a], i) => {
      const color = COLORS[i % COLORS.length];
      const band = { mode: "lines", line: { width: 0, shape: "hv", color }, legendgroup: strategy, showlegend: false, hoverinfo: "skip" };
      anytime.push({ ...band, x: hours(a.time), y: a.q25 });
      anytime.push({ ...band, x: hours(a.time), y: a.q75, fill: "tonexty", fillcolor: color + "33" });
      anytime.push({ x: hours(a.time), y: a.median, mode: "lines", line: { shape: "hv", color }, name: strategy, legendgroup: strategy });
    });
    Plotly.newPlot(plot(`${benchmark}: best error so far`), anytime, layout("best error (median, IQR)", { title: { text: "best error so far", font: { size: 13 } } }), CONFIG);
    if (Object.keys(entry.ranks).length) {
      const ranks = Object.entries(entry.ranks).map(([s, r]) => ({ x: hours(r.time), y: r.mean_rank, mode: "lines", name: s,
      line: { color: COLORS[Object.keys(entry.anytime).indexOf(s) % COLORS.length] } }));
      Plotly.newPlot(plot(`${benchmark}: mean rank`), ranks, layout("mean rank (1 = best)", { title: { text: "mean rank over repetitions", font: { size: 13 } } }), CONFIG);
    }
    for (const [strategy, arms] of Object.entries(entry.arms)) {
      const bars = Object.entries(arms).map(([arm, s]) => ({ type: "bar", x: hours(s.bin_start), y: s.share, name: arm }));
      Plotly.newPlot(plot(`${benchmark}: arm shares of ${strategy}`), bars, layout("share of trials", { barmode: "stack", title: { text: `arm shares: ${strategy}`, font: { size: 13 } } }), CONFIG);
    }
  }
})();
