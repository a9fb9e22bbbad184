// Polls a run's progress (an import or a model run) while it runs and reloads the page when it has finished.
(function () {
  "use strict";
  const box = document.querySelector(".import-progress");
  if (!box) return;
  const url = box.dataset.progressUrl;
  const bar = document.getElementById("import-bar");
  const stage = document.getElementById("import-stage");
  const rows = document.getElementById("import-rows");
  async function poll() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const run = await response.json();
        bar.value = run.progress;
        stage.textContent = run.status + (run.stage ? ": " + run.stage : "");
        if (rows && run.rows_read !== undefined) rows.textContent = run.rows_read.toLocaleString();
        if (run.status !== "queued" && run.status !== "running") {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // A dropped request is retried on the next tick.
    }
    window.setTimeout(poll, 1500);
  }
  window.setTimeout(poll, 1000);
})();
