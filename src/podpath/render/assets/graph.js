/* podpath graph: draws the connectivity graph as SVG (graph_layout.js lays it out with
   dagre) and makes it explorable. No network access.
   - Namespaces are boxes, inside a box its workloads left to right. A box collapses to one
     node (start collapsed on big inputs: namespace level); a click on that node shows the
     namespace's connections, a double-click opens it. Many namespaces: a grid.
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
  var L = podpathLayout, NODE_H = L.NODE_H, NS_H = L.NS_H;
  var lines = L.lines, sized = L.sized, basis = L.basis, direct = L.direct;

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
    items = L.layout(view, canvasRoom());
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
