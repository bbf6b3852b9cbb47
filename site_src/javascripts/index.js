// The index table: sort by a column, filter by words and by status. Our own few lines, so
// the site loads nothing from elsewhere; without JavaScript the table is all there, unsorted.
(function () {
  "use strict";

  function cellValue(row, index, kind) {
    var cell = row.cells[index];
    var raw = cell.getAttribute("data-value") || cell.textContent.trim();
    return kind === "number" ? parseFloat(raw) || 0 : raw.toLowerCase();
  }

  function makeSortable(table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, index) {
      var kind = th.getAttribute("data-sort");
      if (!kind || th.querySelector("button")) return;
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a, index, kind), y = cellValue(b, index, kind);
          var order = x < y ? -1 : x > y ? 1 : 0;
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  function makeFilterable(table) {
    var words = document.getElementById("sv-filter");
    var show = document.getElementById("sv-show");
    var shown = document.getElementById("sv-shown");
    if (!words || !show) return;
    function apply() {
      var wanted = words.value.toLowerCase().split(/\s+/).filter(Boolean);
      var status = show.value;
      var rows = table.tBodies[0].rows, visible = 0;
      Array.prototype.forEach.call(rows, function (row) {
        var text = row.textContent.toLowerCase();
        var ok = wanted.every(function (w) { return text.indexOf(w) !== -1; }) &&
          (!status || (" " + row.getAttribute("data-status") + " ").indexOf(" " + status + " ") !== -1);
        row.hidden = !ok;
        if (ok) visible += 1;
      });
      shown.textContent = visible + " of " + rows.length + " drafts shown";
    }
    words.addEventListener("input", apply);
    show.addEventListener("change", apply);
    apply();
  }

  function init() {
    var tables = document.querySelectorAll("table.sv-index");
    Array.prototype.forEach.call(tables, function (table) {
      makeSortable(table);
      makeFilterable(table);
    });
  }

  // Material's instant loading swaps pages without a reload: it announces each on document$.
  if (typeof window.document$ !== "undefined") {
    window.document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
