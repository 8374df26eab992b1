// Draws the dashboard's charts: each <canvas data-chart="key"> reads its Chart.js configuration
// from the JSON block with id "key" (no inline script, so the Content-Security-Policy holds).
// A configuration may name formats under "format" (creditdesk/charts.py): {"y": "money",
// "tooltip": "money"}; JSON cannot carry functions, so the callbacks are installed here.
document.addEventListener("DOMContentLoaded", function () {
  if (typeof Chart === "undefined") {
    return;
  }
  var locale = document.documentElement.lang || "zh-hans";
  if (locale.toLowerCase().indexOf("zh") === 0) {
    locale = "zh-CN";
  }
  var compactMoney = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 });
  var fullMoney = new Intl.NumberFormat(locale, { style: "currency", currency: "CNY" });
  var whole = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  var oneDecimal = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  var tickFormats = {
    money: function (value) { return compactMoney.format(value); },
    count: function (value) { return whole.format(value); },
    percent: function (value) { return oneDecimal.format(value) + " %"; },
    days: function (value) { return whole.format(value); },
  };
  var tooltipFormats = {
    money: function (value) { return fullMoney.format(value); },
    count: function (value) { return whole.format(value); },
    percent: function (value) { return oneDecimal.format(value) + " %"; },
    days: function (value) { return whole.format(value); },
  };

  function applyFormats(config) {
    var formats = config.format || {};
    delete config.format;
    config.options = config.options || {};
    var scales = (config.options.scales = config.options.scales || {});
    Object.keys(formats).forEach(function (axis) {
      if (axis === "tooltip" || !tickFormats[formats[axis]]) {
        return;
      }
      scales[axis] = scales[axis] || {};
      scales[axis].ticks = scales[axis].ticks || {};
      scales[axis].ticks.callback = tickFormats[formats[axis]];
    });
    var valueAxis = config.options.indexAxis === "y" ? "x" : "y";
    var byAxis = function (context) {
      // A dataset on its own axis (a rate beside days) takes that axis's format.
      var axis = (context.dataset || {}).yAxisID;
      if (axis && formats[axis]) {
        return formats[axis];
      }
      return formats.tooltip || formats[valueAxis];
    };
    if (Object.keys(formats).length) {
      config.options.plugins = config.options.plugins || {};
      config.options.plugins.tooltip = config.options.plugins.tooltip || {};
      config.options.plugins.tooltip.callbacks = {
        label: function (context) {
          var format = tooltipFormats[byAxis(context)];
          var value = context.parsed !== null && typeof context.parsed === "object"
            ? context.parsed[valueAxis]
            : context.parsed;
          if (value === null || value === undefined) {
            return context.dataset.label + ": —";
          }
          var label = context.dataset.label || context.label || "";
          if (config.type === "doughnut" || config.type === "pie") {
            label = context.label || label;
          }
          return label + ": " + (format ? format(value) : value);
        },
      };
    }
    return config;
  }

  // Chinese labels need a CJK font; fonts-noto-cjk is installed with CreditDesk.
  Chart.defaults.font.family =
    '"Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif';
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;
  Chart.defaults.datasets.bar.maxBarThickness = 32;
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) {
      return;
    }
    canvas.chart = new Chart(canvas, applyFormats(JSON.parse(source.textContent)));
    canvas.dataset.drawn = "1";
  });
});
