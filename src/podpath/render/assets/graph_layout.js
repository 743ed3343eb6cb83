/* podpath graph, the layout half (graph.js draws): node sizes from their labels, the
   namespaces' inner layouts and the outer layout with dagre (vendored, see
   vendor/VENDORED.md), and the SVG paths of edges. Positions are absolute, top-left corners.
   Pure of the page's state: graph.js passes the view and the canvas's room. */
var podpathLayout = (function () {
  "use strict";
  var NODE_H = 34, NS_H = 40, PAD = 12, HEAD = 26, MAX_W = 250, MIN_W = 90;
  var OUTER_MAX = 60, OUTER_EDGES_MAX = 150; /* beyond: a grid, edges in focus mode */
  var FONT = "12px system-ui, -apple-system, \"Segoe UI\", Helvetica, Arial, sans-serif";
  var BOLD = "600 " + FONT;
  var SMALL = "10.5px system-ui, -apple-system, \"Segoe UI\", Helvetica, Arial, sans-serif";

  /* ---- text measurement: node widths fit their labels ---- */
  var ctx = document.createElement("canvas").getContext("2d");
  var widthCache = {};
  function textWidth(text, font) {
    var key = font + "\u0000" + text;
    if (!(key in widthCache)) { ctx.font = font; widthCache[key] = ctx.measureText(text).width; }
    return widthCache[key];
  }
  function fit(text, font, room) {
    if (textWidth(text, font) <= room) { return text; }
    var lo = 1, hi = text.length;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (textWidth(text.slice(0, mid) + "\u2026", font) <= room) { lo = mid; } else { hi = mid - 1; }
    }
    return text.slice(0, lo) + "\u2026";
  }
  /* A node's two lines: its name and, smaller, its kind (``web (Deployment)`` -> web / Deployment). */
  function lines(n) {
    var m = /^(.*) \(([A-Za-z]+)\)$/.exec(n.label);
    if (m) { return [m[1], m[2]]; }
    if (n.kind === "workload") { return [n.label, "Pod"]; }
    if (n.kind === "pod") { return [n.label, n.group ? "pod" : ""]; }
    return [n.label, n.kind === "namespace" ? "namespace" : n.kind === "cidr" ? "ipBlock" : ""];
  }
  function sized(item, first, second) {
    var w = Math.max(textWidth(first, FONT), second ? textWidth(second, SMALL) : 0) + 22;
    item.w = Math.round(Math.min(MAX_W, Math.max(MIN_W, w)));
    item.lines = [fit(first, FONT, item.w - 16), second ? fit(second, SMALL, item.w - 16) : ""];
    return item;
  }


  /* ---- layout (dagre); positions are absolute, top-left corners ---- */
  function dagreGraph(opts) {
    var dg = new dagre.graphlib.Graph();
    dg.setGraph(opts);
    dg.setDefaultEdgeLabel(function () { return {}; });
    return dg;
  }
  function layoutBox(box) {
    var linked = {};
    box.inner.forEach(function (e) { linked[e.from] = linked[e.to] = true; });
    var chain = box.children.filter(function (c) { return linked[c.id]; });
    var loose = box.children.filter(function (c) { return !linked[c.id]; });
    var w0 = 0, h0 = 0;
    if (chain.length) {
      var dg = dagreGraph({ rankdir: "LR", nodesep: 12, ranksep: 40, marginx: 0, marginy: 0 });
      chain.forEach(function (c) { dg.setNode(c.id, { width: c.w, height: c.h }); });
      box.inner.forEach(function (e) { dg.setEdge(e.from, e.to); });
      dagre.layout(dg);
      chain.forEach(function (c) { var p = dg.node(c.id); c.rx = p.x - c.w / 2; c.ry = p.y - c.h / 2; });
      box.inner.forEach(function (e) { e.rpoints = dg.edge(e.from, e.to).points; });
      w0 = dg.graph().width; h0 = dg.graph().height;
    }
    if (loose.length) {
      var colW = Math.max.apply(null, loose.map(function (c) { return c.w; }));
      var cols = Math.max(1, Math.ceil(Math.sqrt(loose.length / 3)), Math.floor((w0 + 12) / (colW + 12)));
      cols = Math.min(cols, loose.length);
      var top = h0 ? h0 + 16 : 0;
      loose.forEach(function (c, i) {
        c.rx = (i % cols) * (colW + 12);
        c.ry = top + Math.floor(i / cols) * (NODE_H + 10);
      });
      w0 = Math.max(w0, cols * (colW + 12) - 12);
      h0 = top + Math.ceil(loose.length / cols) * (NODE_H + 10) - 10;
    }
    var title = "namespace " + box.ns;
    box.w = Math.ceil(Math.max(w0 + 2 * PAD, textWidth(title, BOLD) + 48));
    box.h = Math.ceil(h0 + HEAD + PAD);
  }
  function gridLayout(top, room) {
    var rowW = Math.max(600, room.w - 40), x = 0, y = 0, shelf = 0;
    top.forEach(function (it) {
      if (x > 0 && x + it.w > rowW) { x = 0; y += shelf + 20; shelf = 0; }
      it.x = x; it.y = y; x += it.w + 20; shelf = Math.max(shelf, it.h);
    });
  }
  function outerRun(v, opts) {
    var dg = dagreGraph({ rankdir: opts.dir, ranker: opts.ranker, align: opts.align, nodesep: 16, ranksep: 36, edgesep: 3, marginx: 0, marginy: 0 });
    v.top.forEach(function (it) { dg.setNode(it.id, { width: it.w, height: it.h }); });
    v.agg.forEach(function (x) { /* one-way pairs rank the graph; a two-way pair says no direction */
      if (!x.back.length) { dg.setEdge(x.u, x.v); } else if (!x.fwd.length) { dg.setEdge(x.v, x.u); }
    });
    dagre.layout(dg);
    dg.rankdir = opts.dir;
    return dg;
  }
  /* The outer layout: of a few dagre variants (direction, ranking, alignment), the one that
     shows the graph biggest in the canvas (a dense namespace graph has no natural shape). */
  function variants(n) {
    if (n > 40) { return [{ dir: "TB" }]; }
    var out = [];
    ["TB", "LR"].forEach(function (dir) {
      ["network-simplex", "longest-path"].forEach(function (ranker) {
        [undefined, "UL"].forEach(function (align) { out.push({ dir: dir, ranker: ranker, align: align }); });
      });
    });
    return out;
  }
  function outerLayout(v, room) {
    var best = null, bestScale = -1;
    variants(v.top.length).forEach(function (opts) {
      var dg = outerRun(v, opts), gg = dg.graph();
      var s = Math.min(1, room.w / (gg.width + 32), room.h / (gg.height + 32));
      if (s > bestScale + 0.01) { best = dg; bestScale = s; }
    });
    v.rankdir = best.rankdir;
    v.top.forEach(function (it) { var p = best.node(it.id); it.x = p.x - it.w / 2; it.y = p.y - it.h / 2; });
    v.agg.forEach(function (x) {
      if (!x.back.length) { x.points = best.edge(x.u, x.v).points; }
      else if (!x.fwd.length) { x.points = best.edge(x.v, x.u).points.slice().reverse(); }
    });
  }
  /* Lay the view out for a canvas of ``room`` ({w, h}); returns the items by id. */
  function layout(v, room) {
    v.top.forEach(function (it) { if (it.type === "box") { layoutBox(it); } });
    v.grid = v.top.length > OUTER_MAX || v.agg.length > OUTER_EDGES_MAX;
    if (v.grid) {
      gridLayout(v.top, room);
    } else {
      outerLayout(v, room);
    }
    var minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    v.top.forEach(function (it) {
      minX = Math.min(minX, it.x); minY = Math.min(minY, it.y);
      maxX = Math.max(maxX, it.x + it.w); maxY = Math.max(maxY, it.y + it.h);
    });
    var dx = 16 - minX, dy = 16 - minY;
    var items = {};
    v.top.forEach(function (it) {
      it.x += dx; it.y += dy; items[it.id] = it;
      (it.children || []).forEach(function (c) {
        c.x = it.x + PAD + c.rx; c.y = it.y + HEAD + c.ry; items[c.id] = c;
      });
      (it.inner || []).forEach(function (e) {
        e.points = (e.rpoints || []).map(function (p) { return { x: p.x + it.x + PAD, y: p.y + it.y + HEAD }; });
      });
    });
    v.agg.forEach(function (x) {
      if (x.points) { x.d = basis(x.points.map(function (p) { return { x: p.x + dx, y: p.y + dy }; })); }
      else if (!v.grid) { x.d = twoWay(items[x.u], items[x.v], v.rankdir); }
    });
    v.width = Math.ceil(maxX - minX + 32);
    v.height = Math.ceil(maxY - minY + 32);
    return items;
  }

  /* ---- paths ---- */
  function basis(pts) { /* a B-spline through dagre's points (d3's curveBasis) */
    var d = "M" + pts[0].x + "," + pts[0].y;
    if (pts.length < 3) { return pts.length === 2 ? d + " L" + pts[1].x + "," + pts[1].y : d; }
    var x0 = pts[0].x, y0 = pts[0].y, x1 = pts[1].x, y1 = pts[1].y;
    d += " L" + (5 * x0 + x1) / 6 + "," + (5 * y0 + y1) / 6;
    function bez(x, y) {
      d += " C" + (2 * x0 + x1) / 3 + "," + (2 * y0 + y1) / 3 + " " + (x0 + 2 * x1) / 3 + "," + (y0 + 2 * y1) / 3 +
        " " + (x0 + 4 * x1 + x) / 6 + "," + (y0 + 4 * y1 + y) / 6;
      x0 = x1; y0 = y1; x1 = x; y1 = y;
    }
    for (var i = 2; i < pts.length; i++) { bez(pts[i].x, pts[i].y); }
    bez(x1, y1);
    return d + " L" + x1 + "," + y1;
  }
  function border(a, tx, ty) { /* where the line from a's centre towards (tx, ty) leaves a */
    var cx = a.x + a.w / 2, cy = a.y + a.h / 2, dx = tx - cx, dy = ty - cy;
    if (!dx && !dy) { return { x: cx, y: cy }; }
    var s = Math.min(dx ? (a.w / 2) / Math.abs(dx) : Infinity, dy ? (a.h / 2) / Math.abs(dy) : Infinity);
    return { x: cx + dx * s, y: cy + dy * s };
  }
  function twoWay(a, b, rankdir) { /* a two-way pair: side by side, an arc through the gap
       before their rank; otherwise a gentle curve */
    var tb = rankdir !== "LR";
    var ac = tb ? a.y + a.h / 2 : a.x + a.w / 2, bc = tb ? b.y + b.h / 2 : b.x + b.w / 2;
    if (Math.abs(ac - bc) > 4) { return direct(a, b); }
    if (tb) {
      var ya = a.y, yb = b.y, k = Math.min(ya, yb) - 22;
      return "M" + (a.x + a.w / 2) + "," + ya + " C" + (a.x + a.w / 2) + "," + k + " " + (b.x + b.w / 2) + "," + k + " " + (b.x + b.w / 2) + "," + yb;
    }
    var xa = a.x, xb = b.x, m = Math.min(xa, xb) - 22;
    return "M" + xa + "," + (a.y + a.h / 2) + " C" + m + "," + (a.y + a.h / 2) + " " + m + "," + (b.y + b.h / 2) + " " + xb + "," + (b.y + b.h / 2);
  }
  function direct(a, b) { /* a gentle curve between two items (focus mode) */
    var p = border(a, b.x + b.w / 2, b.y + b.h / 2), q = border(b, a.x + a.w / 2, a.y + a.h / 2);
    var mx = (p.x + q.x) / 2, my = (p.y + q.y) / 2, nx = q.y - p.y, ny = p.x - q.x;
    var len = Math.sqrt(nx * nx + ny * ny) || 1, bend = Math.min(40, len * 0.12);
    return "M" + p.x + "," + p.y + " Q" + (mx + nx / len * bend) + "," + (my + ny / len * bend) + " " + q.x + "," + q.y;
  }

  return { NODE_H: NODE_H, NS_H: NS_H, FONT: FONT, SMALL: SMALL, textWidth: textWidth,
           lines: lines, sized: sized, layout: layout, basis: basis, direct: direct };
})();
