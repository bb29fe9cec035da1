"use strict";
// The experiments page: each row follows its experiment's events (GET /api/v1/events), new ones are added.
(() => {
  const body = document.querySelector("#experiments tbody");
  const template = document.getElementById("row-template");
  const known = new Map();

  function field(row, name) { return row.querySelector(`[data-field="${name}"]`); }

  function render(row, e) {
    const p = e.progress;
    const link = field(row, "label");
    link.textContent = hpo.label(e);
    link.href = `/experiments/${encodeURIComponent(e.id)}`;
    field(row, "source").textContent = e.source;
    const status = field(row, "status");
    status.textContent = e.status;
    status.dataset.status = e.status;
    const progress = field(row, "progress");
    progress.value = p.fraction;
    progress.textContent = `${Math.round(p.fraction * 100)}%`;
    field(row, "reps").textContent = `${p.repetitions_done}/${p.repetitions} reps`;
    field(row, "trials").textContent = p.trials;
    const best = field(row, "best");
    best.textContent = hpo.num(e.best ? e.best.error : null);
    best.dataset.value = e.best ? String(e.best.error) : "";
    field(row, "clock").textContent = hpo.duration(hpo.clock(e));
    field(row, "left").textContent = hpo.timeLeft(e);
  }

  function rowOf(id) {
    let row = body.querySelector(`tr[data-id="${CSS.escape(id)}"]`);
    if (!row) {
      row = template.content.firstElementChild.cloneNode(true);
      row.dataset.id = id;
      body.prepend(row);
      document.getElementById("no-experiments").hidden = true;
    }
    return row;
  }

  hpo.stream("/api/v1/events", {
    experiment: (e) => {
      known.set(e.id, e);
      render(rowOf(e.id), e);
    },
  });
  // The time left moves with the wall clock between events.
  setInterval(() => { for (const e of known.values()) field(rowOf(e.id), "left").textContent = hpo.timeLeft(e); }, 1000);
})();
