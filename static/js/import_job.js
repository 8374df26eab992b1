// The import job page: polls the job's status for the progress bar and reloads the page, with
// its report, once the job has finished.
document.addEventListener("DOMContentLoaded", function () {
  var bar = document.getElementById("import-progress");
  if (!bar || !bar.dataset.statusUrl) {
    return;
  }
  var status = document.getElementById("import-status");
  var rows = document.getElementById("import-rows");
  function poll() {
    fetch(bar.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (!data) {
          window.setTimeout(poll, 5000);
          return;
        }
        bar.value = data.progress;
        bar.textContent = data.progress + "%";
        status.textContent = data.status_label;
        rows.textContent = data.rows_read;
        if (data.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1500);
        }
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }
  window.setTimeout(poll, 1000);
});
