"""Journey timings and graph size: the build's graph step, and the browser's answer with CPU throttling.

    python -m atlas build && python benchmarks/journeys.py --site build/site --base-url /
    python benchmarks/journeys.py --site build/site --base-url / --works 100000 --pairs 30 [--via culture:C03]

Build: the time to make the journey graph from the neighbours stage's analogy arrays and to encode its
files (atlas.analysis.journey_graph, atlas.site.journeys.graph_outputs): for the built site's own works
(their lists read back from each work's data file, atlas/site/work_files.py, into the arrays the build holds), and, with --works N, for N
synthetic works (synthetic_table: 20 cultures and 6 media, k = 10 local picks each; made with numpy
before the clock starts).

Browser: the built site is copied, its journey.js replaced by this checkout's (or --script's) and its
graph files by the ones just encoded (this checkout's format: the site's own graph, or with --works the
synthetic one); the journey page is opened in headless Chromium (Playwright,
Debian's chromium) and `atlasJourney.journey` is timed on random pairs with the CPU throttled through the
DevTools protocol (Emulation.setCPUThrottlingRate: 4 = Lighthouse's phone-class setting, 1 = this
machine). "cold" starts from an empty graph object with the browser's HTTP cache disabled (every shard
fetched whole from the local server, as on a first visit), "warm" reuses the shards already fetched. Prints a table and writes benchmarks/results/journeys_<works>[_via].json.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np

from atlas.analysis import journey_graph as jg
from atlas.analysis.analogy_table import AnalogyTable
from atlas.core.config import JourneysConfig
from atlas.site import urls
from atlas.site.journeys import GRAPH_DIR, graph_outputs
from atlas.site.work_json import read_work_json


def work_data_file(site: Path, segment: str) -> Path:
    """A work's data file in a built site: its IIIF manifest (the default) or data/work/<segment>.json."""
    for in_manifest in (True, False):
        path = site / urls.work_data_pattern(in_manifest).format(segment=segment)
        if path.is_file():
            return path
    raise FileNotFoundError(f"{site}: no data file for work segment {segment!r}")


def site_analogies(site: Path) -> tuple[list[str], dict, dict]:
    """(ids, analogies, labels) of a built site, read back from its data files."""
    works = json.loads((site / "data" / "works.json").read_text(encoding="utf-8"))
    ids = [w["id"] for w in works]
    analogies = {}
    for w in works:
        segment = w["url"].rstrip("/").rsplit("/", 1)[-1]
        analogies[w["id"]] = read_work_json(work_data_file(site, segment).read_bytes())["analogies"]
    labels = {fld: [w[fld] or None for w in works] for fld in ("culture", "medium")}
    return ids, as_table(ids, analogies), labels


def as_table(ids: list[str], analogies: dict) -> AnalogyTable:
    """The lists read back from a site as the analogy arrays the build holds (-1 / NaN where a list is short)."""
    groups = sorted({(fld, g) for lists in analogies.values() for fld, by in lists.items() for g in by})
    k = max((len(pairs) for lists in analogies.values() for by in lists.values() for pairs in by.values()), default=0)
    row = {w: i for i, w in enumerate(ids)}
    indices = np.full((len(groups), len(ids), k), -1, np.int32)
    scores = np.full(indices.shape, np.nan, np.float32)
    for g, (fld, group) in enumerate(groups):
        for i, w in enumerate(ids):
            for j, (other, score) in enumerate(analogies[w].get(fld, {}).get(group, [])):
                indices[g, i, j], scores[g, i, j] = row[other], score
    return AnalogyTable(ids, groups, indices, scores)


