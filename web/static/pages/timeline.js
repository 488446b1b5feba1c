// The agent-month page's timeline: the range stops only at the positions of
// the month's events. Let go after a drag or a click, it shows the page as it
// stood there; moved by the keyboard (an event a key), it waits for the Show
// button, so a key press does not reload the page and lose the focus. The form
// works without this too: it sends the position it is set to.
(function () {
  "use strict";
  var range = document.getElementById("position");
  var shown = document.getElementById("position-shown");
  if (!range) return;
  var positions = range.dataset.positions.split(",").map(Number);
  var current = Number(range.value);
  var pointing = false;

  function nearest(value) {
    return positions.reduce(function (best, p) {
      return Math.abs(p - value) < Math.abs(best - value) ? p : best;
    }, positions[0]);
  }

  function next(value) {
    // The next event in the direction the value moved, or where it is.
    var later = positions.filter(function (p) { return p >= value; });
    var earlier = positions.filter(function (p) { return p <= value; });
    if (value > current && later.length) return later[0];
    if (value < current && earlier.length) return earlier[earlier.length - 1];
    return current;
  }

  range.addEventListener("pointerdown", function () { pointing = true; });
  range.addEventListener("input", function () {
    var value = Number(range.value);
    current = pointing ? nearest(value) : next(value);
    range.value = current;
    if (shown) shown.textContent = current;
  });
  range.addEventListener("change", function () {
    if (!pointing) return;
    pointing = false;
    range.value = nearest(Number(range.value));
    range.form.submit();
  });
})();
