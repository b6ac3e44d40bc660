// Progressive enhancement only: every page works without this file.
// Keyboard: on lists, j/k move and Enter opens; on a review, m = match, n = no match,
// c = comment, j = skip to the next review. Forms with data-confirm ask before sending.
(function () {
  "use strict";

  function typing(event) {
    var t = event.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }

  function listKeys() {
    var rows = Array.prototype.slice.call(document.querySelectorAll("[data-keys=rows] tr[data-href]"));
    if (!rows.length) return;
    var current = -1;
    function show(i) {
      if (current >= 0) rows[current].classList.remove("current");
      current = Math.max(0, Math.min(rows.length - 1, i));
      rows[current].classList.add("current");
      var link = rows[current].querySelector("a");
      if (link) link.focus();
    }
    rows.forEach(function (row) {
      row.addEventListener("click", function (event) {
        if (event.target.closest("a, button, input")) return;
        window.location.href = row.getAttribute("data-href");
      });
    });
    document.addEventListener("keydown", function (event) {
      if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === "j") { show(current + 1); event.preventDefault(); }
      else if (event.key === "k") { show(current - 1); event.preventDefault(); }
    });
  }

  function reviewKeys() {
    var form = document.getElementById("decide");
    if (!form) return;
    var keys = { m: "match", n: "no-match", j: "skip" };
    document.addEventListener("keydown", function (event) {
      if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === "c") {
        document.getElementById("note").focus();
        event.preventDefault();
        return;
      }
      var target = keys[event.key] && document.getElementById(keys[event.key]);
      if (target) { event.preventDefault(); target.click(); }
    });
    // Escape leaves the comment box, so the keys work again.
    document.getElementById("note").addEventListener("keydown", function (event) {
      if (event.key === "Escape") event.target.blur();
    });
  }

  function confirms() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-confirm]");
      if (button && !window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    listKeys();
    reviewKeys();
    confirms();
  });
})();