def synthetic_table(n: int, cultures: int, media: int, k: int, seed: int = 0) -> tuple[list[str], AnalogyTable, dict]:
    """(ids, analogy arrays, labels) of n synthetic works: in each of the groups (cultures + media), k
    picks within n/50 places of the work (a local neighbourhood, so that chains exist but far works are
    many steps apart), scores uniform in [0.1, 0.95] in falling order, itself left out (-1)."""
    rng = np.random.default_rng(seed)
    ids = [f"S{i:06d}" for i in range(n)]
    groups = [("culture", f"C{i:02d}") for i in range(cultures)] + [("medium", f"M{i:02d}") for i in range(media)]
    rows = np.arange(n)[None, :, None]
    indices = (rows + rng.integers(-(n // 50), n // 50, size=(len(groups), n, k))) % n
    scores = -np.sort(-np.round(rng.uniform(0.1, 0.95, size=indices.shape), 4), axis=2)
    scores[indices == rows] = np.nan
    indices[indices == rows] = -1
    labels = {"culture": [f"C{i % cultures:02d}" for i in range(n)], "medium": [f"M{i % media:02d}" for i in range(n)]}
    return ids, AnalogyTable(ids, groups, indices.astype(np.int32), scores.astype(np.float32)), labels


def build_step(ids, analogies, labels, k: int = 10, shard_size: int = JourneysConfig.shard_size) -> tuple[jg.JourneyGraph, dict]:
    start, cpu = time.perf_counter(), time.process_time()
    graph = jg.graph_from_analogies(ids, analogies, labels, k)  # from the arrays, as the build does
    made, made_cpu = time.perf_counter() - start, time.process_time() - cpu
    rows = [[i, f"Work {i}", "", urls.slug(i)] for i in ids]
    start = time.perf_counter()
    files = list(graph_outputs(graph, rows, shard_size, jg.MAX_WORKS, 128))
    encoded = time.perf_counter() - start
    size = {"bin": sum(len(f.data) for f in files if f.path.endswith(".bin") and "groups" not in f.path),
            "meta_json": sum(len(f.data) for f in files if f.path.endswith(".json")),
            "groups": sum(len(f.data) for f in files if "groups" in f.path)}
    figures = {"works": len(ids), "edges": int(graph.offsets[-1]), "edges_per_work": round(graph.offsets[-1] / len(ids), 1),
               "graph_seconds": round(made, 2), "graph_cpu_seconds": round(made_cpu, 2), "encode_seconds": round(encoded, 2),
               "bin_bytes_per_work": round(size["bin"] / len(ids), 1),
               "meta_bytes_per_work": round(size["meta_json"] / len(ids), 1),
               "groups_bytes_per_work": round(size["groups"] / len(ids), 1), "_files": files}
    return graph, figures


def browser_timings(site: Path, base_url: str, files, ids: list[str], pairs: int, rates: list[int],
                    script: Path, via: list[str]) -> dict:
    from playwright.sync_api import sync_playwright

    from atlas.site.serve import make_server

    work = Path(tempfile.mkdtemp(prefix="journeys-bench-"))
    try:
        copy = work / "site"
        shutil.copytree(site, copy)
        shutil.copyfile(script, copy / "assets" / "journey.js")  # this checkout's (or --script's), not the build's
        if files is not None:
            shutil.rmtree(copy / GRAPH_DIR)
            (copy / GRAPH_DIR).mkdir()
            for f in files:
                (copy / f.path).write_bytes(f.data)
        server = make_server(copy, base_url, port=0)
        server.RequestHandlerClass.func.log_message = lambda *a: None
        import threading

        threading.Thread(target=server.serve_forever, daemon=True).start()
        origin = f"http://127.0.0.1:{server.server_address[1]}"
        rng = random.Random(11)
        chosen = [rng.sample(ids, 2) for _ in range(pairs)]
        out = {}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
            for rate in rates:
                page = browser.new_context().new_page()  # a fresh HTTP cache: "cold" fetches every shard
                page.goto(origin + base_url + "journey/", wait_until="load")
                cdp = page.context.new_cdp_session(page)
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
                # "cold" = a first visit: no HTTP cache either (else a shard an earlier pair fetched comes back
                # as a 304 revalidation, or from memory, without its bytes)
                cdp.send("Network.enable")
                cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
                cold, warm, found, each = [], [], 0, []
                for a, b in chosen:
                    got = page.evaluate(
                        """async ([url, a, b, via]) => {
                             const g = new atlasJourney.Graph(url);
                             let t = performance.now(); const r = await atlasJourney.journey(g, a, b, via);
                             const cold = performance.now() - t;
                             t = performance.now(); await atlasJourney.journey(g, a, b, via);
                             return {cold, warm: performance.now() - t, found: !!(r && r.path), shards: g.loaded.size !== undefined ? g.loaded.size : g.loaded.filter(Boolean).length};
                           }""", [base_url + GRAPH_DIR, a, b, via])
                    each.append({"from": a, "to": b, "cold_ms": round(got["cold"], 1), "warm_ms": round(got["warm"], 1),
                                 "found": got["found"], "shards": got["shards"]})
                    cold.append(got["cold"])
                    warm.append(got["warm"])
                    found += got["found"]
                out[f"throttle_{rate}x"] = {"pairs": pairs, "found": found, **summary("cold_ms", cold), **summary("warm_ms", warm),
                                            "each": each}
                page.context.close()
            browser.close()
        server.shutdown()
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def summary(name: str, values: list[float]) -> dict:
    values = sorted(values)
    return {f"{name}_median": round(statistics.median(values), 1),
            f"{name}_p90": round(values[int(0.9 * (len(values) - 1))], 1), f"{name}_max": round(values[-1], 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, required=True, help="a built site folder")
    parser.add_argument("--base-url", default="/")
    parser.add_argument("--works", type=int, default=0, help="time a synthetic graph of this many works instead")
    parser.add_argument("--cultures", type=int, default=20)
    parser.add_argument("--media", type=int, default=6)
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--rates", default="4,1", help="CPU throttling rates to run (comma-separated)")
    parser.add_argument("--graph-out", type=Path, help="also write the graph's files here (for journeys_cpu.js)")
    parser.add_argument("--shard-size", type=int, default=JourneysConfig.shard_size, help="works per graph shard (journeys.shard_size; default: its default)")
    parser.add_argument("--via", default="", help="groups every journey passes through, as on the page (culture:C03,...)")
    parser.add_argument("--script", type=Path, default=ROOT / "atlas" / "assets" / "journey.js",
                        help="the journey.js to time (default: this checkout's; give an older one to compare)")
    args = parser.parse_args(argv)
    if args.works:
        ids, analogies, labels = synthetic_table(args.works, args.cultures, args.media, 10)
    else:
        ids, analogies, labels = site_analogies(args.site)
    _, figures = build_step(ids, analogies, labels, shard_size=args.shard_size)
    files = figures.pop("_files")
    if args.graph_out:
        args.graph_out.mkdir(parents=True, exist_ok=True)
        for f in files:
            (args.graph_out / f.path.rsplit("/", 1)[-1]).write_bytes(f.data)
    figures["browser"] = browser_timings(args.site, args.base_url, files, ids, args.pairs,
                                         [int(r) for r in args.rates.split(",")], args.script,
                                         [v for v in args.via.split(",") if v])
    figures["via"] = args.via
    figures["shard_size"] = args.shard_size
    print(f"{'works':>8} {'edges/work':>10} {'graph s':>8} {'cpu s':>6} {'encode s':>8} {'bin B/work':>10} {'meta B/work':>11}")
    print(f"{figures['works']:>8,} {figures['edges_per_work']:>10} {figures['graph_seconds']:>8} {figures['graph_cpu_seconds']:>6} "
          f"{figures['encode_seconds']:>8} {figures['bin_bytes_per_work']:>10} {figures['meta_bytes_per_work']:>11}")
    for rate, t in figures["browser"].items():
        print(f"{rate}: {t['found']}/{t['pairs']} found; cold median {t['cold_ms_median']} ms, p90 {t['cold_ms_p90']}, "
              f"max {t['cold_ms_max']}; warm median {t['warm_ms_median']} ms, p90 {t['warm_ms_p90']}, max {t['warm_ms_max']}")
    out = ROOT / "benchmarks" / "results" / f"journeys_{figures['works']}{'_via' if args.via else ''}.json"
    out.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
