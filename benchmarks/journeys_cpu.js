// CPU time of atlasJourney.journey in Node (the same V8 as chromium), with every shard already in memory:
// a figure the load of a shared machine barely moves, unlike the wall-clock times of benchmarks/journeys.py.
//
//   python benchmarks/journeys.py --site build/site --works 100000 --pairs 1 --rates 1 --graph-out /tmp/g100k
//   node benchmarks/journeys_cpu.js atlas/assets/journey.js /tmp/g100k 30 [culture:C03,...]
//
// Random pairs (a fixed linear congruential sequence, so every script is timed on the same pairs); each is
// asked once on a fresh graph object (counting the files and bytes a first visit fetches for it: a
// figure the machine's load does not move either) and again to warm the JIT, then timed by
// process.cpuUsage with its shards in memory. Prints one JSON line.
"use strict";
const fs = require("fs"), vm = require("vm"), path = require("path");
const [script, dir, count, viaText] = process.argv.slice(2);
const via = (viaText || "").split(",").filter(Boolean);
const fetched = { files: 0, bytes: 0 };
const context = { window: {}, document: { querySelector: () => null }, console, performance,
  fetch: async (url) => {
    const file = path.join(dir, url), ok = fs.existsSync(file);
    fetched.files += 1;
    fetched.bytes += ok ? fs.statSync(file).size : 0;
    return { ok, json: async () => JSON.parse(fs.readFileSync(file, "utf8")),
      arrayBuffer: async () => { const b = fs.readFileSync(file); return b.buffer.slice(b.byteOffset, b.byteOffset + b.length); } };
  } };
vm.createContext(context);
vm.runInContext(fs.readFileSync(script, "utf8"), context);
(async () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"));
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) % manifest.count;
  const size = manifest.meta_size || manifest.shard_size; // works per <m>.json
  const id = (i) => JSON.parse(fs.readFileSync(path.join(dir, Math.floor(i / size) + ".json"), "utf8")).works[i % size][0];
  const pairs = Array.from({ length: +count }, () => [id(next()), id(next())]);
  const files = [], bytes = [];
  for (const [a, b] of pairs) { // cold: what a first visit fetches for this journey alone
    Object.assign(fetched, { files: 0, bytes: 0 });
    await context.window.atlasJourney.journey(new context.window.atlasJourney.Graph(""), a, b, via);
    files.push(fetched.files);
    bytes.push(fetched.bytes);
  }
  const graph = new context.window.atlasJourney.Graph("");
  for (const [a, b] of pairs) { await context.window.atlasJourney.journey(graph, a, b, via); }
  const ms = [];
  let found = 0;
  for (const [a, b] of pairs) {
    const before = process.cpuUsage();
    const r = await context.window.atlasJourney.journey(graph, a, b, via);
    const used = process.cpuUsage(before);
    ms.push((used.user + used.system) / 1000);
    found += r && r.path ? 1 : 0;
  }
  const sorted = ms.slice().sort((x, y) => x - y), at = (q) => sorted[Math.floor(q * (sorted.length - 1))];
  const most = (xs) => Math.max(...xs), mid = (xs) => xs.slice().sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)];
  console.log(JSON.stringify({ script, pairs: pairs.length, found, via, cpu_ms_median: +at(0.5).toFixed(1),
    cpu_ms_p90: +at(0.9).toFixed(1), cpu_ms_max: +sorted[sorted.length - 1].toFixed(1),
    cold_files_median: mid(files), cold_files_max: most(files),
    cold_mb_median: +(mid(bytes) / 1e6).toFixed(2), cold_mb_max: +(most(bytes) / 1e6).toFixed(2) }));
})();
