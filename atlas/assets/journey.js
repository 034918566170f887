// atlas: journeys between works (journey/?from=ID&to=ID&via=field:group,...). Walks the compact graph the
// build writes under data/journey/ (atlas/site/journeys.py) by the rule of atlas/analysis/journey_graph.py:
// the largest weakest-step similarity B (found here by a best-first search, there by thresholds: the same
// value), then the breadth-first search at B over (work, via stage) states, frontier in discovery order,
// each work's edges in stored order (highest score first), the first discovery of a state naming its
// parent. Only the shards of the works a search walks are fetched, each once, and as soon as the walk
// reaches one of their works, so fetching overlaps searching: a journey computed later on the same page
// reuses them (offline too). Catalogue text goes in with textContent only: it is untrusted.
(function () {
  "use strict";

  var F16 = null; // every finite float16 value, ascending: a score's "rank" is its index here
  var RANK = null; // float16 bits -> rank (-1: not finite), made once: shards decode by lookup

  // The finite float16 values in order, without sorting: negatives from the largest magnitude (bits
  // 0xFBFF) to the smallest (0x8001), zero (0x0000 and 0x8000), then positives 0x0001 to 0x7BFF.
  function tables() {
    if (F16) { return; }
    var POW2 = new Float64Array(32);
    for (var e = 0; e < 32; e++) { POW2[e] = Math.pow(2, e - 25); }
    var zero = 0x7bff; // the rank of 0: there are 0x7BFF negative finite values
    F16 = new Float64Array(2 * zero + 1);
    RANK = new Int32Array(65536).fill(-1);
    for (var m = 0; m <= zero; m++) {
      var exp = m >> 10, frac = m & 0x3ff; // the value of the float16 bits m
      var v = exp ? (1024 + frac) * POW2[exp] : frac * POW2[1]; // POW2[e] = 2^(e - 25)
      RANK[m] = zero + m;
      RANK[0x8000 | m] = zero - m;
      F16[zero + m] = v;
      F16[zero - m] = -v;
    }
  }
  // A shard as journey_graph.shard_bytes writes it: four uint32 (works, edges, bytes of the degrees, bytes
  // of the targets), each work's best incoming score (float16), then varints (7 bits a byte, low first):
  // each work's number of edges, each edge's target as a zigzag delta from its work, each edge's score
  // rank (a work's first edge as it is, the others as the drop from the one before).
  function readShard(buf, first) {
    tables();
    var head = new Uint32Array(buf, 0, 4), count = head[0], edges = head[1];
    var inBits = new Uint16Array(buf, 16, count), bytes = new Uint8Array(buf), j, e;
    var degrees = new Uint32Array(count), zigzag = new Uint32Array(edges), drops = new Uint32Array(edges);
    var at = readVarints(bytes, readVarints(bytes, readVarints(bytes, 16 + 2 * count, degrees), zigzag), drops);
    if (at !== bytes.length) { throw new Error("A shard of the journey graph is damaged."); }
    var offsets = new Uint32Array(count + 1), targets = new Int32Array(edges), ranks = new Uint16Array(edges);
    var inRank = new Int32Array(count);
    for (j = 0; j < count; j++) {
      var lo = offsets[j], hi = lo + degrees[j], source = first + j, rank = drops[lo];
      inRank[j] = RANK[inBits[j]];
      offsets[j + 1] = hi;
      for (e = lo; e < hi; e++) {
        var z = zigzag[e]; // zigzag: 0, -1, 1, -2, ... as 0, 1, 2, 3, ...
        targets[e] = source + ((z >>> 1) ^ -(z & 1));
        if (e > lo) { rank -= drops[e]; }
        ranks[e] = rank;
      }
    }
    return { first: first, offsets: offsets, targets: targets, ranks: ranks, inRank: inRank };
  }
  // Fills `out` with the varints from bytes[at]; returns where they end. One and two bytes (most of a
  // shard's numbers) take the short way.
  function readVarints(bytes, at, out) {
    for (var i = 0, n = out.length; i < n; i++) {
      var b = bytes[at++];
      if (b < 128) { out[i] = b; continue; }
      var c = bytes[at++];
      if (c < 128) { out[i] = (b & 127) | (c << 7); continue; }
      var v = (b & 127) + (c & 127) * 128, scale = 16384;
      do { b = bytes[at++]; v += (b & 127) * scale; scale *= 128; } while (b >= 128);
      out[i] = v;
    }
    return at;
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
    this.shards = new Map(); // number -> promise of {first, offsets, targets, ranks, inRank}
    this.loaded = []; // number -> the same, once fetched (the searches read it synchronously)
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
  // Scores are kept as ranks (uint16, higher = more similar): thresholds compare integers, and the best-first
  // search below files its labels in one bucket per rank.
  Graph.prototype.shard = function (n) {
    var self = this;
    if (!this.shards.has(n)) {
      this.shards.set(n, fetch(this.url + n + ".bin").then(function (r) {
        if (!r.ok) { throw new Error("A shard of the journey graph could not be loaded."); }
        return r.arrayBuffer();
      }).catch(function (err) {
        self.shards.delete(n); // asked again later (back online), it is fetched again
        throw err;
      }).then(function (buf) {
        var shard = readShard(buf, n * self.manifest.shard_size);
        self.loaded[n] = shard;
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
    if (!this.groups) {
      this.groups = fetch(this.url + "groups.bin").then(function (r) {
        if (!r.ok) { throw new Error("The journey graph's groups could not be loaded."); }
        return r.arrayBuffer();
      }).then(function (buf) { return new Uint16Array(buf); });
    }
    return this.groups;
  };
  Graph.prototype.metaSize = function () { // works per <m>.json (a graph written before meta_size: shard_size)
    return this.manifest.meta_size || this.manifest.shard_size;
  };
  Graph.prototype.indexOf = function (id) {
    var self = this, firsts = this.manifest.first_ids, lo = 0, hi = firsts.length - 1, size = this.metaSize();
    if (hi < 0 || compareIds(id, firsts[0]) < 0) { return Promise.resolve(-1); }
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (compareIds(firsts[mid], id) <= 0) { lo = mid; } else { hi = mid - 1; }
    }
    // the edges of the works of piece lo, fetched with their titles
    this.prefetch(lo * size);
    this.prefetch(Math.min((lo + 1) * size, this.manifest.count) - 1);
    return this.meta(lo).then(function (works) {
      for (var i = 0; i < works.length; i++) { if (works[i][0] === id) { return lo * size + i; } }
      return -1;
    });
  };
  Graph.prototype.work = function (index) {
    var size = this.metaSize();
    return this.meta(Math.floor(index / size)).then(function (works) { return works[index % size]; });
  };
  Graph.prototype.ensure = function (nodes) {
    var need = new Set(), size = this.manifest.shard_size, self = this;
    nodes.forEach(function (node) { var n = Math.floor(node / size); if (!self.loaded[n]) { need.add(n); } });
    return Promise.all(Array.from(need, function (n) { return self.shard(n); }));
  };
  Graph.prototype.prefetch = function (node) { // start fetching the shard of `node`; a failure shows when it is needed
    var n = Math.floor(node / this.manifest.shard_size);
    if (!this.shards.has(n)) { this.shard(n).catch(function () {}); }
  };
  Graph.prototype.at = function (node) { // the loaded shard holding `node` (undefined: not fetched yet)
    return this.loaded[Math.floor(node / this.manifest.shard_size)];
  };

  // One journey's question: start and end indices, via [{field index, group number}], the works' groups.
  function Query(graph, start, end, via, groups) {
    this.graph = graph; this.start = start; this.end = end; this.via = via; this.groups = groups;
    this.width = via.length + 1;
    this.count = graph.manifest.count;
    this.maxSteps = graph.manifest.max_works - 1;
    this.offset = Int32Array.from(via, function (v) { return v.field * graph.manifest.count; }); // in groups
    this.group = Int32Array.from(via, function (v) { return v.group; });
    this.first = start * this.width + this.advance(0, start);
    this.goal = end * this.width + via.length;
    this.toGoal = null; // set by reach()
  }
  Query.prototype.advance = function (stage, node) { // one more where the node is in the next wanted group
    return stage < this.via.length && this.groups[this.offset[stage] + node] === this.group[stage] ? stage + 1 : stage;
  };
  // The state entered along an edge to `other`, or -1 where the rule forbids it: the start is never entered
  // again, and the end only as the last work (every via group met).
  Query.prototype.enter = function (stage, other) {
    if (other === this.start) { return -1; }
    var next = other * this.width + this.advance(stage, other);
    return other === this.end && next !== this.goal ? -1 : next;
  };

  // B, the rank of the best weakest step of any chain (journey_graph.find_journey finds the same value by
  // thresholds): a best-first search over labels (state, steps), taken in falling order of their weakest
  // step so far and, within one rank, in rising order of steps (one bucket per rank and step count), so
  // the first label of the goal taken holds B. A label is dropped when its state was already taken with
  // no more steps (that one's weakest step is no lower). It walks only the states reachable through steps
  // >= B (labels below `floor`, the weakest step of a chain already found, are not kept: B >= floor); the
  // shard of a work is fetched when a label that will be taken at the current rank reaches it, so
  // the fetches of one rank overlap instead of waiting one after another.
  async function bestRank(q, floor) {
    var g = q.graph, size = g.manifest.shard_size, width = q.width, goal = q.goal, start = q.start, end = q.end;
    var plain = q.via.length === 0, steps1 = q.maxSteps + 1, minSteps = new Uint8Array(q.count * width).fill(255);
    var toGoal = q.toGoal;
    var head = new Int32Array((F16.length + 1) * steps1).fill(-1), cap = 4096, used = 0;
    var lState = new Int32Array(cap), lNext = new Int32Array(cap);
    function push(bucket, state) {
      if (used === cap) {
        cap *= 2;
        var s = new Int32Array(cap), n = new Int32Array(cap);
        s.set(lState); n.set(lNext); lState = s; lNext = n;
      }
      lState[used] = state; lNext[used] = head[bucket]; head[bucket] = used++;
    }
    push(F16.length * steps1, q.first);
    for (var rank = F16.length; rank >= floor; rank--) {
      for (var steps = 0; steps < steps1; steps++) {
        for (var label = head[rank * steps1 + steps]; label >= 0; label = head[rank * steps1 + steps]) {
          head[rank * steps1 + steps] = lNext[label];
          var state = lState[label];
          if (steps >= minSteps[state]) { continue; }
          minSteps[state] = steps;
          if (state === goal) { return rank; }
          if (steps === q.maxSteps) { continue; }
          var node = plain ? state : Math.floor(state / width), stage = plain ? 0 : state % width, shard = g.at(node);
          if (!shard) { shard = await g.shard(Math.floor(node / size)); }
          var local = node - shard.first, ranks = shard.ranks, targets = shard.targets;
          for (var e = shard.offsets[local], stop = shard.offsets[local + 1]; e < stop; e++) {
            var other = targets[e], next;
            if (plain) { next = other === start ? -1 : other; } else { next = q.enter(stage, other); }
            if (next < 0 || steps + 1 >= minSteps[next] || (toGoal && steps + 1 + toGoal[next] > q.maxSteps)) { continue; }
            if (ranks[e] >= rank) { // taken at this rank, soon: its shard is fetched meanwhile
              if (!g.at(other)) { g.prefetch(other); }
              push(rank * steps1 + steps + 1, next);
            } else if (ranks[e] >= floor) {
              push(ranks[e] * steps1 + steps + 1, next);
            }
          }
        }
      }
    }
    return -1;
  }

  // The breadth-first search over the edges of rank >= t (journey_graph.search): frontier in discovery
  // order, each work's edges in stored order (highest score first), the first discovery of a state naming
  // its parent. `simple`: a state's chain never holds a work twice (a step to a work already on the chain
  // that reached the state is not taken); without via groups every breadth-first chain is simple anyway.
  async function search(q, t, simple) {
    if (q.first === q.goal) { return [q.start]; }
    var g = q.graph, width = q.width, size = g.manifest.shard_size, loaded = g.loaded;
    var parent = new Int32Array(q.count * width).fill(-2), chain = new Int32Array(q.maxSteps + 1), toGoal = q.toGoal;
    parent[q.first] = -1;
    var frontier = [q.first];
    for (var step = 0; step < q.maxSteps; step++) {
      await g.ensure(frontier.map(function (s) { return Math.floor(s / width); }));
      var next = [];
      for (var f = 0; f < frontier.length; f++) {
        var state = frontier[f], node = Math.floor(state / width), stage = state - node * width, links = 0;
        var shard = loaded[Math.floor(node / size)], local = node - shard.first, ranks = shard.ranks, targets = shard.targets;
        if (simple) { for (var s = state; s !== -1; s = parent[s]) { chain[links++] = Math.floor(s / width); } }
        for (var e = shard.offsets[local], stop = shard.offsets[local + 1]; e < stop; e++) {
          if (ranks[e] < t) { break; } // edges are stored highest score first
          var other = targets[e], nxt = q.enter(stage, other);
          if (nxt < 0 || parent[nxt] !== -2 || (toGoal && step + 1 + toGoal[nxt] > q.maxSteps)
              || (links && onChain(chain, links, other))) { continue; }
          parent[nxt] = state;
          if (nxt === q.goal) { return unwind(parent, q.goal, width); }
          next.push(nxt);
        }
      }
      if (!next.length) { return null; }
      frontier = next;
    }
    return null;
  }
  // Calls visit(state) for each of `states`: first those whose shard is in memory, then the others a shard
  // at a time as it arrives (every missing shard asked for at once), so fetching overlaps walking. The
  // order differs from the frontier's: only for walks whose answer does not depend on it (reach).
  async function eachLoaded(g, states, width, visit, done) {
    var size = g.manifest.shard_size, loaded = g.loaded, later = new Map();
    for (var i = 0; i < states.length && !done(); i++) {
      var n = Math.floor(Math.floor(states[i] / width) / size);
      if (loaded[n]) { visit(states[i]); continue; }
      if (!later.has(n)) { later.set(n, []); g.prefetch(n * size); }
      later.get(n).push(states[i]);
    }
    for (var entry of later) {
      if (done()) { return; }
      await g.shard(entry[0]);
      for (var j = 0; j < entry[1].length && !done(); j++) { visit(entry[1][j]); }
    }
  }
  // Whether any chain exists: a breadth-first walk over every edge from the start, each layer's shards
  // fetched while the layer before is walked (a work's shard is asked for when it is first reached,
  // unless it is reached at the last step, where its edges are not needed). Returns a chain to the end
  // (any: its weakest step is only the floor of bestRank) or null. Without via groups it stops at the
  // first chain. With via groups it walks all maxSteps layers and sets q.toGoal: each state's fewest
  // steps to the end over the edges it walked (255: none), so the searches after it drop every state
  // that cannot reach the end in time. That changes no answer: a dropped state is on no chain of at most
  // maxSteps steps. (Edges into a state first reached at the last step lead nowhere unless it is the
  // end: they are not kept.)
  async function reach(q) {
    var g = q.graph, width = q.width, n = q.count * width, goal = q.goal, full = q.via.length > 0;
    var size = g.manifest.shard_size, loaded = g.loaded, asked = new Uint8Array(g.manifest.shards);
    // the record's arrays, grown by an earlier journey, are reused; taken while in use, since journeys
    // on one graph may run at once (the worksheet's)
    var parent = new Int32Array(n).fill(-2), depth = new Uint8Array(n), frontier = [q.first], edges = g.edges || new Edges();
    g.edges = null;
    edges.used = 0;
    parent[q.first] = -1;
    for (var step = 0; step < q.maxSteps && frontier.length && (full || parent[goal] === -2); step++) {
      var next = [], last = step + 1 === q.maxSteps;
      await eachLoaded(g, frontier, width, function (state) {
        var node = Math.floor(state / width), stage = state - node * width;
        var shard = loaded[Math.floor(node / size)], local = node - shard.first, targets = shard.targets;
        for (var e = shard.offsets[local], stop = shard.offsets[local + 1]; e < stop; e++) {
          var other = targets[e], nxt = q.enter(stage, other);
          if (nxt < 0) { continue; }
          var fresh = parent[nxt] === -2;
          if (full && (!last || nxt === goal || (!fresh && depth[nxt] <= step))) { edges.add(nxt, state); }
          if (!fresh) { continue; }
          parent[nxt] = state;
          depth[nxt] = step + 1;
          next.push(nxt);
          var at = Math.floor(other / size);
          if (!last && !asked[at]) { asked[at] = 1; g.prefetch(other); }
        }
      }, function () { return !full && parent[goal] !== -2; });
      frontier = next;
    }
    if (full && parent[goal] !== -2) { q.toGoal = edges.distancesTo(goal, n); }
    g.edges = edges;
    return parent[goal] === -2 ? null : unwind(parent, goal, width);
  }
  // The edges a walk took, (to, from) pairs, turned backwards into compressed-row form once complete.
  function Edges() { this.to = new Int32Array(1 << 16); this.from = new Int32Array(1 << 16); this.used = 0; }
  Edges.prototype.add = function (to, from) {
    if (this.used === this.to.length) {
      var t = new Int32Array(this.used * 2), f = new Int32Array(this.used * 2);
      t.set(this.to); f.set(this.from); this.to = t; this.from = f;
    }
    this.to[this.used] = to; this.from[this.used++] = from;
  };
  // Each state's fewest steps to `goal` along these edges (255: none), by a breadth-first walk backwards.
  Edges.prototype.distancesTo = function (goal, n) {
    var into = new Int32Array(n + 1), from = new Int32Array(this.used), i;
    for (i = 0; i < this.used; i++) { into[this.to[i] + 1]++; }
    for (i = 0; i < n; i++) { into[i + 1] += into[i]; }
    var fill = into.slice(0, n);
    for (i = 0; i < this.used; i++) { from[fill[this.to[i]]++] = this.from[i]; }
    var toGoal = new Uint8Array(n).fill(255), queue = new Int32Array(n), tail = 1;
    queue[0] = goal;
    toGoal[goal] = 0;
    for (var h = 0; h < tail; h++) {
      var at = queue[h];
      for (var y = into[at]; y < into[at + 1]; y++) {
        if (toGoal[from[y]] === 255) { toGoal[from[y]] = toGoal[at] + 1; queue[tail++] = from[y]; }
      }
    }
    return toGoal;
  };
  function onChain(chain, links, node) {
    for (var i = 0; i < links; i++) { if (chain[i] === node) { return true; } }
    return false;
  }
  function unwind(parent, state, width) {
    var path = [];
    while (state !== -1) { path.push(Math.floor(state / width)); state = parent[state]; }
    return path.reverse();
  }

  // As find_journey() in journey_graph.py: whether any chain exists (reach: a breadth-first walk over every
  // edge, fetching each layer's shards while it walks the layer before), B by bestRank, then the chain of
  // the breadth-first search at B.
  // With via groups the chain must be simple; where no simple chain is found at B, the thresholds 1, 2,
  // 4, ... ranks below B are tried in turn and the first chain found is the answer.
  async function findJourney(graph, start, end, via, groups) {
    tables();
    var q = new Query(graph, start, end, via, groups);
    if (q.first === q.goal) { return { path: [start], steps: [] }; }
    if (start === end) { return null; } // the start is never entered again
    await graph.ensure([start, end]);
    var s = graph.at(start), local = start - s.first, into = graph.at(end).inRank[end - graph.at(end).first];
    if (s.offsets[local] === s.offsets[local + 1] || into < 0) {
      return null; // the start has no edge, or no edge leads to the end: known at once
    }
    // a chain at all? (no: answered after one breadth-first pass); with via, every state's distance to the end
    var any = await reach(q);
    if (!any) { return null; }
    var floor = weakestRank(graph, any), top = Math.min(s.ranks[s.offsets[local]], into);
    // no chain's weakest step beats the start's best edge or the end's best incoming one
    var best = floor === top ? top : await bestRank(q, floor);
    var path = await search(q, best, via.length > 0);
    for (var gap = 1, at = best; !path && at > 0; gap *= 2) {
      at = Math.max(best - gap, 0);
      path = await search(q, at, true);
    }
    if (!path) { return null; }
    var steps = [];
    for (var i = 0; i + 1 < path.length; i++) { steps.push(F16[edgeRank(graph, path[i], path[i + 1])]); }
    return { path: path, steps: steps };
  }
  function weakestRank(graph, path) {
    var w = F16.length;
    for (var i = 0; i + 1 < path.length; i++) { w = Math.min(w, edgeRank(graph, path[i], path[i + 1])); }
    return w;
  }
  function edgeRank(graph, a, b) {
    var shard = graph.at(a), local = a - shard.first;
    for (var e = shard.offsets[local]; e < shard.offsets[local + 1]; e++) {
      if (shard.targets[e] === b) { return shard.ranks[e]; }
    }
    return -1;
  }

  // ids in, ids out: {path: [id, ...], steps: [similarity, ...]} | {error: text} | null (no chain).
  async function journey(graph, fromId, toId, viaText) {
    var m = await graph.open();
    if (viaText.length) { graph.loadGroups().catch(function () {}); } // fetched with the ends' shards
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
