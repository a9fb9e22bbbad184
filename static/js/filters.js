// The customer list's filters on a phone: the search stays, the other filters fold behind "More filters" unless one
// of them is in use (the server marks the form data-in-use), so the list starts on the first screen. On a wider
// screen the button is not shown and every filter is. Without JavaScript every filter is shown.
(function () {
  "use strict";
  const narrow = window.matchMedia("(max-width: 720px)");
  document.querySelectorAll("form[data-folding]").forEach((form) => {
    const button = form.querySelector("[data-filters-more]");
    if (!button) return;
    const show = (open) => {
      form.classList.toggle("folded", !open);
      button.setAttribute("aria-expanded", String(open));
      button.textContent = open ? "Fewer filters" : "More filters";
    };
    form.classList.add("foldable");
    button.hidden = false;
    show(form.hasAttribute("data-in-use"));
    button.addEventListener("click", () => show(form.classList.contains("folded")));
    narrow.addEventListener("change", () => show(form.hasAttribute("data-in-use") || !narrow.matches));
  });
})();
