// atlas: the teacher's worksheet. "Add to worksheet" buttons ([data-worksheet-add], data-item = a pair
// {kind: "pair", a, b} or a journey {kind: "journey", from, to, via}) keep items in this browser's
// localStorage, one list per site (key "atlas-worksheet:" + base URL); nothing leaves the browser. The
// worksheet page ([data-worksheet]) lists them with room for the teacher's questions, moves and removes
// them, prints them (one item per half page: journeys.css) and makes a share link that holds the whole
// list in its query (ids only, worksheet/?w=...; see shareQuery). Catalogue text goes in with textContent.
(function () {
  "use strict";
  var marker = document.querySelector("link[rel=icon]");
  var base = marker ? marker.getAttribute("href").replace(/assets\/favicon\.svg$/, "") : "/";
  var KEY = "atlas-worksheet:" + base; // base URL: from the favicon's link, which every page has

  function load() {
    try { var items = JSON.parse(localStorage.getItem(KEY) || "[]"); return Array.isArray(items) ? items : []; }
    catch (e) { return []; }
  }
  function save(items) { localStorage.setItem(KEY, JSON.stringify(items)); }
  function same(x, y) { return itemCode(x) === itemCode(y); }

  // One item as text: "p.<a>.<b>" or "j.<from>.<to>[.<field:group>...]", every id percent-encoded and its
  // dots too; items joined by "*". Both characters are left alone by encodeURIComponent, so the query needs
  // no further escaping and stays short.
  function enc(text) { return encodeURIComponent(text).replace(/\./g, "%2E").replace(/\*/g, "%2A"); }
  function itemCode(item) {
    if (item.kind === "pair") { return ["p", enc(item.a), enc(item.b)].join("."); }
    return ["j", enc(item.from), enc(item.to)].concat((item.via || []).map(enc)).join(".");
  }
  function parseCode(code) {
    var parts = code.split(".").map(function (p) { return decodeURIComponent(p); });
    if (parts[0] === "p" && parts.length === 3) { return { kind: "pair", a: parts[1], b: parts[2] }; }
    if (parts[0] === "j" && parts.length >= 3) { return { kind: "journey", from: parts[1], to: parts[2], via: parts.slice(3) }; }
    return null;
  }
  function shareQuery(items) { return "?w=" + items.map(itemCode).join("*"); }
  function fromQuery(text) {
    return text.split("*").filter(Boolean).map(function (c) { try { return parseCode(c); } catch (e) { return null; } })
      .filter(Boolean);
  }

  document.querySelectorAll("input[name=journey_from]").forEach(function (input) {
    if (!input.value) { input.value = new URL(window.location.href).searchParams.get("b") || ""; } // the pair viewer
  });
  document.querySelectorAll("[data-worksheet-add]").forEach(function (button) {
    var status = button.parentNode.querySelector("[data-worksheet-status]");
    if (button.hasAttribute("data-item-from-query")) { // the pair viewer: pair/?a=ID&b=ID
      var q = new URL(window.location.href).searchParams;
      if (q.get("a") && q.get("b")) { button.setAttribute("data-item", JSON.stringify({ kind: "pair", a: q.get("a"), b: q.get("b") })); }
    }
    if (button.hasAttribute("data-item")) { button.hidden = false; }
    button.addEventListener("click", function () {
      var item = JSON.parse(button.getAttribute("data-item"));
      var items = load();
      if (!items.some(function (x) { return same(x, item); })) { items.push(item); save(items); }
      if (status) { status.textContent = "On the worksheet (" + items.length + " items)."; }
    });
  });

  var root = document.querySelector("[data-worksheet]");
  if (!root) { return; }
  var list = root.querySelector("[data-slot=items]");
  var shareBox = root.querySelector("[data-slot=share]");
  var note = root.querySelector("[data-slot=status]");
  var shared = new URL(window.location.href).searchParams.get("w");
  var items = shared !== null ? fromQuery(shared) : load();
  var graph = window.atlasJourney ? new window.atlasJourney.Graph(root.getAttribute("data-graph")) : null;
  var work = window.atlasWorkData.reader(root.getAttribute("data-work-data"), root.getAttribute("data-names")); // id -> its JSON, or null
  function caption(w, id) {
    var fig = document.createElement("figure"), img = document.createElement("img"), cap = document.createElement("figcaption");
    if (!w) { cap.textContent = "Work " + id + " is not in this atlas."; fig.append(cap); return fig; }
    img.src = w.thumb;
    img.alt = w.title;
    var title = document.createElement("strong"), credit = document.createElement("span"), link = document.createElement("span");
    title.textContent = w.title;
    credit.textContent = " " + [w.artist, w.date, w.credit].filter(Boolean).join(", ");
    link.className = "worksheet-url";
    link.textContent = " " + new URL(w.url, window.location.href).href;
    cap.append(title, credit, document.createElement("br"), link);
    fig.append(img, cap);
    return fig;
  }
  function ids(item) {
    if (item.kind === "pair") { return Promise.resolve({ ids: [item.a, item.b], text: "" }); }
    if (!graph) { return Promise.resolve({ ids: [item.from, item.to], text: "" }); }
    return window.atlasJourney.journey(graph, item.from, item.to, item.via || []).then(function (r) {
      if (!r || r.error) { return { ids: [item.from, item.to], text: r ? r.error : "No chain joins these two works." }; }
      return { ids: r.path, text: "Similarity of each step: " + r.steps.map(function (s) { return s.toFixed(2); }).join(", ") };
    });
  }
  function itemUrl(item) {
    if (item.kind === "pair") { return base + "pair/?a=" + encodeURIComponent(item.a) + "&b=" + encodeURIComponent(item.b); }
    return base + "journey/?from=" + encodeURIComponent(item.from) + "&to=" + encodeURIComponent(item.to)
      + ((item.via || []).length ? "&via=" + encodeURIComponent(item.via.join(",")) : "");
  }
  function button(text, action) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.addEventListener("click", action);
    return b;
  }
  function move(i, by) {
    var j = i + by;
    if (j < 0 || j >= items.length) { return; }
    var t = items[i]; items[i] = items[j]; items[j] = t;
    commit();
  }
  function commit() { if (shared === null) { save(items); } render(); }
  function render() {
    list.textContent = "";
    note.textContent = items.length ? items.length + " items." : "The worksheet is empty: add pairs and journeys from their pages.";
    items.forEach(function (item, i) {
      var li = document.createElement("li"), head = document.createElement("h2"), works = document.createElement("div");
      var url = document.createElement("p"), ask = document.createElement("textarea"), extra = document.createElement("p");
      li.className = "worksheet-item";
      li.setAttribute("data-code", itemCode(item));
      head.textContent = (i + 1) + ". " + (item.kind === "pair" ? "A pairing" : "A journey");
      works.className = "works";
      url.className = "worksheet-url";
      url.textContent = new URL(itemUrl(item), window.location.href).href;
      ask.setAttribute("aria-label", "Your questions about item " + (i + 1));
      ask.placeholder = "Your questions";
      li.append(head, works, extra, url, ask, button("Move up", function () { move(i, -1); }),
        button("Move down", function () { move(i, 1); }),
        button("Remove", function () { items.splice(i, 1); commit(); }));
      list.append(li);
      ids(item).then(function (found) {
        extra.textContent = found.text;
        return Promise.all(found.ids.map(function (id) { return work(id).then(function (w) { return caption(w, id); }); }));
      }).then(function (figs) { figs.forEach(function (f) { works.append(f); }); li.setAttribute("data-ready", "1"); });
    });
    var link = new URL(base + "worksheet/" + shareQuery(items), window.location.href).href;
    shareBox.textContent = link;
    shareBox.setAttribute("data-length", String(link.length));
  }
  root.querySelector("[data-print]").addEventListener("click", function () { window.print(); });
  var keep = root.querySelector("[data-keep]");
  if (shared !== null) {
    keep.hidden = false;
    keep.addEventListener("click", function () { save(items); shared = null; keep.hidden = true; render(); });
  }
  render();
})();
