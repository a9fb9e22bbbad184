// A searchable multi-select (the customer list's tags): a <details> holding a search box and checkboxes. Typing
// hides the options that do not match (ignoring case and accents); the summary counts the chosen ones; Escape or
// a click elsewhere closes it. Without JavaScript it is a plain list of checkboxes.
(function () {
  "use strict";
  const fold = (text) => text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
  document.querySelectorAll("[data-picker]").forEach((picker) => {
    const find = picker.querySelector("[data-picker-find]");
    const none = picker.querySelector("[data-picker-none]");
    const summary = picker.querySelector("summary");
    const options = Array.from(picker.querySelectorAll("li"));
    const boxes = Array.from(picker.querySelectorAll("input[type=checkbox]"));
    const count = () => {
      const chosen = boxes.filter((box) => box.checked).length;
      summary.textContent = chosen ? chosen + " chosen" : "Any tag";
    };
    find.addEventListener("input", () => {
      const wanted = fold(find.value);
      let shown = 0;
      options.forEach((option) => {
        const match = !wanted || fold(option.textContent).includes(wanted);
        option.hidden = !match;
        shown += match ? 1 : 0;
      });
      none.hidden = shown > 0;
    });
    find.addEventListener("keydown", (event) => {
      if (event.key === "Enter") event.preventDefault(); // Enter in the search box must not submit the filters
    });
    boxes.forEach((box) => box.addEventListener("change", count));
    picker.addEventListener("toggle", () => {
      if (picker.open) find.focus();
    });
    picker.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && picker.open) {
        picker.open = false;
        summary.focus();
      }
    });
    document.addEventListener("click", (event) => {
      if (picker.open && !picker.contains(event.target)) picker.open = false;
    });
  });
})();
