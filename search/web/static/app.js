// coopwatch: the only script the pages load (Content-Security-Policy allows script from this origin only).
// On a phone the facet panel starts folded, so the results come first.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  if (window.matchMedia("(max-width: 720px)").matches) {
    document.querySelectorAll("details.facets").forEach(function (panel) { panel.open = false; });
  }
});
