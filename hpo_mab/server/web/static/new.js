"use strict";
// The new-experiment form: every edit is checked by the API (validate_only), which answers the equivalent
// command and run_conf, or the CLI's messages, shown next to their fields. Submitting creates and starts it.
(() => {
  const form = document.getElementById("new-experiment");
  const choices = JSON.parse(document.getElementById("choices").textContent);
  const modeSelect = document.getElementById("f-mode");
  const specSelect = document.getElementById("f-spec");
  const state = document.getElementById("form-state");
  const specsOf = Object.fromEntries(choices.modes.map((m) => [m.name, m.specs]));
  const sameArms = (a, b) => a.length === b.length && a.every((x, i) => x[0] === b[i][0] && x[1] === b[i][1]);
  let sequence = 0;
  let timer = null;
  let validBody = null;  // the body of the last check that found it valid (JSON)

  function value(name) {
    const element = form.elements[name];
    return element instanceof RadioNodeList ? element.value : element.value.trim();
  }

  function fillSpecs() {
    const wanted = specSelect.value || specSelect.dataset.initial;
    specSelect.replaceChildren(...specsOf[modeSelect.value].map((s) => new Option(s, s)));
    if (specsOf[modeSelect.value].includes(wanted)) specSelect.value = wanted;
    const div = modeSelect.value === "DIV";
    document.getElementById("spec-label").textContent = div ? "Strategy" : "Acquisition / variant";
    document.getElementById("spec-help").textContent = div ? (choices.strategies[specSelect.value] || "") : "";
  }

  function showBenchmark() {
    const b = choices.benchmarks.find((x) => x.name === value("benchmark"));
    document.getElementById("benchmark-facts").textContent = b
      ? `${b.size}, ${b.params} hyperparameters, ${b.epochs} epochs; optimum ${hpo.num(b.optimum)}, goal ${hpo.num(b.goal)}; ${b.source}`
      : "";
  }

  function showDependent() {
    const source = value("source");
    for (const element of form.querySelectorAll("[data-for-source]")) {
      element.hidden = !element.dataset.forSource.split(" ").includes(source);
    }
    for (const element of form.querySelectorAll("[data-for-mode]")) element.hidden = modeSelect.value !== element.dataset.forMode;
    for (const element of form.querySelectorAll("[data-for-criterion]")) element.hidden = value("criterion") !== element.dataset.forCriterion;
  }

  function integer(text) { return /^-?\d+$/.test(text) ? Number(text) : text; }

  // The POST /experiments body of the form (empty fields left out: the CLI's defaults apply).
  function body() {
    const source = value("source");
    const out = { criterion: value("criterion"), repetitions: integer(value("repetitions")) };
    if (value("name")) out.name = value("name");
    if (source === "benchmark") out.benchmark = value("benchmark");
    else if (source === "external") { out.external = true; out.hp_conf = value("hp_conf"); }
    else { out.hp_conf = value("hp_conf"); out[source] = value(source); }
    out.mode = modeSelect.value;
    out.spec = specSelect.value;
    if (out.criterion === "TIME") out.budget = value("budget");
    else if (value("goal")) out.goal = Number.isFinite(Number(value("goal"))) ? Number(value("goal")) : value("goal");
    for (const key of ["seed", "workers"]) if (value(key)) out[key] = integer(value(key));
    if (source === "benchmark" && value("jobs")) out.jobs = integer(value("jobs"));
    if (value("early_term_rule") !== "None") out.early_term_rule = value("early_term_rule");
    const arms = [...form.querySelectorAll('input[name="arm"]:checked')].map((c) => c.value.split("|"));
    if (modeSelect.value === "DIV" && !sameArms(arms, choices.default_arms)) {
      out.run_conf = { title: "custom", arms: arms.map(([model, acq]) => ({ model, acq_func: acq })) };
    }
    return out;
  }

  // JSON with one line per arm (short arrays and objects of plain values stay on one line).
  function pretty(value, indent = "") {
    const flat = JSON.stringify(value);
    if (flat.length <= 60 || value === null || typeof value !== "object") return flat;
    const inner = indent + "  ";
    const items = Array.isArray(value)
      ? value.map((v) => inner + pretty(v, inner))
      : Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${pretty(v, inner)}`);
    const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
    return `${open}\n${items.join(",\n")}\n${indent}${close}`;
  }

  function clearErrors() {
    for (const element of form.querySelectorAll(".field-error")) element.textContent = "";
    for (const element of form.querySelectorAll("[aria-invalid]")) element.removeAttribute("aria-invalid");
  }

  // 422 details next to their fields: loc ["body", key, ...]; a key without a field goes to the form's foot.
  function showErrors(detail) {
    const items = Array.isArray(detail) ? detail : [{ loc: ["body"], msg: String(detail) }];
    for (const item of items) {
      const key = item.loc && item.loc.length > 1 ? String(item.loc[1]) : "body";
      const target = document.getElementById(`err-${key}`) || document.getElementById("err-body");
      target.textContent = (target.textContent ? target.textContent + " " : "") + item.msg;
      const input = document.getElementById(`f-${key}`);
      if (input) input.setAttribute("aria-invalid", "true");
    }
  }

  async function check() {
    const mine = ++sequence;
    form.dataset.checked = "pending";
    const sent = body();
    const answer = await hpo.api("/experiments:check", { method: "POST", body: sent });
    if (mine !== sequence) return null;
    clearErrors();
    const valid = answer.ok && answer.data.valid;
    validBody = valid ? JSON.stringify(sent) : null;
    if (valid) {
      document.getElementById("command").textContent = answer.data.command;
      document.getElementById("run-conf").textContent = pretty(answer.data.run_conf);
      document.getElementById("notes").textContent = (answer.data.notes || []).join(" ");
      form.dataset.checked = "valid";
    } else {
      showErrors(answer.data && answer.data.detail);
      document.getElementById("command").textContent = "(fix the fields marked in red)";
      document.getElementById("run-conf").textContent = "";
      form.dataset.checked = "invalid";
    }
    return valid;
  }

  function edited() {
    showDependent();
    clearTimeout(timer);
    timer = setTimeout(check, 150);
  }

  form.addEventListener("input", edited);
  modeSelect.addEventListener("change", () => { fillSpecs(); edited(); });
  specSelect.addEventListener("change", () => { fillSpecs(); edited(); });
  form.elements.benchmark.addEventListener("change", showBenchmark);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearTimeout(timer);
    const button = document.getElementById("start");
    button.disabled = true;
    // A form checked valid as it is now is created at once (creating validates it again).
    if (JSON.stringify(body()) !== validBody) {
      state.textContent = "Checking…";
      if (!(await check())) {  // the messages are next to their fields
        state.textContent = "Not created: see the messages above.";
        button.disabled = false;
        return;
      }
    }
    state.textContent = "Creating…";
    const created = await hpo.api("/experiments", { method: "POST", body: body() });
    if (!created.ok) {
      clearErrors();
      showErrors(created.data && created.data.detail);
      form.dataset.checked = "invalid";
      validBody = null;
      state.textContent = "Not created: see the messages above.";
      button.disabled = false;
      return;
    }
    state.textContent = "Starting…";
    const started = await hpo.api(`/experiments/${encodeURIComponent(created.data.id)}:start`, { method: "POST" });
    if (!started.ok) {
      state.textContent = `Created, but not started: ${started.data && started.data.detail}`;
      button.disabled = false;
      return;
    }
    window.location.assign(`/experiments/${encodeURIComponent(created.data.id)}`);
  });

  fillSpecs();
  showBenchmark();
  showDependent();
  check();
})();
