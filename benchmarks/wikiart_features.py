"""Which weights-free features find works of the same style? precision@10 on wikiart-styles.

    python benchmarks/wikiart_features.py                  # all 7,000 works (1,000 per style)
    python benchmarks/wikiart_features.py --per-style 300  # a stratified subset, for a quick look

For every embedder (the untrained ResNet-50 the build falls back to today, each descriptor of
atlas/vectors/descriptors.py, and normalised concatenations of them), how often are a work's 10 nearest neighbours
(cosine, over the whole set, no condition) of the work's own style? The chance level is the base rate,
(1,000 - 1) / (7,000 - 1) = 0.143 for the full set. The measure is atlas.analysis.quality.label_precision, the same
code that writes the quality report of every build, and vectors are prepared as the build prepares them
(centred on the collection mean; combinations through atlas.vectors.descriptors.combine).

Vectors are cached under --cache (by default the WikiArt example's cache, so the example build reuses
them): the ResNet-50 vectors by image sha256 and model identity, descriptors by name and version.
Writes benchmarks/results/wikiart_features.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from atlas.analysis.neighbours import exact_search_groups
from atlas.analysis.quality import label_precision
from atlas.core.config import CollectionConfig, EmbeddingConfig
from atlas.ingest.readers import read_collection
from atlas.vectors.descriptors import DESCRIPTORS, combine, describe, descriptor_vectors
from atlas.vectors.embed import centre, embed_records, hash_images

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "wikiart-styles"
NET = "resnet50"
COMBINATIONS = [
    ("lab", "lbp"),
    ("lab", "hog"),
    ("lab", "lbp", "hog"),
    ("hsv", "lbp"),
    ("lab", "hsv", "lbp", "hog"),
    ("net", "lab"),
    ("net", "lbp"),
    ("net", "hog"),
    ("net", "lab", "lbp"),
    ("net", "lab", "lbp", "hog"),
    ("net", "lab", "hsv", "lbp", "hog"),
]


def stratified(per_style: int):
    """Records in interleaved style order (work 1 of each style, then work 2, ...), per_style of each."""
    result = read_collection(CollectionConfig(path=str(DATA / "collection.csv"), columns={"culture": "style"}), DATA)
    by_style = defaultdict(list)
    for rec in result.records:
        by_style[rec.culture_raw].append(rec)
    return [r for i in range(per_style) for s in sorted(by_style) for r in by_style[s][i:i + 1]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-style", type=int, default=1000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--cache", type=Path, default=ROOT / "build" / "examples" / "wikiart" / "cache")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "wikiart_features.json")
    args = parser.parse_args()

    records = stratified(args.per_style)
    digests, problems = hash_images(records)
    labels = [r.culture_raw for r in records]
    start = time.perf_counter()
    net = embed_records(records, digests, EmbeddingConfig(model=NET, weights="none", image_size=224), args.cache, ROOT)
    net_s = time.perf_counter() - start
    start = time.perf_counter()
    found, bad = descriptor_vectors(records, digests, list(DESCRIPTORS), args.cache)
    desc_s = time.perf_counter() - start
    assert not problems and not bad and net.ids == [r.id for r in records], "every WikiArt image should embed"
    raw = {"net": net.vectors}
    raw |= {name: np.stack([found[name][digests[r.id]] for r in records]) for name in DESCRIPTORS}

    rows, hits = [], {}
    codes = np.unique(labels, return_inverse=True)[1]
    for parts in [("net",), *[(n,) for n in DESCRIPTORS], *COMBINATIONS]:
        vectors = centre(raw[parts[0]]) if len(parts) == 1 else centre(combine([raw[p] for p in parts]))
        q = label_precision(vectors, labels, args.k, queries=len(records))
        name = " + ".join(f"{NET} (untrained)" if p == "net" else p for p in parts)
        hits[name] = (codes[exact_search_groups(vectors, [np.arange(len(records))], args.k)[0][0]] == codes[:, None]).mean(axis=1)
        rows.append({"embedder": name, "parts": list(parts), "dims": int(vectors.shape[1]),
                     "precision": q["precision"], "base_rate": q["base_rate"], "lift": q["lift"],
                     "per_style": {s: g["precision"] for s, g in q["groups"].items()}})
    rows.sort(key=lambda r: -r["precision"])
    best = hits[rows[0]["embedder"]]
    for r in rows:  # paired difference to the best, per query, with its standard error
        diff = best - hits[r["embedder"]]
        r["behind_best"] = round(float(diff.mean()), 4)
        r["behind_best_se"] = round(float(diff.std(ddof=1) / np.sqrt(len(diff))), 4)
    speed = descriptor_speed(records[:50])

    print(f"\nstyle precision@{args.k} on wikiart-styles ({len(records)} works, {len(set(labels))} styles; "
          f"base rate {rows[0]['base_rate']:.3f})\n")
    print(f"| embedder | dims | precision@{args.k} | x base rate | behind the best (paired, ± 1 s.e.) |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['embedder']} | {r['dims']} | {r['precision']:.3f} | {r['lift']:.2f} | "
              f"{r['behind_best']:.3f} ± {r['behind_best_se']:.3f} |")
    print("\ndescriptor time per image (128 px, one core, uncached): "
          + ", ".join(f"{n} {ms:.1f} ms" for n, ms in speed.items()))
    out = {
        "works": len(records), "styles": sorted(set(labels)), "k": args.k, "rows": rows,
        "descriptor_ms_per_image": speed,
        "stage_seconds": {"resnet50_embed (0 when cached)": round(net_s, 1), "descriptors (0 when cached)": round(desc_s, 1)},
        "computed_now": {"resnet50": net.computed},
        "machine": {"cpus": __import__("os").cpu_count(), "platform": platform.platform()},
        "command": "python benchmarks/wikiart_features.py" + ("" if args.per_style == 1000 else f" --per-style {args.per_style}"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


def descriptor_speed(records) -> dict[str, float]:
    """Milliseconds per image for each descriptor alone (decoding included), on the first 50 works."""
    speed = {}
    for name in DESCRIPTORS:
        start = time.perf_counter()
        for rec in records:
            describe(rec.image_path, [name])
        speed[name] = round((time.perf_counter() - start) * 1000 / len(records), 1)
    return speed


if __name__ == "__main__":
    main()
