// Draws the dashboard's charts: each <canvas data-chart="key"> reads its Chart.js configuration
// from the JSON block with id "key" (no inline script, so the Content-Security-Policy holds).
document.addEventListener("DOMContentLoaded", function () {
  if (typeof Chart === "undefined") {
    return;
  }
  // Chinese labels need a CJK font; fonts-noto-cjk is installed with CreditDesk.
  Chart.defaults.font.family =
    '"Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif';
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) {
      return;
    }
    canvas.chart = new Chart(canvas, JSON.parse(source.textContent));
    canvas.dataset.drawn = "1";
  });
});
