// The code pages: how long the code sent still holds, counted down (the page says it without this too).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-countdown]").forEach(function (note) {
      var left = parseInt(note.getAttribute("data-countdown"), 10);
      var out = note.querySelector("[data-countdown-left]");
      var english = document.documentElement.lang === "en";
      function show() {
        var m = Math.floor(left / 60), s = left % 60;
        var clock = m + ":" + (s < 10 ? "0" : "") + s;
        out.textContent = left > 0 ? (english ? "(" + clock + " left)" : "（剩余 " + clock + "）")
                                   : (english ? "(expired: send a new one)" : "（已过期，请重新获取）");
      }
      show();
      var timer = setInterval(function () { left -= 1; show(); if (left <= 0) clearInterval(timer); }, 1000);
    });
  });
})();
