"use strict";
// Shared by the pages: API calls (the browser's cookie carries the token), formatting, event streams, copy buttons.
const hpo = (() => {
  async function api(path, options = {}) {
    const init = { credentials: "same-origin", headers: { Accept: "application/json" }, ...options };
    if (options.body !== undefined && typeof options.body !== "string") {
      init.body = JSON.stringify(options.body);
      init.headers["Content-Type"] = "application/json";
    }
    let response;
    try {
      response = await fetch("/api/v1" + path, init);
    } catch (error) {
      return { ok: false, status: 0, data: { detail: "the server cannot be reached" } };
    }
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (error) { data = { detail: text }; }
    return { ok: response.ok, status: response.status, data };
  }

  // As hpo_mab.inputs.timestr.format_seconds: 41.2s, 3m05s, 2h03m, 1d02h00m.
  function duration(seconds) {
    if (seconds === null || seconds === undefined || !isFinite(seconds)) return "–";
    if (seconds < 60) return seconds.toFixed(1) + "s";
    const total = Math.round(seconds);
    let minutes = Math.floor(total / 60); const sec = total % 60;
    let hours = Math.floor(minutes / 60); minutes %= 60;
    const pad = (n) => String(n).padStart(2, "0");
    if (hours < 1) return `${minutes}m${pad(sec)}s`;
    const days = Math.floor(hours / 24); hours %= 24;
    return days ? `${days}d${pad(hours)}h${pad(minutes)}m` : `${hours}h${pad(minutes)}m`;
  }

  // Six significant digits, as Python's "%.6g" (the pages' server-rendered numbers).
  function num(value) {
    if (value === null || value === undefined) return "–";
    const x = Number(value);
    if (!isFinite(x)) return String(value);
    if (x === 0) return "0";
    const exponent = Math.floor(Math.log10(Math.abs(Number(x.toPrecision(6)))));
    if (exponent < -4 || exponent >= 6) {
      const [mantissa, power] = x.toExponential(5).split("e");
      const digits = power.replace(/^[+-]/, "").padStart(2, "0");
      return `${mantissa.replace(/\.?0+$/, "")}e${power[0] === "-" ? "-" : "+"}${digits}`;
    }
    return String(Number(x.toPrecision(6)));
  }

  // As hpo_mab.server.web.labels.experiment_label.
  function label(experiment) {
    if (experiment.name) return experiment.name;
    const request = experiment.request || {};
    const what = request.benchmark || request.objective || request.command || "external";
    const method = ["mode", "spec"].filter((k) => request[k]).map((k) => request[k]).join("-") || "DIV-SEQ";
    return `${what} ${method}`;
  }

  // Wall-clock time left of a running experiment, from its progress so far.
  function timeLeft(experiment) {
    if (experiment.status === "done") return "0s";
    const fraction = experiment.progress.fraction;
    if (experiment.status !== "running" || !experiment.started || !(fraction > 0)) return "–";
    const elapsed = (Date.now() - Date.parse(experiment.started)) / 1000;
    return duration(Math.max(0, elapsed * (1 - fraction) / fraction));
  }

  // The current repetition's simulated clock while it runs, else the longest repetition's.
  function clock(experiment) {
    if (experiment.status === "running") return experiment.progress.clock_s;
    return Math.max(0, ...experiment.repetitions_detail.map((r) => r.clock_s || 0));
  }

  function live(text) {
    const element = document.getElementById("live");
    if (element) element.textContent = text;
  }

  // An EventSource with named-event handlers; "live"/"reconnecting" shown in the header.
  function stream(url, handlers) {
    const source = new EventSource(url);
    source.onopen = () => live("live");
    source.onerror = () => live(source.readyState === EventSource.CLOSED ? "offline" : "reconnecting…");
    for (const [name, handler] of Object.entries(handlers)) {
      source.addEventListener(name, (event) => handler(JSON.parse(event.data), event));
    }
    return source;
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button.copy");
    if (!button) return;
    const text = document.getElementById(button.dataset.copy).textContent;
    const original = button.textContent;
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch (error) {
      const range = document.createRange();
      range.selectNodeContents(document.getElementById(button.dataset.copy));
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      button.textContent = "Selected: press Ctrl+C";
    }
    setTimeout(() => { button.textContent = original; }, 2000);
  });

  return { api, duration, num, label, timeLeft, clock, live, stream };
})();
