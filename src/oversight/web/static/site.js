// Draws each chart from the JSON spec printed beside it. The page works without this script:
// every chart has a text summary and a data table. No inline script is needed, so the
// Content-Security-Policy can allow scripts from this site only.
(function () {
  "use strict";

  function draw(node) {
    var spec = document.getElementById(node.getAttribute("data-spec"));
    if (!spec || !window.Plotly) { return; }
    var figure = JSON.parse(spec.textContent);
    window.Plotly.newPlot(node, figure.data, figure.layout, figure.config).then(function () {
      node.classList.add("chart-drawn");
    });
  }

  function drawAll() {
    var nodes = document.querySelectorAll("[data-spec]");
    if (!("IntersectionObserver" in window)) {
      nodes.forEach(draw);
      return;
    }
    // Draw charts as they come into view, so a long page paints at once.
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) {
          observer.unobserve(entry.target);
          draw(entry.target);
        }
      });
    }, { rootMargin: "400px 0px" });
    nodes.forEach(function (node) { observer.observe(node); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
