// What the theme leaves out for keyboard and screen-reader users (found by axe-core): a name
// for the search dialog and its hidden toggle, keyboard access to tables that scroll
// sideways on a narrow screen (the theme wraps each table in a scrolling box), and no
// keyboard stop on a control hidden from screen readers (Zensical's palette option).
(function () {
  "use strict";

  function mend() {
    var dialog = document.querySelector(".md-search[role='dialog']");
    if (dialog && !dialog.hasAttribute("aria-label")) dialog.setAttribute("aria-label", "Search");
    var toggle = document.getElementById("__search");
    if (toggle && !document.querySelector("label[for='__search']")) {
      toggle.setAttribute("aria-label", "Open search");
    }
    document.querySelectorAll("input.md-option[aria-hidden='true']").forEach(function (option) {
      option.tabIndex = -1;
    });
    document.querySelectorAll(".md-typeset__scrollwrap:not([tabindex])").forEach(function (box) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", "Table (scrolls sideways)");
    });
  }

  // The theme builds its parts when a page loads: mend them after it has.
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(mend);
  }
  window.addEventListener("load", mend);
  mend();
})();
