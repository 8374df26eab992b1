// CreditDesk's small page behaviours, kept out of the HTML so the Content-Security-Policy
// can forbid inline script.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  });
});
