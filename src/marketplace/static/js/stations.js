// 驿站: "use my location" fills the search form with the browser's position (asked only on the tap, so
// the member consents); without script or permission, the list of places still works.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector("[data-locate]");
    if (!button || !navigator.geolocation) return;
    var form = button.form;
    var status = document.querySelector("[data-locate-status]");
    button.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = button.getAttribute("data-locating");
      navigator.geolocation.getCurrentPosition(
        function (position) {
          form.querySelector('[name="lat"]').value = position.coords.latitude.toFixed(6);
          form.querySelector('[name="lon"]').value = position.coords.longitude.toFixed(6);
          form.querySelector('[name="place"]').value = "";
          form.submit();
        },
        function () { status.textContent = button.getAttribute("data-refused"); },
        { enableHighAccuracy: false, timeout: 10000, maximumAge: 60000 }
      );
    });
  });
})();
