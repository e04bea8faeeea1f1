/* The draw page: poll the running draw's progress; reload when it has finished. */
(function () {
  "use strict";
  var box = document.getElementById("draw-progress");
  if (!box) { return; }
  var bar = document.getElementById("draw-bar");
  var message = document.getElementById("draw-message");
  var failures = 0;

  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (s) {
        failures = 0;
        bar.style.width = Math.round((s.progress || 0) * 100) + "%";
        message.textContent = s.message || s.label || "";
        if (s.status === "queued" || s.status === "running") {
          setTimeout(poll, 1000);
        } else {
          window.location.reload();
        }
      })
      .catch(function () {
        failures += 1;
        message.textContent = "暂时无法获取进度，正在重试…";
        setTimeout(poll, Math.min(10000, 1000 * Math.pow(2, failures)));
      });
  }
  setTimeout(poll, 800);
}());
