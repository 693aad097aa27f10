// 扫码签到 on the door's page and on a member's own check-in: the camera reads a member's QR code where
// the browser has BarcodeDetector, and the place is added when the browser gives it. The typed form
// works without any of this.
(function () {
  "use strict";

  function addPlace(form) {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(function (pos) {
      var lat = form.querySelector('input[name="latitude"]');
      var lon = form.querySelector('input[name="longitude"]');
      if (lat && lon) {
        lat.value = pos.coords.latitude.toFixed(6);
        lon.value = pos.coords.longitude.toFixed(6);
      }
    }, function () {}, { timeout: 5000, maximumAge: 600000 });
  }

  function startScanner(box, form) {
    var video = box.querySelector("[data-scan-video]");
    var status = box.querySelector("[data-scan-status]");
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    var done = false;
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (stream) {
        video.srcObject = stream;
        video.classList.remove("hidden");
        return video.play().then(function () { return stream; });
      })
      .then(function (stream) {
        function look() {
          if (done) return;
          detector.detect(video).then(function (codes) {
            if (codes.length && codes[0].rawValue) {
              done = true;
              stream.getTracks().forEach(function (t) { t.stop(); });
              form.querySelector('input[name="code"]').value = codes[0].rawValue;
              form.querySelector('input[name="scanned"]').value = "1";
              form.submit();
            } else {
              window.setTimeout(look, 250);
            }
          }).catch(function () { window.setTimeout(look, 500); });
        }
        look();
      })
      .catch(function () {
        if (status) status.textContent = box.getAttribute("data-no-camera") || "";
      });
  }

  function init() {
    document.querySelectorAll("[data-checkin-form]").forEach(addPlace);
    var box = document.querySelector("[data-scanner]");
    var form = document.querySelector("[data-checkin-form]");
    if (!box || !form || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
    box.classList.remove("hidden");
    var button = box.querySelector("[data-scan-start]");
    button.addEventListener("click", function () {
      button.disabled = true;
      startScanner(box, form);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
