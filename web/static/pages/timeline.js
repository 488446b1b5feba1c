// The agent-month page's timeline: the range snaps to the positions of the
// month's events and, once let go, shows the page as it stood there (the
// form works without this too: it sends the position it is set to).
(function () {
  "use strict";
  var range = document.getElementById("position");
  var shown = document.getElementById("position-shown");
  if (!range) return;
  var positions = range.dataset.positions.split(",").map(Number);

  function nearest(value) {
    return positions.reduce(function (best, p) {
      return Math.abs(p - value) < Math.abs(best - value) ? p : best;
    }, positions[0]);
  }

  range.addEventListener("input", function () {
    range.value = nearest(Number(range.value));
    if (shown) shown.textContent = range.value;
  });
  range.addEventListener("change", function () {
    range.value = nearest(Number(range.value));
    range.form.submit();
  });
})();
