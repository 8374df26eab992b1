// CreditDesk's small page behaviours, kept out of the HTML so the Content-Security-Policy
// can forbid inline script.
document.documentElement.classList.add("js");

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  });
});

// Issue 18 §4: the header on one line. A phone opens the navigation with the menu button; a wide
// screen keeps the entries that fit and moves the rest under "More".
document.addEventListener("DOMContentLoaded", function () {
  var topbar = document.querySelector(".topbar");
  var toggle = topbar && topbar.querySelector(".menu-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var open = topbar.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  var nav = document.querySelector(".mainnav");
  var more = nav && nav.querySelector(".nav-more");
  if (!more) {
    return;
  }
  var moreItems = more.querySelector(".nav-more-items");
  var phone = window.matchMedia("(max-width: 600px)");
  function fit() {
    while (moreItems.firstChild) {
      nav.insertBefore(moreItems.firstChild, more);
    }
    more.hidden = true;
    more.open = false;
    more.classList.remove("active");
    if (phone.matches || nav.scrollWidth <= nav.clientWidth) {
      return;
    }
    more.hidden = false;
    var links = Array.prototype.slice.call(nav.querySelectorAll(":scope > a"));
    while (nav.scrollWidth > nav.clientWidth && links.length > 1) {
      moreItems.insertBefore(links.pop(), moreItems.firstChild);
    }
    more.classList.toggle("active", !!moreItems.querySelector("a.active"));
  }
  var pending = false;
  window.addEventListener("resize", function () {
    if (!pending) {
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        fit();
      });
    }
  });
  document.addEventListener("click", function (event) {
    if (more.open && !more.contains(event.target)) {
      more.open = false;
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      more.open = false;
    }
  });
  fit();
});

// Issue 18 §4: on a phone a list table shows one card per row; each cell carries its column's
// heading (data-label) for the card to show next to the value. The headings are the <thead>, or a
// first row of <th> only (marked .heading-row, which the phone hides).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("table.table").forEach(function (table) {
    var head = null;
    if (table.tHead) {
      head = table.tHead.rows[table.tHead.rows.length - 1];
    } else if (table.rows.length && table.rows[0].querySelectorAll(":scope > td").length === 0) {
      head = table.rows[0];
      head.classList.add("heading-row");
    }
    if (!head) {
      return;
    }
    var labels = [];
    Array.prototype.forEach.call(head.cells, function (cell) {
      var text = cell.querySelector(".visually-hidden") ? "" : cell.textContent;
      labels.push(text.replace(/[↑↓]/g, "").replace(/\s+/g, " ").trim());
      for (var i = 1; i < cell.colSpan; i++) {
        labels.push("");
      }
    });
    var sections = Array.prototype.slice.call(table.tBodies);
    if (table.tFoot) {
      sections.push(table.tFoot);
    }
    sections.forEach(function (section) {
      Array.prototype.forEach.call(section.rows, function (row) {
        var width = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          width += cell.colSpan;
        });
        // A row that does not fill the columns ("Nothing yet.") reads without headings.
        if (row === head || width !== labels.length) {
          return;
        }
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          var label = labels[column];
          if (cell.tagName === "TD" && cell.colSpan === 1 && label && !cell.dataset.label) {
            cell.dataset.label = label;
          }
          column += cell.colSpan;
        });
      });
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

// A reason list grouped by change (credit adjustments): only the chosen change's reasons are
// offered; the form refuses any other on the server too.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-reasons-of]").forEach(function (reasons) {
    var kind = document.getElementById(reasons.dataset.reasonsOf);
    if (!kind) {
      return;
    }
    function offer() {
      var chosen = kind.options[kind.selectedIndex] ? kind.options[kind.selectedIndex].text : "";
      var current = reasons.options[reasons.selectedIndex];
      reasons.querySelectorAll("optgroup").forEach(function (group) {
        var match = group.label === chosen;
        group.hidden = !match;
        group.disabled = !match;
      });
      if (!current || current.parentElement.disabled) {
        var first = reasons.querySelector("optgroup:not([disabled]) option");
        if (first) {
          first.selected = true;
        }
      }
    }
    kind.addEventListener("change", offer);
    offer();
  });
});
