/* Statistics charts, drawn with the locally served Chart.js from the JSON the page embeds. */
(function () {
  "use strict";
  var RED = "#b7181d", BLUE = "#0b5cad", GREEN = "#2e8b57", AMBER = "#d48806", GREY = "#8c99a6";

  function bar(id, labels, datasets, horizontal) {
    var canvas = document.getElementById(id);
    if (!canvas || !labels.length) { return; }
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: { indexAxis: horizontal ? "y" : "x", responsive: true, maintainAspectRatio: false, animation: false,
                 scales: { x: { beginAtZero: true, ticks: { precision: 0, autoSkip: !horizontal } },
                           y: { beginAtZero: true, ticks: { precision: 0, autoSkip: horizontal ? false : true } } } }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("stats-data");
    if (!source || !window.Chart) { return; }
    var data = JSON.parse(source.textContent);
    window.Chart.defaults.font.family = '"PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif';
    var adoption = document.getElementById("chart-adoption");
    if (adoption) {
      new window.Chart(adoption, {
        type: "doughnut",
        data: { labels: data.adoption.labels, datasets: [{ data: data.adoption.values, backgroundColor: [GREEN, BLUE, GREY, AMBER] }] },
        options: { responsive: true, maintainAspectRatio: false, animation: false }
      });
    }
    bar("chart-topics", data.topics.labels, [
      { label: "意见建议", data: data.topics.total, backgroundColor: BLUE },
      { label: "采纳（含部分）", data: data.topics.adopted, backgroundColor: GREEN }], true);
    bar("chart-units", data.units.labels, [
      { label: "意见建议", data: data.units.total, backgroundColor: BLUE },
      { label: "采纳（含部分）", data: data.units.adopted, backgroundColor: GREEN }], true);
    bar("chart-people", data.people.labels, [
      { label: "报名", data: data.people.applicants, backgroundColor: GREY },
      { label: "入选", data: data.people.selected, backgroundColor: BLUE },
      { label: "实到", data: data.people.attended, backgroundColor: RED }], true);
  });
}());
