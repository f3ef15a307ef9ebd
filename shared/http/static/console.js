// Live countdowns on the staff console: every element with data-due (an ISO time) shows the time
// left ("in 4m 10s") or overdue ("overdue 2m 3s"), ticking each second. No inline script (CSP).
(function () {
  "use strict";
  function words(seconds) {
    var d = Math.floor(seconds / 86400), h = Math.floor((seconds % 86400) / 3600);
    var m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    if (d) return d + "d " + h + "h";
    if (h) return h + "h " + m + "m";
    return m + "m " + s + "s";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var left = Math.round((Date.parse(el.getAttribute("data-due")) - now) / 1000);
      el.textContent = left >= 0 ? "in " + words(left) : "overdue " + words(-left);
      el.classList.toggle("overdue", left < 0);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
  });
  // The queue reloads its table every 30 s (new leads, changed statuses) without a full page load.
  document.addEventListener("DOMContentLoaded", function () {
    var table = document.getElementById("queue-table");
    if (!table || !window.fetch) return;
    setInterval(function () {
      fetch(window.location.href, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) return;
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("queue-table");
          var current = document.getElementById("queue-table");
          if (fresh && current) { current.replaceWith(fresh); tick(); }
        })
        .catch(function () {});
    }, 30000);
  });
})();
