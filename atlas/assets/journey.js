// atlas: journeys between works (journey/?from=ID&to=ID&via=field:group,...). Walks the compact graph the
// build writes under data/journey/ (atlas/site/journeys.py) by the rule of atlas/analysis/journey_graph.py,
// step for step: the largest weakest-step similarity B (binary search over every finite float16 value),
// then the breadth-first search at B over (work, via stage) states, frontier in discovery order, each
// work's edges in stored order (highest score first), the first discovery of a state naming its parent.
// Only the shards of the works a search walks are fetched, and each once: a journey computed later on the
// same page reuses them (offline too). Catalogue text goes in with textContent only: it is untrusted.
(function () {
  "use strict";

  var F16 = null; // every finite float16 value, ascending
  var HALF = null; // float16 bits -> value, made once: shards decode by lookup

  function half(bits) {
    var sign = bits & 0x8000 ? -1 : 1, exp = (bits >> 10) & 0x1f, frac = bits & 0x3ff;
    if (exp === 0) { return sign * frac * Math.pow(2, -24); }
    if (exp === 31) { return frac ? NaN : sign * Infinity; }
    return sign * (1 + frac / 1024) * Math.pow(2, exp - 15);
  }
  function halfTable() {
    if (!HALF) { HALF = new Float64Array(65536); for (var b = 0; b < 65536; b++) { HALF[b] = half(b); } }
    return HALF;
  }
  function float16Values() {
    if (F16) { return F16; }
    var all = [], table = halfTable();
    for (var b = 0; b < 65536; b++) { if (isFinite(table[b])) { all.push(table[b]); } }
    all.sort(function (x, y) { return x - y; });
    F16 = all.filter(function (v, i) { return i === 0 || v !== all[i - 1]; });
    return F16;
  }
  // Python orders strings by code point; JS compares UTF-16 units: the same except beyond U+FFFF.
  function compareIds(a, b) {
    var x = Array.from(a), y = Array.from(b);
    for (var i = 0; i < Math.min(x.length, y.length); i++) {
      var d = x[i].codePointAt(0) - y[i].codePointAt(0);
      if (d) { return d; }
    }
    return x.length - y.length;
  }

  function Graph(url) {
    this.url = url;
    this.manifest = null;
    this.shards = new Map(); // number -> promise of {first, offsets, targets, scores}
    this.loaded = new Map(); // number -> the same, once fetched (the search itself is synchronous)
    this.metas = new Map(); // number -> promise of [[id, title, byline, segment], ...]
    this.groups = null;
  }
  Graph.prototype.json = function (name) {
    return fetch(this.url + name).then(function (r) {
      if (!r.ok) { throw new Error("The journey graph could not be loaded (" + name + ")."); }
      return r.json();
    });
  };
  Graph.prototype.open = function () {
    var self = this;
    if (!this.ready) { this.ready = this.json("manifest.json").then(function (m) { self.manifest = m; return m; }); }
    return this.ready;
  };
  Graph.prototype.shard = function (n) {
    var self = this;
    if (!this.shards.has(n)) {
      this.shards.set(n, fetch(this.url + n + ".bin").then(function (r) {
        if (!r.ok) { throw new Error("A shard of the journey graph could not be loaded."); }
        return r.arrayBuffer();
      }).then(function (buf) {
        var head = new Uint32Array(buf, 0, 2), count = head[0], edges = head[1];
        var offsets = new Uint32Array(buf, 8, count + 1);
        var targets = new Int32Array(buf, 8 + 4 * (count + 1), edges);
        var bits = new Uint16Array(buf, 8 + 4 * (count + 1) + 4 * edges, edges);
        var inBits = new Uint16Array(buf, 8 + 4 * (count + 1) + 6 * edges, count);
        var scores = new Float64Array(edges), bestIn = new Float64Array(count), table = halfTable();
        for (var i = 0; i < edges; i++) { scores[i] = table[bits[i]]; }
        for (var j = 0; j < count; j++) { bestIn[j] = table[inBits[j]]; }
        var shard = { first: n * self.manifest.shard_size, offsets: offsets, targets: targets, scores: scores, bestIn: bestIn };
        self.loaded.set(n, shard);
        return shard;
      }));
    }
    return this.shards.get(n);
  };
  Graph.prototype.meta = function (n) {
    if (!this.metas.has(n)) { this.metas.set(n, this.json(n + ".json").then(function (m) { return m.works; })); }
    return this.metas.get(n);
  };
  Graph.prototype.loadGroups = function () {
    var self = this;
    if (!this.groups) {
      this.groups = fetch(this.url + "groups.bin").then(function (r) {
        if (!r.ok) { throw new Error("The journey graph's groups could not be loaded."); }
        return r.arrayBuffer();
      }).then(function (buf) { return new Uint16Array(buf); });
    }
    return this.groups;
  };
  Graph.prototype.indexOf = function (id) {
    var self = this, firsts = this.manifest.first_ids, lo = 0, hi = firsts.length - 1;
    if (hi < 0 || compareIds(id, firsts[0]) < 0) { return Promise.resolve(-1); }
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (compareIds(firsts[mid], id) <= 0) { lo = mid; } else { hi = mid - 1; }
    }
    return this.meta(lo).then(function (works) {
      for (var i = 0; i < works.length; i++) { if (works[i][0] === id) { return lo * self.manifest.shard_size + i; } }
      return -1;
    });
  };
  Graph.prototype.work = function (index) {
    var size = this.manifest.shard_size;
    return this.meta(Math.floor(index / size)).then(function (works) { return works[index % size]; });
  };
  Graph.prototype.ensure = function (nodes) {
    var need = new Set(), size = this.manifest.shard_size, self = this;
    nodes.forEach(function (node) { var n = Math.floor(node / size); if (!self.loaded.has(n)) { need.add(n); } });
    return Promise.all(Array.from(need, function (n) { return self.shard(n); }));
  };

  // via: [{field index, group number}]; groups: Uint16Array (fields in manifest order) or null.
  function advance(graph, via, groups, stage, node) {
    if (stage < via.length && groups[via[stage].field * graph.manifest.count + node] === via[stage].group) {
      return stage + 1;
    }
    return stage;
  }

  async function search(graph, start, end, via, groups, threshold) {
    var width = via.length + 1, size = graph.manifest.shard_size, maxWorks = graph.manifest.max_works;
    var first = start * width + advance(graph, via, groups, 0, start), goal = end * width + via.length;
    if (first === goal) { return [start]; }
    var parent = new Map([[first, -1]]);
    var frontier = [first];
    for (var step = 0; step < maxWorks - 1; step++) {
      await graph.ensure(frontier.map(function (s) { return Math.floor(s / width); }));
      var next = [];
      for (var f = 0; f < frontier.length; f++) {
        var state = frontier[f], node = Math.floor(state / width), stage = state % width;
        var shard = graph.loaded.get(Math.floor(node / size)), local = node - shard.first;
        for (var e = shard.offsets[local]; e < shard.offsets[local + 1]; e++) {
          if (shard.scores[e] < threshold) { break; } // edges are stored highest score first
          var other = shard.targets[e], nxt = other * width + advance(graph, via, groups, stage, other);
          if (parent.has(nxt)) { continue; }
          parent.set(nxt, state);
          if (nxt === goal) { return unwind(parent, goal, width); }
          next.push(nxt);
        }
      }
      if (!next.length) { return null; }
      frontier = next;
    }
    return null;
  }
  function unwind(parent, state, width) {
    var path = [];
    while (state !== -1) { path.push(Math.floor(state / width)); state = parent.get(state); }
    return path.reverse();
  }

  // B from the top down, as find_journey() in journey_graph.py: thresholds above the lesser of the start's
  // best edge and the end's best incoming edge fail;
  // below it, 1, 2, 4, ... values down until one succeeds, then halving; a success at t finds a chain whose
  // weakest step w >= t, and w becomes the lower end. High thresholds walk few works, so few shards load.
  async function findJourney(graph, start, end, via, groups) {
    var values = float16Values();
    var top = await search(graph, start, end, via, groups, values[values.length - 1]);
    if (top && top.length === 1) { return { path: top, steps: [] }; }
    await graph.ensure([start, end]);
    var size = graph.manifest.shard_size, shard = graph.loaded.get(Math.floor(start / size)), local = start - shard.first;
    var into = graph.loaded.get(Math.floor(end / size)).bestIn[end % size]; // NaN: no edge leads to the end
    if (shard.offsets[local] === shard.offsets[local + 1] || isNaN(into)) { return null; }
    var bound = Math.min(shard.scores[shard.offsets[local]], into);
    var hi = upperIndex(values, bound), lo = -1, gap = 1, path;
    while (lo < 0) {
      var at = Math.max(hi - gap, 0);
      path = await search(graph, start, end, via, groups, values[at]);
      if (path) { lo = weakestIndex(graph, path, values); } else if (at === 0) { return null; } else { hi = at; gap *= 2; }
    }
    while (hi - lo > 1) {
      var mid = (lo + hi) >> 1;
      path = await search(graph, start, end, via, groups, values[mid]);
      if (path) { lo = weakestIndex(graph, path, values); } else { hi = mid; }
    }
    path = await search(graph, start, end, via, groups, values[lo]);
    var steps = [];
    for (var i = 0; i + 1 < path.length; i++) { steps.push(edgeScore(graph, path[i], path[i + 1])); }
    return { path: path, steps: steps };
  }
  function upperIndex(values, v) { // the first index whose value is > v (numpy searchsorted side="right")
    var lo = 0, hi = values.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (values[mid] <= v) { lo = mid + 1; } else { hi = mid; } }
    return lo;
  }
  function weakestIndex(graph, path, values) { // the index of the chain's weakest step (searchsorted side="left")
    var w = Infinity;
    for (var i = 0; i + 1 < path.length; i++) { w = Math.min(w, edgeScore(graph, path[i], path[i + 1])); }
    var lo = 0, hi = values.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (values[mid] < w) { lo = mid + 1; } else { hi = mid; } }
    return lo;
  }
  function edgeScore(graph, a, b) {
    var size = graph.manifest.shard_size, shard = graph.loaded.get(Math.floor(a / size)), local = a - shard.first;
    for (var e = shard.offsets[local]; e < shard.offsets[local + 1]; e++) {
      if (shard.targets[e] === b) { return shard.scores[e]; }
    }
    return NaN;
  }

  // ids in, ids out: {path: [id, ...], steps: [similarity, ...]} | {error: text} | null (no chain).
  async function journey(graph, fromId, toId, viaText) {
    var m = await graph.open();
    var ends = await Promise.all([graph.indexOf(fromId), graph.indexOf(toId)]);
    if (ends[0] < 0) { return { error: "The work " + fromId + " is not in this atlas." }; }
    if (ends[1] < 0) { return { error: "The work " + toId + " is not in this atlas." }; }
    var via = [], groups = null;
    for (var i = 0; i < viaText.length; i++) {
      var cut = viaText[i].indexOf(":"), field = viaText[i].slice(0, cut), group = viaText[i].slice(cut + 1);
      var f = m.fields.indexOf(field), g = f < 0 ? -1 : m.groups[field].indexOf(group);
      if (cut < 0 || g < 0) { return { error: "No group " + viaText[i] + " in this atlas (via is field:group)." }; }
      via.push({ field: f, group: g });
    }
    if (via.length) { groups = await graph.loadGroups(); }
    var found = await findJourney(graph, ends[0], ends[1], via, groups);
    if (!found) { return null; }
    var works = await Promise.all(found.path.map(function (i) { return graph.work(i); }));
    return { path: works.map(function (w) { return w[0]; }), works: works, steps: found.steps };
  }

  window.atlasJourney = { Graph: Graph, journey: journey };

  var root = document.querySelector("[data-journey]");
  if (!root) { return; }
  var base = root.getAttribute("data-base") || "/";
  var graph = new Graph(root.getAttribute("data-graph"));
  var form = root.querySelector("[data-journey-form]");
  var status = root.querySelector("[data-slot=status]");
  var list = root.querySelector("[data-slot=steps]");
  var add = root.querySelector("[data-worksheet-add]");

  function params() {
    var q = new URL(window.location.href).searchParams;
    var via = (q.get("via") || "").split(",").filter(Boolean);
    return { from: q.get("from") || "", to: q.get("to") || "", via: via };
  }
  function workLink(w, thumbSize) {
    var a = document.createElement("a"), img = document.createElement("img"), title = document.createElement("span");
    a.className = "card";
    a.href = base + "work/" + w[3] + "/";
    img.src = base + "thumbs/" + thumbSize + "/" + w[3] + ".jpg";
    img.alt = w[1] + ", " + w[2];
    img.loading = "lazy";
    title.className = "card-title";
    title.textContent = w[1];
    a.append(img, title);
    return a;
  }
  function show(result, p) {
    list.textContent = "";
    if (add) { add.hidden = true; }
    if (result && result.error) { status.textContent = result.error; return; }
    if (!result) {
      status.textContent = "No chain of at most " + graph.manifest.max_works + " works leads from " + p.from + " to " + p.to
        + (p.via.length ? " by way of " + p.via.join(", ") : "") + ": each step follows a work's own closest analogies, and none reach it.";
      return;
    }
    var weakest = result.steps.length ? Math.min.apply(null, result.steps) : 1;
    status.textContent = result.path.length + " works, " + result.steps.length + " steps; the weakest step has similarity "
      + weakest.toFixed(3) + ".";
    for (var i = 0; i + 1 < result.works.length; i++) {
      var li = document.createElement("li"), note = document.createElement("a");
      li.className = "journey-step";
      li.setAttribute("data-a", result.path[i]);
      li.setAttribute("data-b", result.path[i + 1]);
      li.setAttribute("data-similarity", String(result.steps[i]));
      li.append(workLink(result.works[i], graph.manifest.thumb_size), workLink(result.works[i + 1], graph.manifest.thumb_size));
      note.className = "journey-similarity";
      note.href = base + "pair/?a=" + encodeURIComponent(result.path[i]) + "&b=" + encodeURIComponent(result.path[i + 1]);
      note.textContent = "similarity " + result.steps[i].toFixed(3) + " · side by side";
      li.append(note);
      list.append(li);
    }
    if (add) {
      add.hidden = false;
      add.setAttribute("data-item", JSON.stringify({ kind: "journey", from: p.from, to: p.to, via: p.via }));
    }
  }
  function run() {
    var p = params();
    form.elements.from.value = p.from;
    form.elements.to.value = p.to;
    form.elements.via.value = p.via.join(",");
    if (!p.from || !p.to) { status.textContent = "Choose two works (their identifiers) to find the smoothest chain between them."; return; }
    status.textContent = "Finding the smoothest chain…";
    root.setAttribute("aria-busy", "true");
    journey(graph, p.from, p.to, p.via).then(function (r) { show(r, p); }, function (err) { show({ error: err.message }, p); })
      .then(function () { root.setAttribute("aria-busy", "false"); root.setAttribute("data-done", String(Date.now())); });
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var url = new URL(window.location.href);
    ["from", "to", "via"].forEach(function (name) {
      var value = form.elements[name].value.trim();
      if (value) { url.searchParams.set(name, value); } else { url.searchParams.delete(name); }
    });
    history.pushState(null, "", url);
    run();
  });
  window.addEventListener("popstate", run);
  run();
})();
