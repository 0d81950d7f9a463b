// Draws a bar chart above every table with data-chart, from the table's own numbers
// (the table stays: it is the chart's text alternative and what works without JavaScript).
// data-chart="stacked": columns allowed, denied; "single": one column of denials.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function el(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function draw(table) {
    var target = document.querySelector('[data-chart-for="' + table.id + '"]');
    if (!target) { return; }
    var rows = Array.prototype.map.call(table.tBodies[0].rows, function (tr) {
      var label = tr.cells[0].querySelector("code") || tr.cells[0];
      var values = Array.prototype.slice.call(tr.cells, 1).map(function (td) {
        return parseInt(td.textContent, 10) || 0;
      });
      return { label: label.textContent.trim(), values: values };
    }).slice(0, 40);
    if (!rows.length) { return; }
    var single = table.getAttribute("data-chart") === "single";
    var max = Math.max.apply(null, rows.map(function (r) {
      return r.values.reduce(function (a, b) { return a + b; }, 0);
    })) || 1;
    var labelW = 260, barW = 520, rowH = 24, width = labelW + barW + 60;
    var svg = el("svg", { viewBox: "0 0 " + width + " " + (rows.length * rowH + 8), role: "img",
      width: width, height: rows.length * rowH + 8, focusable: "false" });
    rows.forEach(function (r, i) {
      var y = i * rowH + 4, x = labelW;
      var label = r.label.length > 36 ? r.label.slice(0, 35) + "…" : r.label;
      svg.appendChild(el("text", { x: labelW - 8, y: y + 15, "text-anchor": "end" }, label));
      r.values.forEach(function (v, j) {
        var w = Math.round((v / max) * barW);
        var cls = single || j === 1 ? "bar-denied" : "bar-allowed";
        if (w > 0) { svg.appendChild(el("rect", { x: x, y: y, width: w, height: rowH - 6, "class": cls })); }
        x += w;
      });
      var total = r.values.reduce(function (a, b) { return a + b; }, 0);
      svg.appendChild(el("text", { x: x + 6, y: y + 15 }, String(total)));
    });
    target.appendChild(svg);
    target.setAttribute("data-drawn", "true");
  }

  document.querySelectorAll("table[data-chart]").forEach(draw);
})();
