"use strict";
// One experiment: kept live by its event stream (trials, repetitions, status), with the trial table paged
// and sorted by the server, the anytime curve and arm shares, a trial's learning curve, stop and resume.
(() => {
  let experiment = JSON.parse(document.getElementById("experiment-data").textContent);
  const table = JSON.parse(document.getElementById("table-state").textContent);
  const id = encodeURIComponent(experiment.id);
  const tbody = document.querySelector("#trials tbody");
  const OVER = ["done", "failed", "stopped"];
  const PLOT_CONFIG = { responsive: true, displaylogo: false };
  let source = null;
  let refreshTimer = null;

  const $ = (selector) => document.getElementById(selector);
  const cell = (text, numeric) => {
    const td = document.createElement("td");
    td.textContent = text;
    if (numeric) td.className = "num";
    return td;
  };

  // --- the experiment's summary ------------------------------------------------------------------------------
  // An answer computed before the latest events must not move the counters back: the best so far and the
  // number of trials only ever improve while a run goes on.
  function showExperiment(e) {
    const shown = experiment;
    if (shown.best && (!e.best || e.best.error > shown.best.error)) e.best = shown.best;
    e.progress.trials = Math.max(e.progress.trials, Number($("trials-count").textContent) || 0);
    experiment = e;
    const p = e.progress;
    $("status").textContent = e.status;
    $("status").dataset.status = e.status;
    $("progress").value = p.fraction;
    $("progress").textContent = `${Math.round(p.fraction * 100)}%`;
    $("reps").textContent = `${p.repetitions_done}/${p.repetitions} repetitions`;
    $("trials-count").textContent = p.trials;
    showBest(e.best);
    $("clock").textContent = hpo.duration(hpo.clock(e));
    $("time-left").textContent = hpo.timeLeft(e);
    $("stop").hidden = !(e.source === "api" && e.status === "running");
    $("resume").hidden = !(e.source === "api" && (e.status === "stopped" || e.status === "failed"));
    const rows = e.repetitions_detail.map((r) => {
      const tr = document.createElement("tr");
      tr.dataset.rep = r.rep;
      tr.append(cell(r.rep), cell(r.trials, true), cell(hpo.num(r.best_error), true), cell(hpo.duration(r.clock_s), true),
        cell(r.stop_reason || (e.status === "running" ? "running" : "—")));
      return tr;
    });
    document.querySelector("#repetitions tbody").replaceChildren(...rows);
    document.body.dataset.status = e.status;
  }

  function showBest(best) {
    $("best-error").textContent = hpo.num(best ? best.error : null);
    $("best-error").dataset.value = best ? String(best.error) : "";
    $("best-where").textContent = best ? `rep ${best.rep}, trial ${best.trial}` : "";
    const rows = [];
    if (best) {
      const row = (k, v, numeric) => { const tr = document.createElement("tr"); const th = document.createElement("th");
        th.scope = "row"; th.textContent = k; tr.append(th, cell(v, numeric)); return tr; };
      rows.push(row("error", hpo.num(best.error), true), row("accuracy", hpo.num(best.accuracy), true));
      for (const [k, v] of Object.entries(best.params || {})) rows.push(row(k, typeof v === "number" ? hpo.num(v) : String(v), true));
    } else {
      const tr = document.createElement("tr"); tr.append(cell("No successful trial yet.")); rows.push(tr);
    }
    document.querySelector("#best-config tbody").replaceChildren(...rows);
  }

  // --- plots -------------------------------------------------------------------------------------------------
  function timeUnit(seconds) {
    if (seconds >= 2 * 3600) return [3600, "simulated time (h)"];
    if (seconds >= 120) return [60, "simulated time (min)"];
    return [1, "simulated time (s)"];
  }

  function drawCurves(data) {
    if (typeof Plotly === "undefined") return;
    const a = data.anytime;
    const [scale, unit] = timeUnit(a.horizon || 0);
    const x = a.time.map((t) => t / scale);
    const positive = a.median.every((v) => v === null || v > 0);
    Plotly.react("anytime", [
      { x, y: a.q25, mode: "lines", line: { width: 0, shape: "hv" }, hoverinfo: "skip", showlegend: false },
      { x, y: a.q75, mode: "lines", line: { width: 0, shape: "hv" }, fill: "tonexty", fillcolor: "rgba(31,95,191,0.18)", name: "IQR" },
      { x, y: a.median, mode: "lines", line: { color: "#1f5fbf", shape: "hv" }, name: "median" },
    ], { margin: { t: 10, r: 10, b: 45, l: 60 }, xaxis: { title: { text: unit }, range: [0, (a.horizon || 1) / scale] },
         yaxis: { title: { text: "best error" }, type: positive && a.median.length ? "log" : "linear" }, legend: { orientation: "h" } }, PLOT_CONFIG);
    const s = data.arm_shares;
    const mids = s.bin_start.map((start, i) => (start + s.bin_end[i]) / 2 / scale);
    Plotly.react("arm-shares", Object.entries(s.arms).map(([arm, shares]) => ({ type: "bar", x: mids, y: shares, name: arm })),
      { barmode: "stack", bargap: 0.05, margin: { t: 10, r: 10, b: 45, l: 50 }, xaxis: { title: { text: unit } },
        yaxis: { title: { text: "share of trials" }, range: [0, 1] }, legend: { font: { size: 10 } } }, PLOT_CONFIG);
  }

  // Summary and curves again from the API, one request pair at a time, at most one per burst of events.
  // The curves summarise every trial: redrawn at most every 2 s while trials arrive (and at the end).
  const CURVES_EVERY_MS = 2000;
  const SUMMARY_EVERY_MS = 1000;  // progress and counters; each trial's row and the best so far come at once
  let chain = Promise.resolve();
  let curvesAt = 0;
  async function fetchSummary(withCurves) {
    const drawNow = withCurves || Date.now() - curvesAt >= CURVES_EVERY_MS;
    if (drawNow) curvesAt = Date.now();
    const [e, curves] = await Promise.all([hpo.api(`/experiments/${id}`), drawNow ? hpo.api(`/experiments/${id}/curves`) : null]);
    if (e.ok) showExperiment(e.data);
    if (curves && curves.ok) drawCurves(curves.data);
  }
  function refresh(withCurves = false) {
    chain = chain.then(() => fetchSummary(withCurves));
    return chain;
  }
  function scheduleRefresh() {
    if (refreshTimer === null) refreshTimer = setTimeout(() => { refreshTimer = null; refresh(); }, SUMMARY_EVERY_MS);
  }

  // --- the trial table ---------------------------------------------------------------------------------------
  function trialRow(t) {
    const tr = document.createElement("tr");
    tr.dataset.id = t.id;
    const button = document.createElement("button");
    button.type = "button"; button.className = "curve"; button.dataset.trial = t.id; button.textContent = "curve";
    button.setAttribute("aria-label", `learning curve of trial ${t.id}`);
    const last = document.createElement("td"); last.append(button);
    tr.append(cell(t.cursor, true), cell(t.rep, true), cell(t.trial, true), cell(hpo.num(t.error), true),
      cell(hpo.num(t.accuracy), true), cell(hpo.duration(t.clock_s), true), cell(hpo.duration(t.exec_time_s), true),
      cell(t.train_epoch, true), cell(t.arm), cell(t.status.replace("_", " ")), last);
    return tr;
  }

  function showRange(count) {
    const total = table.total;
    $("table-total").textContent = total;
    $("table-range").firstChild.textContent = `${total ? table.offset + 1 : 0}–${Math.min(table.offset + count, total)} of `;
    $("prev-page").disabled = table.offset === 0;
    $("next-page").disabled = table.offset + table.limit >= total;
    for (const th of document.querySelectorAll("#trials th[aria-sort]")) {
      const field = th.querySelector("button").dataset.sort;
      th.setAttribute("aria-sort", field === table.sort ? (table.order === "asc" ? "ascending" : "descending") : "none");
    }
  }

  async function loadPage() {
    const query = new URLSearchParams({ sort: table.sort, order: table.order, offset: table.offset, limit: table.limit });
    if (table.status) query.set("status", table.status);
    if (table.rep !== null && table.rep !== "") query.set("rep", table.rep);
    const answer = await hpo.api(`/experiments/${id}/trials?${query}`);
    if (!answer.ok) return;
    table.total = answer.data.total;
    tbody.replaceChildren(...answer.data.trials.map(trialRow));
    showRange(answer.data.trials.length);
    const page = new URLSearchParams(query); page.delete("limit");
    history.replaceState(null, "", `?${page}`);
  }

  const matches = (t) => (!table.status || t.status === table.status) && (table.rep === null || table.rep === "" || Number(table.rep) === t.rep);

  // A stored trial: at the top of the table when it shows the newest first, else only counted.
  function addTrial(t) {
    if (!matches(t)) return;
    if (tbody.querySelector(`tr[data-id="${CSS.escape(t.id)}"]`)) return;
    table.total += 1;
    if (table.sort === "id" && table.order === "desc" && table.offset === 0) {
      tbody.prepend(trialRow(t));
      while (tbody.rows.length > table.limit) tbody.lastElementChild.remove();
    }
    showRange(tbody.rows.length);
  }

  document.querySelector("#trials thead").addEventListener("click", (event) => {
    const button = event.target.closest("button.sort");
    if (!button) return;
    const field = button.dataset.sort;
    table.order = table.sort === field && table.order === "asc" ? "desc" : "asc";
    table.sort = field;
    table.offset = 0;
    loadPage();
  });
  $("trial-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    table.status = $("filter-status").value;
    table.rep = $("filter-rep").value === "" ? null : Number($("filter-rep").value);
    table.offset = 0;
    loadPage();
  });
  for (const select of [$("filter-status"), $("filter-rep")]) {
    select.addEventListener("change", () => $("trial-filters").requestSubmit());
  }
  $("prev-page").addEventListener("click", () => { table.offset = Math.max(0, table.offset - table.limit); loadPage(); });
  $("next-page").addEventListener("click", () => { table.offset += table.limit; loadPage(); });

  // --- one trial's learning curve ----------------------------------------------------------------------------
  async function openTrial(trialId) {
    const answer = await hpo.api(`/experiments/${id}/trials/${encodeURIComponent(trialId)}`);
    if (!answer.ok) return;
    const t = answer.data;
    const panel = $("trial-detail");
    panel.hidden = false;
    panel.dataset.trial = t.id;
    $("trial-title").textContent = `Trial ${t.id} (rep ${t.rep}, trial ${t.trial}): ${t.status.replace("_", " ")}, error ${hpo.num(t.error)}`;
    $("trial-stop").textContent = t.stop
      ? `Stopped by ${t.stop.rule || "the rule"} at epoch ${t.stop.checkpoint}` +
        (t.stop.statistic !== undefined && t.stop.statistic !== null ? ` (statistic ${hpo.num(t.stop.statistic)}, threshold ${hpo.num(t.stop.threshold)})` : "")
      : `Trained ${t.train_epoch} epochs${t.status === "completed" ? " to the end" : ""}.`;
    const rows = Object.entries(t.params).map(([k, v]) => {
      const tr = document.createElement("tr"); const th = document.createElement("th"); th.scope = "row"; th.textContent = k;
      tr.append(th, cell(typeof v === "number" ? hpo.num(v) : String(v), true)); return tr;
    });
    document.querySelector("#trial-params tbody").replaceChildren(...rows);
    const epochs = t.curve.map((c) => c.epoch);
    const traces = [{ x: epochs, y: t.curve.map((c) => c.accuracy), mode: "lines+markers", name: "accuracy" }];
    const shapes = [];
    if (t.stop && t.stop.checkpoint) {
      const at = t.curve.find((c) => c.epoch === t.stop.checkpoint);
      shapes.push({ type: "line", x0: t.stop.checkpoint, x1: t.stop.checkpoint, yref: "paper", y0: 0, y1: 1, line: { color: "#b3261e", dash: "dash" } });
      if (at) traces.push({ x: [at.epoch], y: [at.accuracy], mode: "markers", marker: { symbol: "x", size: 12, color: "#b3261e" }, name: "early stop" });
    }
    if (typeof Plotly !== "undefined") {
      Plotly.react("trial-curve", traces, { margin: { t: 10, r: 10, b: 45, l: 60 }, shapes,
        xaxis: { title: { text: "epoch" } }, yaxis: { title: { text: "accuracy" } } }, PLOT_CONFIG);
    }
    panel.dataset.points = String(t.curve.length);
    panel.focus();
  }
  tbody.addEventListener("click", (event) => {
    const button = event.target.closest("button.curve");
    if (button) openTrial(button.dataset.trial);
  });
  $("close-trial").addEventListener("click", () => { $("trial-detail").hidden = true; });

  // --- actions -----------------------------------------------------------------------------------------------
  async function act(action) {
    $("action-error").textContent = "";
    for (const b of [$("stop"), $("resume")]) b.disabled = true;
    const answer = await hpo.api(`/experiments/${id}:${action}`, { method: "POST" });
    for (const b of [$("stop"), $("resume")]) b.disabled = false;
    if (!answer.ok) { $("action-error").textContent = answer.data && answer.data.detail; return; }
    showExperiment(answer.data);
    if (action === "resume") { document.body.dataset.ended = "false"; listen(); }
  }
  $("stop").addEventListener("click", () => act("stop"));
  $("resume").addEventListener("click", () => act("resume"));

  // --- the event stream --------------------------------------------------------------------------------------
  function newestCursor() {
    const cursors = [...tbody.rows].map((r) => Number(r.cells[0].textContent)).filter(Number.isFinite);
    return Math.max(Number(document.body.dataset.cursor || 0), ...cursors, 0);
  }
  function listen() {
    if (source) source.close();
    source = hpo.stream(`/api/v1/experiments/${id}/stream?after=${newestCursor()}`, {
      trial: (t) => {
        document.body.dataset.cursor = t.cursor;
        addTrial(t);
        const best = experiment.best;
        if (t.status !== "failed" && (!best || t.error < best.error)) {
          experiment.best = { error: t.error, accuracy: t.accuracy, rep: t.rep, trial: t.trial, params: t.params };
          showBest(experiment.best);
        }
        $("clock").textContent = hpo.duration(t.clock_s);
        scheduleRefresh();
      },
      repetition: () => scheduleRefresh(),
      status: (e) => showExperiment(e),
      end: () => {
        source.close();
        hpo.live(`ended (${experiment.status})`);
        refresh(true).then(() => { document.body.dataset.ended = "true"; });
      },
    });
  }

  document.body.dataset.cursor = document.getElementById("experiment-data").dataset.cursor;
  showExperiment(experiment);
  refresh(true);
  listen();
  setInterval(() => { $("time-left").textContent = hpo.timeLeft(experiment); }, 1000);
})();
