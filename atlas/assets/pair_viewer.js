// atlas: the pair viewer (pair/?a=ID&b=ID). Reads the two works' JSON (work_data.js; data-work-data is the URL
// pattern of a work's record, data-names names data/path_names.json, absent when the build needed none) and fills the same layout as a pre-rendered pair
// page. Text goes in with textContent only: catalogue data is untrusted.
(function () {
  "use strict";
  var root = document.querySelector("[data-pair-viewer]");
  if (!root) { return; }
  var k = parseInt(root.getAttribute("data-k"), 10) || 0;
  var data = window.atlasWorkData;
  var readWork = data.reader(root.getAttribute("data-work-data"), root.getAttribute("data-names"));
  var scaleUrl = root.getAttribute("data-scale");
  var scale = scaleUrl ? fetch(scaleUrl).then(function (r) { return r.ok ? r.json() : null; }, function () { return null; })
    : Promise.resolve(null);

  function rankText(rank) {
    if (rank === 1) { return "the closest"; }
    var teen = rank % 100 >= 10 && rank % 100 <= 20;
    var suffix = teen ? "th" : ({ 1: "st", 2: "nd", 3: "rd" }[rank % 10] || "th");
    return "the " + rank + suffix + " closest";
  }
  function slots(name) { return root.querySelectorAll('[data-slot="' + name + '"]'); }
  function setText(name, text) { slots(name).forEach(function (el) { el.textContent = text; }); }
  function show(message) {
    var box = slots("message")[0];
    box.textContent = message;
    box.hidden = false;
  }
  function fetchWork(id) {
    return readWork(id).then(function (w) {
      if (!w) { throw new Error("The work " + id + " is not in this atlas."); }
      return w;
    });
  }
  function fill(name, w) {
    slots(name + ".url").forEach(function (el) { el.href = w.url; });
    slots(name + ".image").forEach(function (img) {
      img.src = w.image;
      img.alt = [w.title, w.artist, w.date].filter(Boolean).join(", ");
      img.hidden = false;
    });
    setText(name + ".title", w.title);
    setText(name + ".byline", [w.artist || "Unknown artist", w.date].filter(Boolean).join(", "));
    setText(name + ".culture", w.culture_raw || w.culture || "Unknown");
    setText(name + ".medium", w.medium_raw || w.medium || "Unknown");
    setText(name + ".id", w.id);
    slots(name + ".credit").forEach(function (el) { el.textContent = w.credit || ""; el.hidden = !w.credit; });
  }
  // Each condition under which one work is among the other's listed analogies, as on a pair page.
  function conditions(a, b) {
    var out = [];
    [[a, b], [b, a]].forEach(function (qo) {
      var query = qo[0], other = qo[1];
      ["culture", "medium"].forEach(function (field) {
        var group = other[field], lists = (query.analogies || {})[field] || {};
        var list = group ? lists[group] : null;
        if (!list) { return; }
        for (var i = 0; i < list.length; i++) {
          if (list[i][0] === other.id) {
            var same = query[field] === group;
            var named = root.getAttribute("data-" + field + "-name") || field;  // as site.yaml names the field
            out.push({ kind: (same ? "Same " : "Cross-") + named,
                       group: group, rank: i + 1, score: list[i][1], query: query, other: other, field: field });
          }
        }
      });
    });
    return out;
  }
  // Where a score falls among all pairs (data/similarity-scale.json), as numpy's interp reads it in
  // atlas/analysis/similarity_scale.py: the levels 0, 0.1, ..., 100 at the table's scores.
  function percentile(table, score) {
    var scores = table.scores, n = scores.length, lo = 0, hi = n;
    var level = function (i) { return i === n - 1 ? 100 : i * (100 / (n - 1)); };
    while (lo < hi) { var mid = (lo + hi) >> 1; if (scores[mid] <= score) { lo = mid + 1; } else { hi = mid; } }
    var j = lo - 1;
    if (j < 0) { return 0; }
    if (j >= n - 1) { return 100; }
    if (score === scores[j]) { return level(j); }
    return (level(j + 1) - level(j)) / (scores[j + 1] - scores[j]) * (score - scores[j]) + level(j);
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text) { e.textContent = text; }
    return e;
  }
  // Why this match, as templates/why_match.html draws it: each family's share of the score when the pair is
  // among the listed analogies, the two heat maps when both works have one.
  function why(a, b, found) {
    var box = slots("why")[0], shares = null;
    box.textContent = "";
    found.slice().sort(function (x, y) { return (x.query === a ? 0 : 1) - (y.query === a ? 0 : 1); }).some(function (c) {
      shares = data.whyShares(c.query, c.field, c.group, c.rank - 1);
      return !!shares;
    });
    if (!shares && (data.hasParts(a) || data.hasParts(b))) {
      box.appendChild(el("p", "why-parts why-none", "No breakdown of the score exists for this pair: the atlas " +
        "works out what two works share only for each work's listed analogies, and neither is among the other's."));
    }
    data.whyBlocks(shares, a, b).forEach(function (block) { box.appendChild(block); });
    // a line break between blocks, as in the template, so the slot's text reads the same as the pre-rendered page's
    Array.prototype.slice.call(box.children, 1).forEach(function (child) { box.insertBefore(document.createTextNode("\n"), child); });
  }
  // The pre-rendered page of this pair, when there is one, is the page to index and share.
  function canonical(a, b) {
    var pages = a.pair_pages || {};
    if (!Object.prototype.hasOwnProperty.call(pages, b.id)) { return; }
    var url = pages[b.id];
    var link = document.querySelector('link[rel="canonical"]') || document.head.appendChild(document.createElement("link"));
    link.rel = "canonical";
    link.href = new URL(url, location.href).href;
  }
  function render(a, b) {
    fill("a", a);
    fill("b", b);
    var title = a.title + " and " + b.title;
    setText("title", title);
    document.title = title + " · " + document.title.split(" · ").slice(1).join(" · ");
    var found = conditions(a, b);
    var direct = found.filter(function (c) { return c.query === a; })[0];
    setText("similarity", direct ? "Visual similarity " + direct.score.toFixed(2) + " (cosine of the two image vectors; 1 would be identical)."
      : "Neither work is among the other's " + k + " closest in its culture or medium: this pair was chosen by hand, not by the network.");
    var scored = direct || found[0];
    scale.then(function (table) {
      if (!scored || !table || !table.scores || !table.scores.length) { return; }
      var box = slots("percentile")[0];
      box.textContent = "These two are closer than " + percentile(table, scored.score).toFixed(1) + "% of all pairs of works in this collection.";
      box.hidden = false;
    });
    why(a, b, found);
    canonical(a, b);
    var list = slots("conditions")[0];
    found.forEach(function (c) {
      var li = document.createElement("li"), strong = document.createElement("strong"), a2 = document.createElement("a");
      strong.textContent = c.kind;
      li.appendChild(strong);
      li.appendChild(document.createTextNode(": among " + c.group + " works, " + c.other.title + " is " +
        rankText(c.rank) + " to " + c.query.title + ". "));
      a2.className = "pair-explore";
      a2.href = c.query.url + "#" + c.field + "-" + data.slug(c.group);
      a2.textContent = "See all " + c.group + " analogies of " + c.query.title;
      li.appendChild(a2);
      list.appendChild(li);
    });
    slots("body")[0].hidden = false;
    document.querySelectorAll("[data-page-url]").forEach(function (el) { el.textContent = location.href; });
  }
  var params = new URLSearchParams(location.search);
  var ida = params.get("a"), idb = params.get("b");
  if (!ida || !idb) {
    show("This page shows two works side by side. Open it from a work's page (\"Side by side\"), or give two work identifiers: pair/?a=ID&b=ID.");
    return;
  }
  Promise.all([fetchWork(ida), fetchWork(idb)]).then(function (works) { render(works[0], works[1]); },
    function (err) { show(err.message + " It may have left the collection or changed its identifier."); });
})();
