// The rule-change page: the preview's chart (Chart.js, vendored in ../chartjs)
// from the data the server wrote into the page, and the rebuild's progress,
// read again from the server while it runs. No figures are worked out here.
(function () {
  "use strict";
  var COLOURS = {before: "#90a4ae", after: "#1565c0"};
  var EVERY_MS = 500;

  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function preview() {
    var found = data("preview-data");
    var canvas = document.getElementById("preview-chart");
    if (!found || !canvas) return;
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: found.labels,
        datasets: found.datasets.map(function (set) {
          return {label: set.label, data: set.data.map(Number),
                  backgroundColor: COLOURS[set.kind]};
        })
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        scales: {y: {beginAtZero: true}}
      }
    });
    canvas.dataset.drawn = "true";
  }

  function fill(template, name, value) {
    return template.replace("{" + name + "}", value);
  }

  function show(section, words, found) {
    var bar = document.getElementById("progress-bar");
    bar.max = found.bar.max;
    bar.value = found.bar.value;
    document.getElementById("events-done").textContent = found.events_done;
    document.getElementById("events-total").textContent = found.events_total;
    document.getElementById("rebuild-rate").textContent =
      fill(words.rate, "rate", found.rate_per_second.toFixed(1));
    document.getElementById("rebuild-left").textContent =
      fill(words.seconds, "seconds", (found.seconds_remaining || 0).toFixed(0));
    document.getElementById("rebuild-status").textContent =
      words[found.status] || found.status;
    section.dataset.state = found.status;
  }

  function follow() {
    var section = document.getElementById("rebuild-progress");
    var words = data("rebuild-words");
    if (!section || !words || section.dataset.state !== "running") return;
    function poll() {
      fetch(section.dataset.status, {headers: {Accept: "application/json"},
                                     credentials: "same-origin"})
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.json();
        })
        .then(function (found) {
          show(section, words, found);
          if (found.status === "running") window.setTimeout(poll, EVERY_MS);
        })
        .catch(function () { window.setTimeout(poll, EVERY_MS * 4); });
    }
    poll();
  }

  preview();
  follow();
})();
