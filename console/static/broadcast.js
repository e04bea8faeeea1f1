/* Broadcast pages: show the fields the chosen audience and kind need; poll the send progress. */
(function () {
  "use strict";

  function checked(form, name) {
    var input = form.querySelector('input[name="' + name + '"]:checked');
    return input ? input.value : "";
  }

  function toggleFields(form) {
    var audience = checked(form, "audience");
    var kind = checked(form, "kind");
    form.querySelectorAll("[data-show-for]").forEach(function (el) {
      el.hidden = el.getAttribute("data-show-for").split(" ").indexOf(audience) < 0;
    });
    form.querySelectorAll("[data-kind-for]").forEach(function (el) {
      el.hidden = el.getAttribute("data-kind-for") !== kind;
    });
  }

  function setText(id, value) {
    var el = document.getElementById(id);
    if (el) { el.textContent = String(value); }
  }

  function renderFailures(failures) {
    var body = document.querySelector("#failure-table tbody");
    if (!body || !failures.length) { return; }
    body.textContent = "";
    failures.forEach(function (f) {
      var row = document.createElement("tr");
      [f.code === null ? "" : f.code, f.label || f.error || "", f.count].forEach(function (value) {
        var cell = document.createElement("td");
        cell.textContent = String(value);  // never innerHTML: error texts come from outside
        row.appendChild(cell);
      });
      body.appendChild(row);
    });
  }

  function poll(box) {
    fetch(box.getAttribute("data-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (p) {
        document.getElementById("progress-bar").style.width = p.percent + "%";
        box.querySelector(".progress").setAttribute("aria-valuenow", p.percent);
        setText("progress-percent", p.percent);
        setText("progress-sent", p.sent_count);  // people, as the list and the report count them
        setText("progress-failed", p.failed_count);
        setText("progress-pending", p.waiting);
        setText("progress-retrying", p.retrying);
        renderFailures(p.failures);
        if (p.done) {
          setText("progress-state", "发送完成，正在生成报告…");
          window.setTimeout(function () { window.location.reload(); }, 800);
        } else {
          window.setTimeout(function () { poll(box); }, 1000);
        }
      })
      .catch(function () { window.setTimeout(function () { poll(box); }, 3000); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("broadcast-form");
    if (form) {
      toggleFields(form);
      form.addEventListener("change", function () { toggleFields(form); });
    }
    document.querySelectorAll("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (event) {
        if (!window.confirm(f.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
    var box = document.getElementById("progress");
    if (box && box.getAttribute("data-done") !== "true") { poll(box); }
  });
}());
