/* podpath graph: lays the connectivity graph out with dagre (vendored, see vendor/VENDORED.md)
   and draws it as SVG. No network access.
   - Namespaces are boxes, laid out top to bottom; inside a box its workloads left to right.
     A box collapses to one node (start collapsed on big inputs: namespace level).
   - Between boxes one edge per pair of namespaces (the connections it stands for on hover);
     inside a box one edge per connection. Labels on hover, never printed.
   - A click on a node: focus mode (only its own connections, drawn one by one) and the
     panel saying who reaches it and why. A click on the background leaves it.
   - Search (ids, names, pod names): matches are highlighted, Enter selects the first;
     "only matches" filters the graph.
   Test hooks: #select=<node id> clicks that node once drawn, #search=<text> searches;
   window.podpathGraph. (body[data-ready] is set by the page once its scripts ran.) */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var dataEl = document.getElementById("podpath-graph-data");
  if (!dataEl) { return; }
  var E = null, kinds = null, edgeCache = [];
  var times = {}, t0 = performance.now();
  function lap(name) { var t = performance.now(); times[name] = Math.round(t - t0); t0 = t; }
  var g = JSON.parse(dataEl.textContent);
  lap("parse");
  g = decode(g);
  lap("decode");
  var canvas = document.getElementById("graph-canvas");
  var panel = document.getElementById("graph-panel");
  var tools = document.getElementById("graph-tools");
  var NODE_H = 34, NS_H = 40, PAD = 12, HEAD = 26, MAX_W = 250, MIN_W = 90;
  var OUTER_MAX = 60, OUTER_EDGES_MAX = 150; /* beyond: a grid, edges in focus mode */
  var FONT = "12px system-ui, -apple-system, \"Segoe UI\", Helvetica, Arial, sans-serif";
  var BOLD = "600 " + FONT;
  var SMALL = "10.5px system-ui, -apple-system, \"Segoe UI\", Helvetica, Arial, sans-serif";

  /* The page's compact form (render/html.py graph_view): edges as typed arrays (a 10k-pod
     cluster has 100k+), an edge object made when one is shown (edge(i)); edges of one kind
     share their ports and reasons. */
  function decode(raw) {
    var str = raw.strings, n = raw.edges.length;
    kinds = raw.kinds.map(function (k) {
      var ports = k[0].map(function (i) { return str[i]; }), reasons = {};
      ports.forEach(function (p, j) { reasons[p] = raw.sets[k[1][j]].map(function (i) { return str[i]; }); });
      return { ports: ports, reasons: reasons };
    });
    E = { n: n, from: new Int32Array(n), to: new Int32Array(n), kind: new Int32Array(n), entry: new Uint8Array(n) };
    raw.edges.forEach(function (e, i) { E.from[i] = e[0]; E.to[i] = e[1]; E.kind[i] = e[2]; E.entry[i] = e[3] === 1 ? 1 : 0; });
    raw.edges = null;
    return raw;
  }
  function edge(i) {
    if (!edgeCache[i]) {
      var k = kinds[E.kind[i]];
      edgeCache[i] = { from: g.nodes[E.from[i]].id, to: g.nodes[E.to[i]].id, ports: k.ports, reasons: k.reasons, entry: E.entry[i] === 1 };
    }
    return edgeCache[i];
  }
  var byId = {}, nsNodes = {}, edgesOf = [];
  g.groups.forEach(function (ns) { nsNodes[ns] = []; });
  g.nodes.forEach(function (n, i) {
    n.index = i;
    byId[n.id] = n;
    edgesOf.push([]);
    if (n.group !== null && nsNodes[n.group]) { nsNodes[n.group].push(n); }
  });
  var entries = 0;
  for (var ei = 0; ei < E.n; ei++) {
    entries += E.entry[ei];
    edgesOf[E.from[ei]].push(ei);
    if (E.to[ei] !== E.from[ei]) { edgesOf[E.to[ei]].push(ei); }
  }
  var state = { collapsed: {}, focus: null, query: "", only: false };
  if (g.start_collapsed) { g.groups.forEach(function (ns) { state.collapsed[ns] = true; }); }
  var view = null, items = {}, svg = null, vb = null;

  function el(name, attrs, parent) {
    var e = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function html(tag, text, parent, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = text; }
    if (cls) { e.className = cls; }
    if (parent) { parent.appendChild(e); }
    return e;
  }

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

  /* ---- search ---- */
  function matches(n) {
    var q = state.query;
    if (!q) { return false; }
    if (n.id.toLowerCase().indexOf(q) >= 0 || n.label.toLowerCase().indexOf(q) >= 0) { return true; }
    return n.members.some(function (m) { return m.toLowerCase().indexOf(q) >= 0; });
  }
  function shown(n) { return !(state.only && state.query) || matches(n); }

  /* ---- the view: what is drawn for the current state ---- */
  function nodeItem(n) {
    var l = lines(n);
    var it = sized({ id: n.id, type: "node", node: n, h: NODE_H }, l[0], l[1]);
    return it;
  }
  function buildView() {
    /* where[node index]: the item drawing it (itself, or its collapsed namespace); top[node
       index]: the number of its top-level item (its box, or itself) */
    var v = { top: [], where: new Array(g.nodes.length), agg: [], boxes: {} };
    var top = new Int32Array(g.nodes.length).fill(-1);
    g.nodes.forEach(function (n) {
      if ((n.group === null || !nsNodes[n.group]) && shown(n)) { top[n.index] = v.top.length; v.top.push(nodeItem(n)); v.where[n.index] = n.id; }
    });
    g.groups.forEach(function (ns) {
      var members = nsNodes[ns].filter(shown);
      if (!members.length) { return; }
      var id = "ns:" + ns;
      if (state.collapsed[ns]) {
        var count = members.length + " " + (g.by === "pod" ? "pod" : "workload") + (members.length === 1 ? "" : "s");
        members.forEach(function (m) { v.where[m.index] = id; top[m.index] = v.top.length; });
        v.top.push(sized({ id: id, type: "ns", ns: ns, h: NS_H, members: members }, ns, count + "  \u25b8"));
      } else {
        var box = { id: id, type: "box", ns: ns, children: members.map(nodeItem), inner: [] };
        members.forEach(function (m) { v.where[m.index] = m.id; top[m.index] = v.top.length; });
        v.top.push(box);
        v.boxes[id] = box;
      }
    });
    var agg = new Map(), T = v.top.length;
    for (var i = 0; i < E.n; i++) {
      var f = E.from[i], t = E.to[i], pa = top[f], pb = top[t];
      if (pa < 0 || pb < 0 || v.where[f] === v.where[t]) { continue; }
      if (pa === pb) { v.top[pa].inner.push({ from: v.where[f], to: v.where[t], edges: [i] }); continue; }
      var key = pa < pb ? pa * T + pb : pb * T + pa, x = agg.get(key);
      if (!x) {
        x = { u: v.top[Math.min(pa, pb)].id, v: v.top[Math.max(pa, pb)].id, fwd: [], back: [] };
        agg.set(key, x);
        v.agg.push(x);
      }
      (pa < pb ? x.fwd : x.back).push(i);
    }
    return v;
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
  function gridLayout(top) {
    var rowW = Math.max(600, canvasRoom().w - 40), x = 0, y = 0, shelf = 0;
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
  function outerLayout(v) {
    var room = canvasRoom(), best = null, bestScale = -1;
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
  function layout(v) {
    v.top.forEach(function (it) { if (it.type === "box") { layoutBox(it); } });
    v.grid = v.top.length > OUTER_MAX || v.agg.length > OUTER_EDGES_MAX;
    if (v.grid) {
      gridLayout(v.top);
    } else {
      outerLayout(v);
    }
    var minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    v.top.forEach(function (it) {
      minX = Math.min(minX, it.x); minY = Math.min(minY, it.y);
      maxX = Math.max(maxX, it.x + it.w); maxY = Math.max(maxY, it.y + it.h);
    });
    var dx = 16 - minX, dy = 16 - minY;
    items = {};
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

  /* ---- drawing ---- */
  var tip = html("div", null, document.body, "graph-tip");
  tip.hidden = true;
  /* One set of listeners on the svg (delegation): an element's tooltip text and click
     action are kept in maps, not in listeners of their own (hundreds of nodes). */
  var tips = new WeakMap(), clicks = new WeakMap();
  function hover(target, text) { tips.set(target, text); }
  function onClick(target, fn) { clicks.set(target, fn); }
  function owner(ev, map) {
    for (var e = ev.target; e && e !== svg; e = e.parentNode) { if (map.has(e)) { return e; } }
    return null;
  }
  function listen() {
    svg.addEventListener("mousemove", function (ev) {
      var e = owner(ev, tips);
      if (!e) { tip.hidden = true; return; }
      tip.textContent = tips.get(e)();
      tip.hidden = false;
      tip.style.left = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8) + "px";
      tip.style.top = (ev.clientY + 14) + "px";
    });
    svg.addEventListener("mouseleave", function () { tip.hidden = true; });
    svg.addEventListener("click", function (ev) {
      var e = owner(ev, clicks);
      if (e) { ev.stopPropagation(); clicks.get(e)(); }
      else if (state.focus && Date.now() - dragEnd > 250) { unselect(); }
    });
    svg.addEventListener("keydown", function (ev) {
      var e = owner(ev, clicks);
      if (e && ev.key === "Enter") { clicks.get(e)(); }
    });
  }
  function labelOf(id) { var it = items[id]; return it ? (it.type === "node" ? it.node.label : "namespace " + it.ns) : id; }
  function connText(list, limit) {
    var out = list.slice(0, limit).map(edge).map(function (e) {
      return (byId[e.from] ? byId[e.from].label : e.from) + " \u2192 " + (byId[e.to] ? byId[e.to].label : e.to) +
        ": " + e.ports.join(", ") + (e.entry ? " (entry point)" : "");
    });
    if (list.length > limit) { out.push("\u2026 and " + (list.length - limit) + " more"); }
    return out.join("\n");
  }
  function drawEdge(layer, d, cls, both, text) {
    var p = el("path", { d: d, "class": "edge " + cls, "marker-end": "url(#arrow)" }, layer);
    if (both) { p.setAttribute("marker-start", "url(#arrow)"); }
    var hit = el("path", { d: d, "class": "hit" }, layer);
    hover(hit, text);
    return p;
  }
  function drawNode(layer, it) {
    var n = it.node, cls = it.type === "ns" ? "node ns" : "node " + n.kind + (n.entry.length ? " entry" : "");
    var ne = el("g", { "class": cls, "data-id": it.id, tabindex: 0 }, layer);
    el("rect", { x: it.x, y: it.y, width: it.w, height: it.h, rx: it.type === "ns" ? 8 : 6 }, ne);
    var cx = it.x + it.w / 2, two = !!it.lines[1];
    el("text", { x: cx, y: it.y + (two ? it.h / 2 - 2 : it.h / 2 + 4), "text-anchor": "middle", "class": "name" }, ne).textContent = it.lines[0];
    if (two) { el("text", { x: cx, y: it.y + it.h / 2 + 11, "text-anchor": "middle", "class": "kind" }, ne).textContent = it.lines[1]; }
    hover(ne, function () {
      return it.type === "ns" ? "namespace " + it.ns + " (collapsed): click for its connections, double-click to open" : n.id + (n.entry.length ? "\n" + n.entry.join("\n") : "");
    });
    onClick(ne, function () { select(it.id); });
    if (it.type === "ns") { ne.addEventListener("dblclick", function (ev) { ev.stopPropagation(); expand(it.ns); }); }
    it.el = ne;
  }
  function drawBox(layer, box) {
    var ge = el("g", { "class": "group", "data-ns": box.ns }, layer);
    el("rect", { x: box.x, y: box.y, width: box.w, height: box.h, rx: 8 }, ge);
    el("text", { x: box.x + 10, y: box.y + 17 }, ge).textContent = "namespace " + box.ns;
    var t = el("g", { "class": "toggle", tabindex: 0 }, ge);
    el("rect", { x: box.x + box.w - 24, y: box.y + 5, width: 18, height: 16, rx: 3 }, t);
    el("text", { x: box.x + box.w - 15, y: box.y + 17, "text-anchor": "middle" }, t).textContent = "\u2212";
    hover(t, function () { return "collapse namespace " + box.ns; });
    onClick(t, function () { state.collapsed[box.ns] = true; render(); });
    box.el = ge;
  }
  function draw() {
    canvas.textContent = "";
    svg = el("svg", { role: "img", "class": "graph" }, canvas);
    svg.setAttribute("aria-label", "allowed connectivity graph");
    var defs = el("defs", {}, svg);
    [["arrow", "context-stroke"]].forEach(function (m) {
      var mk = el("marker", { id: m[0], viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
      el("path", { d: "M0,0 L10,5 L0,10 z", fill: m[1] }, mk);
    });
    var boxes = el("g", { "class": "boxes" }, svg), edges = el("g", { "class": "edges" }, svg);
    view.focusLayer = el("g", { "class": "focus-edges" }, svg);
    var nodes = el("g", { "class": "nodes" }, svg);
    view.top.forEach(function (it) {
      if (it.type === "box") {
        drawBox(boxes, it);
        it.children.forEach(function (c) { drawNode(nodes, c); });
        it.inner.forEach(function (e) {
          drawEdge(edges, basis(e.points), "inner" + (E.entry[e.edges[0]] ? " entry" : ""), false, function () { return connText(e.edges, 1); });
        });
      } else {
        drawNode(nodes, it);
      }
    });
    if (!view.grid) {
      view.agg.forEach(function (x) {
        var all = x.fwd.concat(x.back), entry = all.every(function (i) { return E.entry[i] === 1; });
        var p = drawEdge(edges, x.d, "agg" + (entry ? " entry" : ""), x.fwd.length && x.back.length, function () {
          return labelOf(x.u) + " \u2194 " + labelOf(x.v) + ": " + all.length + " connection" + (all.length === 1 ? "" : "s") + "\n" + connText(all, 12);
        });
        p.setAttribute("stroke-width", Math.min(4, 1 + Math.log(all.length) / 1.5).toFixed(2));
      });
    }
    listen();
    zoomable();
  }

  /* ---- pan, zoom and fit (viewBox) ---- */
  function setBox() { svg.setAttribute("viewBox", vb.x + " " + vb.y + " " + vb.w + " " + vb.h); }
  /* Room for the graph: the canvas's width, and a height that keeps it inside the window
     when the canvas starts in the window's upper half (the graph page), else 85% of it. */
  function canvasRoom() {
    var top = canvas.getBoundingClientRect().top + window.scrollY, h = window.innerHeight;
    var room = top < h / 2 ? h - top - 16 : h * 0.85;
    return { w: canvas.clientWidth || 800, h: Math.max(320, Math.round(room)) };
  }
  /* Fit: the whole graph in the canvas, never enlarged; a grid of many namespaces is fitted
     to the width only (readable), and the wheel scrolls it. */
  function fitView() {
    var room = canvasRoom(), cw = room.w, maxH = room.h;
    var s = Math.min(1, cw / view.width);
    if (!view.grid) { s = Math.min(s, maxH / view.height); }
    var ch = Math.max(160, Math.min(maxH, Math.ceil(view.height * s)));
    canvas.style.height = ch + "px";
    svg.setAttribute("width", cw);
    svg.setAttribute("height", ch);
    vb = { w: cw / s, h: ch / s };
    vb.x = (view.width - vb.w) / 2;
    vb.y = view.grid ? 0 : (view.height - vb.h) / 2;
    setBox();
  }
  function zoom(k, cx, cy) { /* by k around (cx, cy) in graph units */
    vb = { x: cx - (cx - vb.x) * k, y: cy - (cy - vb.y) * k, w: vb.w * k, h: vb.h * k };
    setBox();
  }
  var drag = null, dragEnd = 0;
  window.addEventListener("pointermove", function (ev) {
    if (!drag) { return; }
    var r = svg.getBoundingClientRect(), dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; }
    vb = { x: drag.vb.x - dx / r.width * vb.w, y: drag.vb.y - dy / r.height * vb.h, w: vb.w, h: vb.h };
    setBox();
  });
  window.addEventListener("pointerup", function () {
    if (drag && drag.moved) { dragEnd = Date.now(); }
    drag = null;
  });
  function zoomable() {
    svg.addEventListener("wheel", function (ev) { /* ctrl+wheel zooms; the wheel scrolls a tall graph, else the page */
      var r = svg.getBoundingClientRect();
      if (ev.ctrlKey || ev.metaKey) {
        ev.preventDefault();
        zoom(ev.deltaY > 0 ? 1.15 : 1 / 1.15, vb.x + (ev.clientX - r.left) / r.width * vb.w, vb.y + (ev.clientY - r.top) / r.height * vb.h);
        return;
      }
      var y = Math.max(-16, Math.min(view.height - vb.h + 16, vb.y + ev.deltaY * vb.h / r.height));
      if (Math.abs(y - vb.y) < 0.5) { return; }
      ev.preventDefault();
      vb.y = y;
      setBox();
    }, { passive: false });
    svg.addEventListener("pointerdown", function (ev) {
      if (ev.target.closest && ev.target.closest(".node, .toggle")) { return; }
      drag = { x: ev.clientX, y: ev.clientY, vb: vb, moved: false };
    });
  }
  function centerOn(it) {
    if (it.x >= vb.x && it.y >= vb.y && it.x + it.w <= vb.x + vb.w && it.y + it.h <= vb.y + vb.h) { return; }
    vb.x = it.x + it.w / 2 - vb.w / 2;
    vb.y = it.y + it.h / 2 - vb.h / 2;
    setBox();
  }

  /* ---- focus mode and the panel ---- */
  function reasonList(e, parent) {
    var ul = html("ul", null, parent);
    e.ports.forEach(function (port) {
      var li = html("li", null, ul);
      html("code", port, li);
      var why = (e.reasons && e.reasons[port]) || [];
      li.appendChild(document.createTextNode(why.length ? " because " + why.join(", ") : " (no policy selects these pods: allowed by default)"));
    });
  }
  function link(id, parent) {
    var a = html("a", byId[id] ? byId[id].label : id, parent, "node-link");
    a.href = "#";
    a.addEventListener("click", function (ev) { ev.preventDefault(); reveal(id); });
    return a;
  }
  /* Focus: the connections of the item ``id`` (a node, or a collapsed namespace: those of
     its members), one line per other item and direction; returns them by other item. */
  function focusEdges(id) {
    var layer = view.focusLayer, me = items[id], seen = {}, near = {};
    var members = me.type === "ns" ? me.members : [byId[id]], mine = {};
    layer.textContent = "";
    members.forEach(function (m) { mine[m.index] = true; });
    members.forEach(function (m) {
      edgesOf[m.index].forEach(function (i) {
        var out = mine[E.from[i]] === true, other = view.where[out ? E.to[i] : E.from[i]];
        if (!other || other === id || !items[other] || (out && mine[E.to[i]])) { return; }
        var key = (out ? ">" : "<") + other + (E.entry[i] ? "!" : "");
        (near[other] = near[other] || { in: 0, out: 0 })[out ? "out" : "in"] += 1;
        if (seen[key]) { seen[key].push(i); return; }
        var list = seen[key] = [i];
        var a = out ? me : items[other], b = out ? items[other] : me;
        drawEdge(layer, direct(a, b), (out ? "hl-out" : "hl-in") + (E.entry[i] ? " entry" : ""), false, function () { return connText(list, 12); });
      });
    });
    return near;
  }
  function focusOn(id, near) {
    state.focus = id;
    svg.classList.add("focus");
    Object.keys(items).forEach(function (k) {
      var x = items[k];
      if (!x.el) { return; }
      x.el.classList.toggle("selected", k === id);
      x.el.classList.toggle("near", !!near[k]);
    });
    panel.textContent = "";
  }
  function showPanel(id, near) {
    panel.hidden = false;
    var close = html("button", "\u00d7", null, "panel-close");
    close.type = "button";
    close.title = "close (Esc)";
    close.addEventListener("click", unselect);
    panel.insertBefore(close, panel.firstChild);
    document.body.setAttribute("data-selected", id);
    makeRoom([id].concat(Object.keys(near)));
  }
  function selectNs(it) { /* a collapsed namespace: its connections, by other item */
    var near = focusEdges(it.id);
    focusOn(it.id, near);
    html("h3", "namespace " + it.ns, panel);
    html("div", it.members.length + (g.by === "pod" ? " pods" : " workloads") + " (collapsed)", panel, "muted");
    var open = html("button", "Open the namespace", panel, "panel-open");
    open.type = "button";
    open.addEventListener("click", function () { expand(it.ns); });
    function list(title, key) {
      var rows = Object.keys(near).filter(function (k) { return near[k][key]; }).sort(function (a, b) { return near[b][key] - near[a][key]; });
      html("h4", title + " (" + rows.length + ")", panel);
      var ul = html("ul", null, panel);
      rows.forEach(function (k) {
        var li = html("li", null, ul);
        li.appendChild(document.createTextNode(labelOf(k) + ": " + near[k][key] + " connection" + (near[k][key] === 1 ? "" : "s")));
      });
    }
    list("Reached from", "in");
    list("It reaches", "out");
    html("h4", "Members", panel);
    var members = html("div", null, panel, "muted");
    it.members.slice(0, 200).forEach(function (m, i) {
      if (i) { members.appendChild(document.createTextNode(", ")); }
      link(m.id, members);
    });
    showPanel(it.id, near);
  }
  function select(id) {
    var n = byId[id], it = items[id];
    if (it && it.type === "ns") { selectNs(it); return; }
    if (!n || !it) { return; }
    var near = focusEdges(id);
    focusOn(id, near);
    html("h3", n.label, panel);
    html("div", n.kind + (n.group ? " in namespace " + n.group : "") + " \u2014 " + n.id, panel, "muted");
    if (n.entry.length) {
      html("h4", "Entry points", panel);
      var ul = html("ul", null, panel);
      n.entry.forEach(function (m) { html("li", m, ul); });
    }
    var mine = edgesOf[n.index].map(edge);
    var incoming = mine.filter(function (e) { return e.to === id && !e.entry; });
    var outgoing = mine.filter(function (e) { return e.from === id && !e.entry; });
    var h = html("h4", "Who can reach it (" + incoming.length + ")", panel);
    h.id = "reach-in";
    if (!incoming.length) { html("div", "nothing in the graph may connect to it", panel, "muted"); }
    var list = html("div", null, panel, "reasons");
    incoming.forEach(function (e) {
      var div = html("div", null, list);
      link(e.from, html("strong", null, div));
      div.appendChild(document.createTextNode(" (" + e.from + ")"));
      reasonList(e, div);
    });
    html("h4", "It can reach (" + outgoing.length + ")", panel);
    outgoing.forEach(function (e) {
      var div = html("div", null, panel);
      link(e.to, html("strong", null, div));
      reasonList(e, div);
    });
    var count = n.member_count || n.members.length;
    if (count > 1 || (count === 1 && n.members[0] !== n.id)) {
      html("h4", "Members (" + count + ")", panel);
      html("div", n.members.join(", ") + (count > n.members.length ? ", \u2026" : ""), panel, "muted");
    }
    showPanel(id, near);
  }
  /* The panel covers the canvas's right side: show the focused node and its neighbours left
     of it (zooming out if they need more room). */
  function makeRoom(ids) {
    var r = svg.getBoundingClientRect();
    if (!r.width) { return; }
    var k = vb.w / r.width, free = Math.max(120, r.width - panel.offsetWidth - 28) * k;
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    ids.forEach(function (i) {
      var it = items[i];
      if (!it) { return; }
      x0 = Math.min(x0, it.x - 12); y0 = Math.min(y0, it.y - 12);
      x1 = Math.max(x1, it.x + it.w + 12); y1 = Math.max(y1, it.y + it.h + 12);
    });
    if (x0 >= vb.x && x1 <= vb.x + free && y0 >= vb.y && y1 <= vb.y + vb.h) { return; }
    var z = Math.max(1, (x1 - x0) / free, (y1 - y0) / vb.h);
    vb = { w: vb.w * z, h: vb.h * z };
    free *= z;
    vb.x = x0 - (free - (x1 - x0)) / 2;
    vb.y = y0 - (vb.h - (y1 - y0)) / 2;
    setBox();
  }
  function unselect() {
    state.focus = null;
    view.focusLayer.textContent = "";
    svg.classList.remove("focus");
    Object.keys(items).forEach(function (k) { if (items[k].el) { items[k].el.classList.remove("selected", "near"); } });
    panel.textContent = "";
    panel.hidden = true;
    if (document.body.hasAttribute("data-selected")) { fitView(); }
    document.body.removeAttribute("data-selected");
  }
  function reveal(id) { /* select a node, expanding its namespace first */
    var n = byId[id];
    if (!n) { if (items[id]) { select(id); centerOn(items[id]); } return; }
    if (n.group !== null && state.collapsed[n.group]) { state.collapsed[n.group] = false; render(); }
    if (items[id]) { select(id); centerOn(items[id]); }
  }
  function expand(ns) { state.collapsed[ns] = false; render(); }

  /* ---- search and the toolbar ---- */
  var count = null;
  function highlight() {
    var found = 0;
    Object.keys(items).forEach(function (k) {
      var it = items[k], hit = false;
      if (!it.el) { return; }
      if (it.type === "node") { hit = matches(it.node); }
      else if (it.type === "ns") { hit = it.members.some(matches); }
      if (hit) { found += it.type === "ns" ? it.members.filter(matches).length : 1; }
      it.el.classList.toggle("match", hit);
    });
    svg.classList.toggle("searching", !!state.query);
    if (count) { count.textContent = state.query ? found + " match" + (found === 1 ? "" : "es") : g.nodes.length + " nodes, " + (E.n - entries) + " edges, " + entries + " entry points"; }
  }
  function firstMatch() {
    var n = g.nodes.filter(matches)[0];
    if (n) { reveal(n.id); }
  }
  function toolbar() {
    if (!tools) { return; }
    var search = html("input", null, tools, "graph-search");
    search.type = "search";
    search.placeholder = "search nodes and pods (Enter: select)";
    search.addEventListener("input", function () {
      state.query = search.value.trim().toLowerCase();
      if (state.only) { render(); } else { highlight(); }
    });
    search.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { ev.preventDefault(); firstMatch(); } });
    var label = html("label", null, tools);
    var only = html("input", null, label);
    only.type = "checkbox";
    label.appendChild(document.createTextNode(" only matches"));
    only.addEventListener("change", function () { state.only = only.checked; render(); });
    function button(text, fn) { var b = html("button", text, tools); b.type = "button"; b.addEventListener("click", fn); return b; }
    if (g.groups.length) {
      button("Expand all", function () { g.groups.forEach(function (ns) { state.collapsed[ns] = false; }); render(); });
      button("Collapse all", function () { g.groups.forEach(function (ns) { state.collapsed[ns] = true; }); render(); });
    }
    button("+", function () { zoom(1 / 1.25, vb.x + vb.w / 2, vb.y + vb.h / 2); }).title = "zoom in (ctrl+wheel)";
    button("\u2212", function () { zoom(1.25, vb.x + vb.w / 2, vb.y + vb.h / 2); }).title = "zoom out (ctrl+wheel)";
    button("Fit", function () { fitView(); });
    count = html("span", null, tools, "muted graph-count");
  }
  document.addEventListener("keydown", function (ev) { if (ev.key === "Escape" && state.focus) { unselect(); } });

  function render() {
    var focus = state.focus;
    t0 = performance.now();
    view = buildView();
    lap("view");
    layout(view);
    lap("layout");
    draw();
    fitView();
    lap("draw");
    highlight();
    if (focus && items[focus]) { select(focus); } else { unselect(); }
  }

  toolbar();
  render();
  if (window.ResizeObserver) { /* refit when the canvas changes width (a scrollbar, a resize) */
    var lastW = canvas.clientWidth;
    new ResizeObserver(function () {
      if (Math.abs(canvas.clientWidth - lastW) > 2) { lastW = canvas.clientWidth; fitView(); }
    }).observe(canvas);
  }
  var hash = decodeURIComponent(location.hash || "");
  if (hash.indexOf("#select=") === 0) { reveal(hash.slice(8)); }
  if (hash.indexOf("#search=") === 0 && tools) {
    var box = tools.querySelector("input.graph-search");
    box.value = hash.slice(8);
    box.dispatchEvent(new Event("input"));
  }
  window.podpathGraph = { data: g, edge: edge, edges: function () { var a = []; for (var i = 0; i < E.n; i++) { a.push(edge(i)); } return a; }, times: times, state: state, render: render, reveal: reveal, expand: expand };
})();
