"""Benchmark: pairing pages of the sample. How many, how large, and how long they take to render.

Builds the bundled sample into a temporary folder with every top-1 pair pre-rendered (pairings.budget 0),
then rebuilds into the same folder (card images cached, URL ledger read back). Prints a table and writes
benchmarks/results/pairings.json.

    python benchmarks/pairings.py [--config site.yaml] [--model resnet18] [--image-size 128] [--budget 0]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from atlas.build import build
from atlas.core.config import load_config

HERE = Path(__file__).resolve().parent


def pair_files(site: Path) -> dict[str, int]:
    """Count and bytes of pair pages and card images actually on disk (not the build's own counters)."""
    pages = [p for p in (site / "pair").rglob("index.html") if p.parent != site / "pair"]
    cards = list((site / "pair").rglob("card.jpg"))
    return {"pages": len(pages), "page_bytes": sum(p.stat().st_size for p in pages),
            "cards": len(cards), "card_bytes": sum(p.stat().st_size for p in cards)}


def run(config_path: str, overrides: dict) -> dict:
    results = {}
    for label in ("clean build", "rebuild, same output"):
        config = load_config(config_path, overrides)
        start = time.perf_counter()
        report = build(config)
        total = time.perf_counter() - start
        files = pair_files(config.output_dir)
        results[label] = {
            "total_s": round(total, 2),
            "pairings_render_s": report.timings["pages: pairings"],
            "pages_stage_s": report.timings["pages"],
            "plan_s": report.timings["pairings"],
            "cards_made": report.counts["pair_cards_made"],
            "top1_pairs": report.counts["top1_pairs"],
            "site_bytes": report.counts["site_bytes"],
            **files,
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=str(HERE.parent / "site.yaml"))
    parser.add_argument("--model")
    parser.add_argument("--image-size", type=int)
    parser.add_argument("--budget", type=int, default=0)
    parser.add_argument("--out", default=str(HERE / "results" / "pairings.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        overrides = {"output": f"{tmp}/site", "cache": f"{tmp}/cache", "collection.path": f"{tmp}/sample",
                     "pairings.budget": args.budget, "site_url": "https://atlas.example.org"}
        if args.model:
            overrides["embedding.model"] = args.model
        if args.image_size:
            overrides["embedding.image_size"] = args.image_size
        load_before = os.getloadavg()
        results = run(args.config, overrides)
        load_after = os.getloadavg()
    print(f"{'measure':<28}" + "".join(f"{k:>24}" for k in results))
    for key in next(iter(results.values())):
        print(f"{key:<28}" + "".join(f"{v[key]:>24,}" for v in results.values()))
    out = {"results": results, "budget": args.budget, "model": args.model or "site.yaml",
           "image_size": args.image_size or "site.yaml", "cpus": os.cpu_count(), "machine": platform.machine(),
           "load_average_1min": [round(load_before[0], 1), round(load_after[0], 1)]}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"load average (1 min) before/after: {out['load_average_1min']}; wrote {args.out}")


if __name__ == "__main__":
    main()
