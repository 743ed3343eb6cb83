/* podpath graph: draws the laid-out graph as SVG and explains a node on click.
   No network access, no dependencies. Test hook: open the page with #select=<node id>
   and the node is clicked once the graph is drawn; body[data-ready] is set when done. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var dataEl = document.getElementById("podpath-graph-data");
  if (!dataEl) { return; }
  var g = JSON.parse(dataEl.textContent);
  var canvas = document.getElementById("graph-canvas");
  var panel = document.getElementById("graph-panel");
  var byId = {};
  g.nodes.forEach(function (n) { byId[n.id] = n; });

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

  var svg = el("svg", { width: g.width, height: g.height, viewBox: "0 0 " + g.width + " " + g.height, role: "img" });
  svg.setAttribute("aria-label", "allowed connectivity graph");
  var defs = el("defs", {}, svg);
  [["arrow", "#9fb3c8"], ["arrow-in", "#16a34a"], ["arrow-out", "#2563eb"], ["arrow-entry", "#d97706"]].forEach(function (m) {
    var mk = el("marker", { id: m[0], viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
    el("path", { d: "M0,0 L10,5 L0,10 z", fill: m[1] }, mk);
  });
  g.groups.forEach(function (gr) {
    var ge = el("g", { "class": "group" }, svg);
    el("rect", { x: gr.x, y: gr.y, width: gr.w, height: gr.h }, ge);
    el("text", { x: gr.x + 8, y: gr.y + 16 }, ge).textContent = "namespace " + gr.name;
  });
  var edgeLayer = el("g", { "class": "edges" }, svg);
  var edgeEls = [];
  function path(a, b) {
    var x1 = a.x + a.w, y1 = a.y + a.h / 2, x2 = b.x, y2 = b.y + b.h / 2;
    if (b.x + b.w / 2 < a.x + a.w / 2) { x1 = a.x; x2 = b.x + b.w; }
    else if (Math.abs(a.x - b.x) < 1) { x1 = a.x + a.w; x2 = b.x + b.w; }
    var dx = Math.max(40, Math.abs(x2 - x1) / 2);
    var c1 = x1 + (x1 <= a.x ? -dx : dx), c2 = x2 + (x2 >= b.x + b.w ? dx : -dx);
    return { d: "M" + x1 + "," + y1 + " C" + c1 + "," + y1 + " " + c2 + "," + y2 + " " + x2 + "," + y2,
             mx: (x1 + x2) / 2, my: (y1 + y2) / 2 };
  }
  var showLabels = g.edges.length <= 150;
  g.edges.forEach(function (e) {
    var a = byId[e.from], b = byId[e.to];
    if (!a || !b) { return; }
    var p = path(a, b);
    var pe = el("path", { d: p.d, "class": "edge" + (e.entry ? " entry" : ""), "marker-end": e.entry ? "url(#arrow-entry)" : "url(#arrow)" }, edgeLayer);
    var t = el("title", {}, pe);
    t.textContent = a.label + " -> " + b.label + ": " + e.ports.join(", ");
    edgeEls.push({ e: e, el: pe });
    if (showLabels) {
      el("text", { x: p.mx, y: p.my - 3, "class": "elabel", "text-anchor": "middle" }, edgeLayer).textContent = e.ports.join(", ");
    }
  });
  var nodeEls = {};
  g.nodes.forEach(function (n) {
    var cls = "node " + n.kind + (n.entry.length ? " entry" : "");
    var ne = el("g", { "class": cls, "data-id": n.id, tabindex: 0 }, svg);
    el("rect", { x: n.x, y: n.y, width: n.w, height: n.h }, ne);
    var label = n.label.length > 28 ? n.label.slice(0, 27) + "\u2026" : n.label;
    el("text", { x: n.x + n.w / 2, y: n.y + n.h / 2 + 4, "text-anchor": "middle" }, ne).textContent = label;
    el("title", {}, ne).textContent = n.id;
    ne.addEventListener("click", function () { select(n.id); });
    ne.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { select(n.id); } });
    nodeEls[n.id] = ne;
  });
  canvas.appendChild(svg);

  function reasonList(e, parent) {
    var ul = html("ul", null, parent);
    e.ports.forEach(function (port) {
      var li = html("li", null, ul);
      html("code", port, li);
      var why = (e.reasons && e.reasons[port]) || [];
      li.appendChild(document.createTextNode(why.length ? " because " + why.join(", ") : " (no policy selects these pods: allowed by default)"));
    });
  }

  function select(id) {
    var n = byId[id];
    if (!n) { return; }
    Object.keys(nodeEls).forEach(function (k) { nodeEls[k].classList.toggle("selected", k === id); });
    svg.classList.add("dim");
    edgeEls.forEach(function (x) {
      x.el.classList.toggle("hl-in", x.e.to === id);
      x.el.classList.toggle("hl-out", x.e.from === id);
    });
    panel.textContent = "";
    html("h3", n.label, panel);
    html("div", n.kind + (n.group ? " in namespace " + n.group : "") + " \u2014 " + n.id, panel, "muted");
    if (n.entry.length) {
      html("h4", "Entry points", panel);
      var ul = html("ul", null, panel);
      n.entry.forEach(function (m) { html("li", m, ul); });
    }
    var incoming = g.edges.filter(function (e) { return e.to === id && !e.entry; });
    var outgoing = g.edges.filter(function (e) { return e.from === id && !e.entry; });
    var h = html("h4", "Who can reach it (" + incoming.length + ")", panel);
    h.id = "reach-in";
    if (!incoming.length) { html("div", "nothing in the graph may connect to it", panel, "muted"); }
    var list = html("div", null, panel);
    list.className = "reasons";
    incoming.forEach(function (e) {
      var div = html("div", null, list);
      html("strong", byId[e.from] ? byId[e.from].label : e.from, div);
      div.appendChild(document.createTextNode(" (" + e.from + ")"));
      reasonList(e, div);
    });
    html("h4", "It can reach (" + outgoing.length + ")", panel);
    outgoing.forEach(function (e) {
      var div = html("div", null, panel);
      html("strong", byId[e.to] ? byId[e.to].label : e.to, div);
      reasonList(e, div);
    });
    if (n.members.length > 1 || (n.members.length === 1 && n.members[0] !== n.id)) {
      html("h4", "Members (" + n.members.length + ")", panel);
      html("div", n.members.slice(0, 200).join(", ") + (n.members.length > 200 ? ", \u2026" : ""), panel, "muted");
    }
    document.body.setAttribute("data-selected", id);
  }

  var hash = decodeURIComponent(location.hash || "");
  if (hash.indexOf("#select=") === 0) {
    var target = nodeEls[hash.slice(8)];
    if (target) { target.dispatchEvent(new MouseEvent("click", { bubbles: true })); }
  }
  document.body.setAttribute("data-ready", "1");
})();
