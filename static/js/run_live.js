// A model run's admin page while the run is under way: polls the run's JSON (status, stage, progress and every
// field that changes) every 1.5 s, writes the new values into the page's fields, and reloads the page once the run
// is over, so the metrics, the verdict and the model card appear.
(function () {
  "use strict";
  const box = document.querySelector(".run-live");
  if (!box) return;
  const url = box.dataset.progressUrl;
  const bar = box.querySelector("[data-live=bar]");
  const line = box.querySelector("[data-live=status-line]");
  function write(name, text) {
    const cell = document.querySelector(".field-" + name + " .readonly");
    if (cell && cell.textContent !== text) cell.textContent = text;
  }
  async function poll() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const run = await response.json();
        bar.value = run.progress;
        line.textContent = run.fields.status + (run.stage ? ": " + run.stage : "");
        Object.entries(run.fields).forEach(([name, text]) => write(name, text));
        if (!run.under_way) {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // A dropped request is tried again on the next tick.
    }
    window.setTimeout(poll, 1500);
  }
  window.setTimeout(poll, 1000);
})();
