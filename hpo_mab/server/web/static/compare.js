"use strict";
// The compare page's plots, per benchmark: best error so far (median and IQR), mean rank, arm shares.
(() => {
  const data = JSON.parse(document.getElementById("plot-data").textContent);
  const holder = document.getElementById("plots");
  const CONFIG = { responsive: true, displaylogo: false };
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
    for (const [strategy, a] of Object.entries(entry.anytime)) {
      anytime.push({ x: hours(a.time), y: a.q25, mode: "lines", line: { width: 0, shape: "hv" }, legendgroup: strategy, showlegend: false, hoverinfo: "skip" });
      anytime.push({ x: hours(a.time), y: a.q75, mode: "lines", line: { width: 0, shape: "hv" }, fill: "tonexty", legendgroup: strategy, showlegend: false, hoverinfo: "skip", opacity: 0.2 });
      anytime.push({ x: hours(a.time), y: a.median, mode: "lines", line: { shape: "hv" }, name: strategy, legendgroup: strategy });
    }
    Plotly.newPlot(plot(`${benchmark}: best error so far`), anytime, layout("best error (median, IQR)", { title: { text: "best error so far", font: { size: 13 } } }), CONFIG);
    if (Object.keys(entry.ranks).length) {
      const ranks = Object.entries(entry.ranks).map(([s, r]) => ({ x: hours(r.time), y: r.mean_rank, mode: "lines", name: s }));
      Plotly.newPlot(plot(`${benchmark}: mean rank`), ranks, layout("mean rank (1 = best)", { title: { text: "mean rank over repetitions", font: { size: 13 } } }), CONFIG);
    }
    for (const [strategy, arms] of Object.entries(entry.arms)) {
      const bars = Object.entries(arms).map(([arm, s]) => ({ type: "bar", x: hours(s.bin_start), y: s.share, name: arm }));
      Plotly.newPlot(plot(`${benchmark}: arm shares of ${strategy}`), bars, layout("share of trials", { barmode: "stack", title: { text: `arm shares: ${strategy}`, font: { size: 13 } } }), CONFIG);
    }
  }
})();
