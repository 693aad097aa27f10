// An import's progress (desk/survey.html, desk/roster_import.html): polls the page's small JSON endpoint and
// updates the bar and the counts; once the import is done, the page is loaded again to show the result.
// Without script, the page refreshes itself (a <noscript> refresh in its head).
(function () {
  "use strict";
  function start() {
    var box = document.querySelector("[data-progress]");
    if (!box) return;
    var url = box.getAttribute("data-progress");
    var bar = box.querySelector("progress");
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { window.setTimeout(tick, 3000); return; }
          if (bar) { bar.value = data.percent; bar.textContent = data.percent + "%"; }
          Array.prototype.forEach.call(box.querySelectorAll("[data-field]"), function (el) {
            var k = el.getAttribute("data-field");
            if (Object.prototype.hasOwnProperty.call(data, k)) el.textContent = data[k];
          });
          if (data.state === "done") { window.location.reload(); return; }
          window.setTimeout(tick, 1000);
        })
        .catch(function () { window.setTimeout(tick, 3000); });
    }
    window.setTimeout(tick, 500);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
