// django-celery-beat's periodic task form: shows the chosen crontab in words under the field, as the package's own
// inline script does (moved here so the page runs under the Content-Security-Policy, which allows no inline script).
(function () {
  "use strict";
  const script = document.getElementById("periodic-task-overrides");
  const words = JSON.parse(document.getElementById("readable-crontabs").textContent);
  const help = script.dataset.crontabHelp || "";
  const $ = window.django.jQuery;
  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    const box = document.querySelector(".field-crontab .help");
    if (!box) return;
    box.textContent = help;
    box.appendChild(document.createElement("br"));
    box.appendChild(document.createTextNode("Translation: " + (words[$("#id_crontab").val()] || "")));
  });
})();
