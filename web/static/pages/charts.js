// The pages' charts, drawn by Chart.js (vendored in ../chartjs) from the data
// the server wrote into the page as JSON; no computation of scores here.
(function () {
  "use strict";
  var COLOURS = {top: "#2e7d32", bottom: "#c62828", middle: "#1565c0",
                 start: "#546e7a", total: "#37474f", up: "#2e7d32", down: "#c62828"};

  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function drawn(canvas) {
    canvas.dataset.drawn = "true";
  }

  function totals() {
    var found = data("totals-data");
    var canvas = document.getElementById("totals-chart");
    if (!found || !canvas) return;
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: found.labels,
        datasets: [{
          data: found.totals.map(Number),
          backgroundColor: found.groups.map(function (g) { return COLOURS[g]; })
        }]
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        plugins: {legend: {display: false}},
        scales: {y: {beginAtZero: true}}
      }
    });
    drawn(canvas);
  }

  function waterfall() {
    var found = data("waterfall-data");
    var canvas = document.getElementById("waterfall-chart");
    if (!found || !canvas) return;
    var steps = found.steps;
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: steps.map(function (s) { return s.label; }),
        datasets: [{
          data: steps.map(function (s) { return [Number(s.from), Number(s.to)]; }),
          backgroundColor: steps.map(function (s) { return COLOURS[s.kind]; })
        }]
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        plugins: {legend: {display: false}},
        scales: {y: {beginAtZero: true}},
        onClick: function (event, elements) {
          if (!elements.length) return;
          var step = steps[elements[0].index];
          if (step.href) window.location.href = step.href;
        }
      }
    });
    drawn(canvas);
  }

  function year() {
    var found = data("year-data");
    var canvas = document.getElementById("year-chart");
    if (!found || !canvas) return;
    new Chart(canvas, {
      type: "line",
      data: {
        labels: found.labels,
        datasets: [{
          data: found.totals.map(function (t) { return t === null ? null : Number(t); }),
          borderColor: COLOURS.middle, backgroundColor: COLOURS.middle,
          pointRadius: found.labels.map(function (l) { return l === found.month ? 6 : 3; }),
          spanGaps: false
        }]
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        plugins: {legend: {display: false}},
        scales: {y: {beginAtZero: true}}
      }
    });
    drawn(canvas);
  }

  totals();
  waterfall();
  year();
})();
