// A little help where it is useful; every page works without it.
(function () {
  "use strict";

  // Live seats left on a listing page, read from the public JSON API.
  function refreshSeats(list) {
    var id = list.getAttribute("data-listing");
    fetch("/api/v1/listings/" + id, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (listing) {
        if (!listing) return;
        listing.sessions.forEach(function (s) {
          var cell = list.querySelector('[data-seats-for="' + s.id + '"]');
          if (cell) cell.textContent = String(s.seats_left);
        });
      })
      .catch(function () {});
  }

  // One more session row on the provider's listing forms.
  function addRow(button) {
    var rows = document.getElementById(button.getAttribute("data-add-row"));
    var last = rows.lastElementChild;
    var copy = last.cloneNode(true);
    copy.querySelectorAll("input").forEach(function (input) { if (input.type !== "number") input.value = ""; });
    rows.appendChild(copy);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-listing]").forEach(function (list) {
      setInterval(function () { if (!document.hidden) refreshSeats(list); }, 30000);
      document.addEventListener("visibilitychange", function () { if (!document.hidden) refreshSeats(list); });
    });
    document.querySelectorAll("[data-add-row]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { addRow(button); });
    });
  });
})();
