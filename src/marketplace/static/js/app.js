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

  // The need form: the category suggested by what the member writes (debounced), chosen for them until
  // they choose one themselves; a failed or slow answer changes nothing, so it never blocks posting.
  function suggestCategory(form) {
    var select = form.querySelector('select[name="category_id"]');
    var hint = form.querySelector("[data-suggestion]");
    var chosenByHand = false, timer = null, asked = "";
    if (!select || !hint) return;
    select.addEventListener("change", function () { chosenByHand = true; });
    function ask() {
      var text = ["title", "description"].map(function (name) {
        var field = form.querySelector('[name="' + name + '"]');
        return field ? field.value : "";
      }).join("\n").trim();
      if (text.length < 2 || text === asked) return;
      asked = text;
      fetch(form.getAttribute("data-suggest") + "?text=" + encodeURIComponent(text), {
        headers: { Accept: "application/json" }, credentials: "same-origin"
      })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (found) {
          var option = found && found.category_id && select.querySelector('option[value="' + found.category_id + '"]');
          if (!option) return;
          if (!chosenByHand) select.value = String(found.category_id);
          hint.querySelector("[data-suggested]").textContent = option.textContent.trim();
          hint.hidden = false;
        })
        .catch(function () {});
    }
    form.addEventListener("input", function (event) {
      if (event.target === select) return;
      clearTimeout(timer);
      timer = setTimeout(ask, 400);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-suggest]").forEach(suggestCategory);
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
