// The model run list: while a listed run is queued or running, polls their status and progress every 2 s and
// writes them into the list; when one of them is over, reloads the list (its verdict and active flag change too).
(function () {
  "use strict";
  const source = document.querySelector("[data-runs-live-url]");
  if (!source) return;
  const rows = Array.from(document.querySelectorAll("#result_list tbody tr"));
  const ids = [];
  const cells = {};
  rows.forEach((row) => {
    const box = row.querySelector("input.action-select");
    const status = row.querySelector(".field-status");
    if (!box || !status) return;
    const text = status.textContent.trim();
    if (text === "Queued" || text === "Running") {
      ids.push(box.value);
      cells[box.value] = { status: status, progress: row.querySelector(".field-progress_percent") };
    }
  });
  if (!ids.length) return;
  const url = source.dataset.runsLiveUrl + "?ids=" + ids.join(",");
  async function poll() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const data = await response.json();
        let over = false;
        ids.forEach((id) => {
          const run = data.runs[id];
          if (!run) return;
          cells[id].status.textContent = run.status;
          if (cells[id].progress) cells[id].progress.textContent = run.progress;
          over = over || !run.under_way;
        });
        if (over) {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // A dropped request is tried again on the next tick.
    }
    window.setTimeout(poll, 2000);
  }
  window.setTimeout(poll, 1500);
})();
