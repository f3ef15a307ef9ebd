// Small behaviour for CareRoute's forms, loaded as a file (the CSP allows no inline script).
// - A button with data-once is disabled after its form is sent, so a second press sends nothing
//   (the server makes one lead of a double submit anyway: the form's submission id).
// - An error summary, when the page has one, takes the focus so a screen reader reads it first.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var buttons = form.querySelectorAll("button[data-once]");
    window.setTimeout(function () {
      buttons.forEach(function (b) { b.disabled = true; b.setAttribute("aria-disabled", "true"); });
    }, 0);
  });
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  });
})();
