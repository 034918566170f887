"""Rendering at scale: pages per second and output bytes per work, serial against parallel processes.

    python -m benchmarks.render_scale --works 10000 --workers 1,2
    python -m benchmarks.render_scale --works 100000 --workers 2 --artwork-sample 10000

Builds the inputs of the pages stage for N synthetic works (benchmarks/synthetic.py labels; clustered
64-d vectors, since page content does not depend on the vector size; real conditional neighbours, k = 6,
over 20 culture and 10 medium groups; the real cluster map with the PCA layout; one shared pair of tiny
thumbnails), then times atlas.site.render.render_site (every page group) into a temporary folder. With --artwork-sample M,
only the first M artwork pages are rendered (every other page in full) and the artwork part of the time
and bytes is scaled up by N / M, stated as such in the output.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

import atlas.build as build_module
from atlas.analysis.clusters import cluster_map
from atlas.analysis.culture import culture_similarity
from atlas.analysis.neighbours import analogies_by_work, conditional_neighbours
from atlas.core.checked import write_checked
from atlas.core.config import SiteConfig
from atlas.core.records import Record
from atlas.site.artworks import artwork_pages
from atlas.site.context import SiteData
from atlas.site.render import make_context, render_site
from atlas.site.writer import SiteWriter
from benchmarks.synthetic import CULTURES, MEDIA, clustered_vectors, group_labels

RESULTS = Path(__file__).resolve().parent / "results"
MODEL_SHOWN = {"name": "resnet50", "pretrained": False, "warning": "", "features": "", "weights_requested": "none", "weights_used": "none"}


def site_data(works: int, folder: Path, seed: int = 0) -> tuple[SiteData, dict]:
    """Everything the pages stage needs, for `works` synthetic works; returns it and stage timings."""
    timings = {}
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    culture = group_labels(works, CULTURES, rng)
    medium = group_labels(works, MEDIA, rng, exponent=1.1)
    years = rng.integers(-1500, 2000, size=works)
    records = [
        Record(id=f"syn{i:07d}", title=f"Synthetic work {i}", artist=f"Artist {i % 997}", date_text=str(int(years[i])),
               culture_raw=CULTURES[culture[i]], medium_raw=MEDIA[medium[i]], culture=CULTURES[culture[i]],
               medium=MEDIA[medium[i]])
        for i in range(works)
    ]
    vectors = clustered_vectors(works, 64, culture, np.random.default_rng(seed + 1))
    config = SiteConfig(root=folder)
    config.map.layout = "pca"
    thumbs = {}
    for size in config.thumbnails.sizes:
        path = folder / f"thumb-{size}.jpg"
        buffer = io.BytesIO()
        Image.new("RGB", (size, size * 3 // 4), (120, 90, 60)).save(buffer, "JPEG", quality=82)
        write_checked(path, buffer.getvalue())  # as the thumbnail stage caches them: with their checksum
        thumbs[size] = path
    conditions = {"culture": [r.culture for r in records], "medium": [r.medium for r in records]}
    ids = [r.id for r in records]
    timings["inputs_s"] = time.perf_counter() - start
    start = time.perf_counter()
    analogies = analogies_by_work(ids, conditional_neighbours(vectors, conditions, config.neighbours.k, method="exact"))
    timings["neighbours_s"] = time.perf_counter() - start
    start = time.perf_counter()
    cmap = cluster_map(ids, vectors, conditions["culture"], conditions["medium"], config.map)
    similarity = culture_similarity(vectors, conditions["culture"])
    timings["map_s"] = time.perf_counter() - start
    data = SiteData(config, records, {i: thumbs for i in ids}, {i: (600, 450) for i in ids}, analogies, similarity,
                    cmap, about={"model": MODEL_SHOWN, "quality": None, "device": "cpu", "counts": {}, "groups": {}, "dropped": {},
                                 "settings": {"image_size": 224, "k": 6, "search": "exact", "map": "PCA"}})
    return data, timings


def render_once(data: SiteData, workers: int, out: Path, sample: int) -> dict:
    """Time the pages stage (every page group, the ledger, data files, sitemap); the artwork pages are timed on
    their own too."""
    data.config.render.workers = workers
    part = {}

    def timed_artworks(ctx):
        ids = [w.id for w in ctx.data.works]
        chosen = ids[:sample] if sample else ids
        start, size = time.perf_counter(), 0
        for out_file in artwork_pages(ctx, chosen, workers):
            size += len(out_file.data)
            yield out_file
        part.update(seconds=time.perf_counter() - start, pages=len(chosen), bytes=size)

    groups = tuple(timed_artworks if g is artwork_pages else g for g in build_module.PAGE_GROUPS)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    writer = SiteWriter(out)
    load = os.getloadavg()[0]
    start = time.perf_counter()
    pages = render_site(make_context(data), writer, groups)
    total = time.perf_counter() - start
    works = len(data.works)
    scale = works / part["pages"]
    other_s, other_bytes = total - part["seconds"], writer.bytes_written - part["bytes"]
    full_s = other_s + part["seconds"] * scale
    full_bytes = other_bytes + part["bytes"] * scale
    return {
        "workers": workers, "works": works, "artwork_pages_rendered": part["pages"], "scaled": scale != 1,
        "measured_s": total, "artwork_s": part["seconds"], "artwork_pages_per_s": part["pages"] / part["seconds"],
        "other_pages_s": other_s, "all_pages": pages - part["pages"] + works,
        "site_s": full_s, "site_pages_per_s": (pages - part["pages"] + works) / full_s,
        "bytes_per_work": full_bytes / works, "site_bytes": int(full_bytes),
        "artwork_page_bytes_mean": part["bytes"] / part["pages"], "load_before": round(load, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="pages/s and bytes per work, serial vs parallel")
    parser.add_argument("--works", type=int, default=10000)
    parser.add_argument("--workers", default="1,2", help="comma-separated process counts to time")
    parser.add_argument("--artwork-sample", type=int, default=0, help="render only this many artwork pages (0 = all)")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="render-bench-") as tmp:
        folder = Path(tmp)
        data, timings = site_data(args.works, folder)
        print(f"inputs for {args.works} works: {timings}", flush=True)
        for workers in [int(w) for w in args.workers.split(",")]:
            row = render_once(data, workers, folder / "site", args.artwork_sample)
            rows.append(row)
            print(f"{workers} process(es): artwork {row['artwork_pages_per_s']:.0f} pages/s, whole site {row['site_s']:.0f} s "
                  f"({row['site_pages_per_s']:.0f} pages/s){' (artwork part scaled)' if row['scaled'] else ''}, "
                  f"{row['bytes_per_work'] / 1024:.1f} KiB per work (load {row['load_before']}->{row['load_after']})", flush=True)
    print(f"\n{'processes':>9} {'artwork pages/s':>15} {'site s':>8} {'pages/s':>8} {'KiB/work':>9} {'speed-up':>8}")
    for r in rows:
        print(f"{r['workers']:>9} {r['artwork_pages_per_s']:>15.1f} {r['site_s']:>8.1f} {r['site_pages_per_s']:>8.1f} "
              f"{r['bytes_per_work'] / 1024:>9.1f} {rows[0]['site_s'] / r['site_s']:>7.2f}x")
    out = RESULTS / f"render_scale_{args.works}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"works": args.works, "artwork_sample": args.artwork_sample, "input_timings": timings,
                               "machine": f"{platform.machine()}, {os.cpu_count()} CPUs", "results": rows},
                              indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
