/* podpath report: paged tables and the namespace heatmap, drawn from the page's JSON.
   Every string reaches the DOM as text (textContent), never as HTML. No network access.
   - div.ptable[data-table=ID]: the table spec in script#ID {columns: [{title, type}], rows,
     page}; a filter box, pages, a page size, sorting by a click on a heading.
   - div.heatmap[data-heat=ID]: {labels, cells: [[from, to, allowed, pairs]]} on a canvas,
     counts on hover, a filter on namespace names. */
(function () {
  "use strict";
  function html(tag, text, parent, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = text; }
    if (cls) { e.className = cls; }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function spec(id) { return JSON.parse(document.getElementById(id).textContent); }

  /* ---- paged tables ---- */
  function pagedTable(box) {
    var s = spec(box.getAttribute("data-table"));
    var st = { page: 0, size: s.page || 25, filter: "", sort: -1, desc: false };
    var haystack = null; /* the rows' text for the filter, made on first use */
    function hay() {
      if (!haystack) { haystack = s.rows.map(function (r) { return r.join("\u0000").toLowerCase(); }); }
      return haystack;
    }
    var tools = html("div", null, box, "ptable-tools");
    var filter = html("input", null, tools);
    filter.type = "search";
    filter.placeholder = "filter rows";
    var info = html("span", null, tools, "muted ptable-info");
    var prev = html("button", "\u2039 prev", tools), next = html("button", "next \u203a", tools);
    prev.type = next.type = "button";
    var size = html("select", null, tools);
    [25, 100, 500, 0].forEach(function (n) {
      var o = html("option", n ? n + " rows" : "all rows", size);
      o.value = String(n);
      if (n === st.size) { o.selected = true; }
    });
    if (s.rows.length <= 25) { tools.hidden = true; }
    var t = html("table", null, box, "data");
    var head = html("tr", null, html("thead", null, t));
    var ths = s.columns.map(function (c, i) {
      var th = html("th", c.title, head, c.type === "num" ? "num" : "");
      th.title = "sort";
      th.addEventListener("click", function () {
        st.desc = st.sort === i ? !st.desc : false;
        st.sort = i;
        st.page = 0;
        draw();
      });
      return th;
    });
    var body = html("tbody", null, t);
    function cell(tr, c, value) {
      var td = html("td", null, tr);
      if (c.type === "sev") { html("span", value, td, "sev-" + value); }
      else if (c.type === "code" && value) { html("code", value, td); }
      else { td.textContent = value; }
      if (c.type === "num") { td.className = "num"; }
    }
    function rows() {
      var idx = [];
      var text = st.filter ? hay() : null;
      for (var i = 0; i < s.rows.length; i++) { if (!text || text[i].indexOf(st.filter) >= 0) { idx.push(i); } }
      if (st.sort >= 0) {
        var k = st.sort, num = s.columns[k].type === "num";
        idx.sort(function (a, b) {
          var x = s.rows[a][k], y = s.rows[b][k];
          var r = num ? (parseFloat(x) || 0) - (parseFloat(y) || 0) : x < y ? -1 : x > y ? 1 : 0;
          return (st.desc ? -r : r) || a - b;
        });
      }
      return idx;
    }
    function draw() {
      var idx = rows(), n = st.size || idx.length || 1;
      var pages = Math.max(1, Math.ceil(idx.length / n));
      st.page = Math.min(st.page, pages - 1);
      var from = st.page * n, shown = idx.slice(from, from + n);
      body.textContent = "";
      shown.forEach(function (i) {
        var tr = html("tr", null, body);
        s.columns.forEach(function (c, j) { cell(tr, c, s.rows[i][j]); });
      });
      if (!idx.length) { html("td", s.rows.length ? "no row matches" : "none", html("tr", null, body), "muted").colSpan = s.columns.length; }
      info.textContent = idx.length ? (from + 1) + "\u2013" + (from + shown.length) + " of " + idx.length +
        (idx.length < s.rows.length ? " (" + s.rows.length + " in all)" : "") : "0 of " + s.rows.length;
      prev.disabled = st.page === 0;
      next.disabled = st.page >= pages - 1;
      ths.forEach(function (th, i) { th.setAttribute("data-sort", st.sort === i ? (st.desc ? "desc" : "asc") : ""); });
      box.setAttribute("data-rows", String(idx.length));
    }
    filter.addEventListener("input", function () { st.filter = filter.value.trim().toLowerCase(); st.page = 0; draw(); });
    prev.addEventListener("click", function () { st.page -= 1; draw(); });
    next.addEventListener("click", function () { st.page += 1; draw(); });
    size.addEventListener("change", function () { st.size = parseInt(size.value, 10); st.page = 0; draw(); });
    draw();
  }

  /* ---- the heatmap ---- */
  var FONT = "11px system-ui, -apple-system, \"Segoe UI\", Helvetica, Arial, sans-serif";
  function colour(share) {
    if (share <= 0) { return "#f1f5f9"; }
    return "hsl(142, 60%, " + Math.round(88 - 55 * share) + "%)";
  }
  function heatmap(box) {
    var s = spec(box.getAttribute("data-heat"));
    var cells = {};
    s.cells.forEach(function (c) { cells[c[0] + "," + c[1]] = c; });
    var tools = html("div", null, box, "ptable-tools");
    var filter = html("input", null, tools);
    filter.type = "search";
    filter.placeholder = "filter namespaces";
    var info = html("span", null, tools, "muted");
    if (s.labels.length <= 12) { tools.hidden = true; }
    var wrap = html("div", null, box, "heat-wrap");
    var canvas = html("canvas", null, wrap);
    var tip = html("div", null, document.body, "graph-tip");
    tip.hidden = true;
    var shown = [], geo = null;
    function draw() {
      var q = filter.value.trim().toLowerCase();
      shown = [];
      s.labels.forEach(function (l, i) { if (!q || l.toLowerCase().indexOf(q) >= 0) { shown.push(i); } });
      info.textContent = shown.length + " of " + s.labels.length + " namespaces";
      var n = shown.length, room = Math.max(300, (box.clientWidth || 900) - 20);
      var ctx = canvas.getContext("2d");
      ctx.font = FONT;
      var cell = Math.max(3, Math.min(22, Math.floor((room - 40) / Math.max(1, n) * 0.8)));
      var labels = cell >= 10;
      var lw = labels ? Math.ceil(Math.max.apply(null, [40].concat(shown.map(function (i) { return ctx.measureText(s.labels[i]).width; })))) + 8 : 0;
      geo = { cell: cell, left: lw, top: lw };
      var ratio = window.devicePixelRatio || 1, w = lw + n * cell + 2, h = lw + n * cell + 2;
      canvas.width = Math.ceil(w * ratio);
      canvas.height = Math.ceil(h * ratio);
      canvas.style.width = w + "px";
      canvas.style.height = h + "px";
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, w, h);
      ctx.font = FONT;
      ctx.fillStyle = "#334e68";
      if (labels) {
        ctx.textAlign = "right";
        ctx.textBaseline = "middle";
        shown.forEach(function (i, r) { ctx.fillText(s.labels[i], lw - 6, lw + r * cell + cell / 2); });
        ctx.save();
        ctx.rotate(-Math.PI / 2);
        ctx.textAlign = "left";
        shown.forEach(function (i, c) { ctx.fillText(s.labels[i], -lw + 6, lw + c * cell + cell / 2); });
        ctx.restore();
      }
      shown.forEach(function (i, r) {
        shown.forEach(function (j, c) {
          var x = cells[i + "," + j];
          ctx.fillStyle = colour(x && x[3] ? x[2] / x[3] : 0);
          ctx.fillRect(lw + c * cell + 0.5, lw + r * cell + 0.5, cell - 1, cell - 1);
        });
      });
    }
    canvas.addEventListener("mousemove", function (ev) {
      var rect = canvas.getBoundingClientRect();
      var c = Math.floor((ev.clientX - rect.left - geo.left) / geo.cell), r = Math.floor((ev.clientY - rect.top - geo.top) / geo.cell);
      if (r < 0 || c < 0 || r >= shown.length || c >= shown.length) { tip.hidden = true; return; }
      var i = shown[r], j = shown[c], x = cells[i + "," + j];
      tip.textContent = s.labels[i] + " \u2192 " + s.labels[j] + ": " + (x ? x[2] + " of " + x[3] + " pod pairs allowed" : "no pod pair allowed");
      tip.hidden = false;
      tip.style.left = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8) + "px";
      tip.style.top = (ev.clientY + 14) + "px";
    });
    canvas.addEventListener("mouseleave", function () { tip.hidden = true; });
    filter.addEventListener("input", draw);
    draw();
  }

  Array.prototype.forEach.call(document.querySelectorAll("div.ptable[data-table]"), pagedTable);
  Array.prototype.forEach.call(document.querySelectorAll("div.heatmap[data-heat]"), heatmap);
})();
