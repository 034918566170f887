"""Journey timings and graph size: the build's graph step, and the browser's answer with CPU throttling.

    python -m atlas build && python benchmarks/journeys.py --site build/site --base-url /
    python benchmarks/journeys.py --site /tmp/x/site --base-url /atlas/ --works 100000 --pairs 10

Build: the time to make the journey graph from the neighbours stage's analogies and to encode its files
(atlas.analysis.journey_graph, atlas.site.journeys.graph_outputs): for the built site's own works (read
back from data/work/*.json), and, with --works N, for N synthetic works whose analogy lists (the site's
group count, k each) are generated as they are read, so 100k works never sit in memory at once.

Browser: the built site is copied and, with --works, its graph replaced by the synthetic one; the journey
page is opened in headless Chromium (Playwright, Debian's chromium) and `atlasJourney.journey` is timed
on random pairs with the CPU throttled through the DevTools protocol (Emulation.setCPUThrottlingRate:
4 = Lighthouse's phone-class setting, 1 = this machine). "cold" starts from an empty graph object (every
shard fetched from the local server), "warm" reuses the shards already fetched. Prints a table and
writes benchmarks/results/journeys_<works>.json.
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
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from atlas.analysis import journey_graph as jg
from atlas.site import urls
from atlas.site.journeys import GRAPH_DIR, graph_outputs


def site_analogies(site: Path) -> tuple[list[str], dict, dict]:
    """(ids, analogies, labels) of a built site, read back from its data files."""
    works = json.loads((site / "data" / "works.json").read_text(encoding="utf-8"))
    ids = [w["id"] for w in works]
    analogies = {}
    for w in works:
        segment = w["url"].rstrip("/").rsplit("/", 1)[-1]
        analogies[w["id"]] = json.loads((site / "data" / "work" / f"{segment}.json").read_text(encoding="utf-8"))["analogies"]
    labels = {fld: [w[fld] or None for w in works] for fld in ("culture", "medium")}
    return ids, analogies, labels


class SyntheticAnalogies(Mapping):
    """{work id: {field: {group: [(id, similarity), ...]}}} of n works, each work's lists made when read."""

    def __init__(self, n: int, cultures: int, media: int, k: int):
        self.n, self.k = n, k
        self.groups = {"culture": [f"C{i:02d}" for i in range(cultures)], "medium": [f"M{i:02d}" for i in range(media)]}
        self.ids = [f"S{i:06d}" for i in range(n)]

    def __getitem__(self, work: str) -> dict:
        i = int(work[1:])
        rng = random.Random(i)
        out = {}
        for fld, names in self.groups.items():
            out[fld] = {}
            for g in names:
                picks = [(i + rng.randrange(-self.n // 50, self.n // 50)) % self.n for _ in range(self.k)]
                scores = sorted((round(rng.uniform(0.1, 0.95), 4) for _ in picks), reverse=True)
                out[fld][g] = [(self.ids[p], s) for p, s in zip(picks, scores) if p != i]
        return out

    def __iter__(self):
        return iter(self.ids)

    def __len__(self) -> int:
        return self.n

    def labels(self) -> dict:
        return {fld: [names[i % len(names)] for i in range(self.n)] for fld, names in self.groups.items()}


def build_step(ids, analogies, labels, k: int = 10) -> tuple[jg.JourneyGraph, dict]:
    start, cpu = time.perf_counter(), time.process_time()
    graph = jg.graph_from_analogies(ids, analogies, labels, k)  # synthetic lists are made inside: counted too
    made, made_cpu = time.perf_counter() - start, time.process_time() - cpu
    rows = [[i, f"Work {i}", "", urls.slug(i)] for i in ids]
    start = time.perf_counter()
    files = list(graph_outputs(graph, rows, 1024, jg.MAX_WORKS, 128))
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


def browser_timings(site: Path, base_url: str, files, ids: list[str], pairs: int, rates: list[int]) -> dict:
    from playwright.sync_api import sync_playwright

    from atlas.site.serve import make_server

    work = Path(tempfile.mkdtemp(prefix="journeys-bench-"))
    try:
        copy = work / "site"
        shutil.copytree(site, copy)
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
                cold, warm, found = [], [], 0
                for a, b in chosen:
                    got = page.evaluate(
                        """async ([url, a, b]) => {
                             const g = new atlasJourney.Graph(url);
                             let t = performance.now(); const r = await atlasJourney.journey(g, a, b, []);
                             const cold = performance.now() - t;
                             t = performance.now(); await atlasJourney.journey(g, a, b, []);
                             return {cold, warm: performance.now() - t, found: !!(r && r.path)};
                           }""", [base_url + GRAPH_DIR, a, b])
                    cold.append(got["cold"])
                    warm.append(got["warm"])
                    found += got["found"]
                out[f"throttle_{rate}x"] = {"pairs": pairs, "found": found, **summary("cold_ms", cold), **summary("warm_ms", warm)}
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
    args = parser.parse_args(argv)
    if args.works:
        synthetic = SyntheticAnalogies(args.works, args.cultures, args.media, 10)
        ids, analogies, labels = synthetic.ids, synthetic, synthetic.labels()
    else:
        ids, analogies, labels = site_analogies(args.site)
    _, figures = build_step(ids, analogies, labels)
    files = figures.pop("_files")
    files = files if args.works else None
    figures["browser"] = browser_timings(args.site, args.base_url, files, ids, args.pairs,
                                         [int(r) for r in args.rates.split(",")])
    print(f"{'works':>8} {'edges/work':>10} {'graph s':>8} {'cpu s':>6} {'encode s':>8} {'bin B/work':>10} {'meta B/work':>11}")
    print(f"{figures['works']:>8,} {figures['edges_per_work']:>10} {figures['graph_seconds']:>8} {figures['graph_cpu_seconds']:>6} "
          f"{figures['encode_seconds']:>8} {figures['bin_bytes_per_work']:>10} {figures['meta_bytes_per_work']:>11}")
    for rate, t in figures["browser"].items():
        print(f"{rate}: {t['found']}/{t['pairs']} found; cold median {t['cold_ms_median']} ms, p90 {t['cold_ms_p90']}, "
              f"max {t['cold_ms_max']}; warm median {t['warm_ms_median']} ms, p90 {t['warm_ms_p90']}, max {t['warm_ms_max']}")
    out = ROOT / "benchmarks" / "results" / f"journeys_{figures['works']}.json"
    out.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
