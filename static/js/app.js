// CreditDesk's small page behaviours, kept out of the HTML so the Content-Security-Policy
// can forbid inline script.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  });
});

// Issue 18 §1: a customer field with data-customer-lookup offers the customers the user may see
// as they type (name, code, pinyin initials); the value chosen is the ERP code.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("input[data-customer-lookup]").forEach(function (input) {
    var listId = input.getAttribute("list");
    var list = document.getElementById(listId);
    if (!list) {
      list = document.createElement("datalist");
      list.id = listId;
      input.insertAdjacentElement("afterend", list);
    }
    var timer = null;
    var asked = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        if (!q || q === asked) {
          return;
        }
        asked = q;
        var url = input.dataset.customerLookup + "?q=" + encodeURIComponent(q);
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) {
            return response.ok ? response.json() : { results: [] };
          })
          .then(function (body) {
            list.replaceChildren();
            body.results.forEach(function (customer) {
              var option = document.createElement("option");
              option.value = customer.code;
              option.label = customer.name + " (" + customer.code + ")";
              option.textContent = customer.name;
              list.appendChild(option);
            });
          })
          .catch(function () {});
      }, 200);
    });
  });
});
