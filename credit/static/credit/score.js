// Live score on the evaluation form: points = weight × rating / 100, summed; level from the bands.
(function () {
  "use strict";
  var form = document.querySelector("form[data-score-bands]");
  if (!form) return;
  var bands = JSON.parse(form.getAttribute("data-score-bands"));
  var out = document.getElementById("live-score");
  function update() {
    var total = 0;
    form.querySelectorAll("input[data-weight]").forEach(function (input) {
      var rating = parseFloat(input.value);
      if (!isNaN(rating)) total += (parseFloat(input.getAttribute("data-weight")) * rating) / 100;
    });
    var level = 5;
    for (var i = 0; i < bands.length; i++) {
      if (total >= bands[i]) { level = i + 1; break; }
    }
    out.textContent = total.toFixed(2) + " → " + level;
  }
  form.addEventListener("input", update);
  update();
})();
