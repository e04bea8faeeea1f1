/* Check-in at the door: post typed or scanned codes, show who arrived, keep the count live.
   Scanning uses the browser's BarcodeDetector when present; otherwise staff type the code. */
(function () {
  "use strict";
  var root = document.getElementById("checkin");
  if (!root) { return; }
  var form = document.getElementById("checkin-form");
  var input = document.getElementById("code");
  var result = document.getElementById("result");
  var video = document.getElementById("scan-video");
  var startButton = document.getElementById("scan-start");
  var stopButton = document.getElementById("scan-stop");
  var busy = false, stream = null, detector = null, lastCode = "", lastAt = 0;

  function showCount(a) {
    if (!a) { return; }
    document.getElementById("arrived").textContent = a.arrived;
    document.getElementById("expected").textContent = a.expected;
    document.getElementById("seats").textContent = a.seats;
    var pct = a.expected ? Math.round(100 * a.arrived / a.expected) : 0;
    document.getElementById("arrived-bar").style.width = Math.min(pct, 100) + "%";
  }

  function showResult(ok, message) {
    result.hidden = false;
    result.className = "result " + (ok ? "ok" : "bad");
    result.textContent = message;
    if (navigator.vibrate) { navigator.vibrate(ok ? 80 : [60, 60, 60]); }
  }

  function markRow(person) {
    if (!person || !person.code) { return; }
    var row = document.querySelector('tr[data-code="' + person.code + '"]');
    if (!row) { return; }
    row.classList.add("done");
    var cell = row.querySelector("td.status");
    if (cell) {
      var badge = document.createElement("span");
      badge.className = "badge green";
      badge.textContent = "已签到 " + person.checked_in_at;
      cell.replaceChildren(badge);
    }
  }

  function submitCode(code) {
    if (busy || !code.trim()) { return; }
    busy = true;
    fetch(root.dataset.url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf},
      body: JSON.stringify({code: code})
    }).then(function (response) {
      return response.json().catch(function () { return {ok: false, message: "服务器返回异常（" + response.status + "），请重试。"}; });
    }).then(function (body) {
      showResult(body.ok, body.message);
      showCount(body.arrivals);
      if (body.ok) { input.value = ""; markRow(body.person); }
    }).catch(function () {
      showResult(false, "网络异常，签到未完成，请重试。");
    }).then(function () { busy = false; input.focus(); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submitCode(input.value);
  });

  function pollCount() {
    fetch(root.dataset.countUrl, {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(showCount).catch(function () {});
  }
  setInterval(pollCount, 5000);

  function scanLoop() {
    if (!stream) { return; }
    detector.detect(video).then(function (codes) {
      var now = Date.now();
      if (codes.length && !(codes[0].rawValue === lastCode && now - lastAt < 4000)) {
        lastCode = codes[0].rawValue; lastAt = now;
        input.value = lastCode;
        submitCode(lastCode);
      }
    }).catch(function () {}).then(function () { setTimeout(scanLoop, 300); });
  }

  function stopScan() {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
    stream = null;
    video.hidden = true; stopButton.hidden = true; startButton.hidden = false;
  }

  function startScan() {
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false}).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false; stopButton.hidden = false; startButton.hidden = true;
      return video.play();
    }).then(scanLoop).catch(function () {
      stopScan();
      showResult(false, "无法打开摄像头，请检查浏览器权限，或手动输入签到码。");
    });
  }

  var canScan = "BarcodeDetector" in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia;
  if (!canScan) {
    document.getElementById("scan-unsupported").hidden = false;
    return;
  }
  window.BarcodeDetector.getSupportedFormats().then(function (formats) {
    if (formats.indexOf("qr_code") < 0) {
      document.getElementById("scan-unsupported").hidden = false;
      return;
    }
    detector = new window.BarcodeDetector({formats: ["qr_code"]});
    startButton.hidden = false;
    startButton.addEventListener("click", startScan);
    stopButton.addEventListener("click", stopScan);
  }).catch(function () { document.getElementById("scan-unsupported").hidden = false; });
}());
