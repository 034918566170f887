"""Build time and site size of the example atlases in examples/ (real collections from ../shared/data).

    python benchmarks/example_builds.py aic wikiart          # builds as configured, reusing the cache
    python benchmarks/example_builds.py aic --cold           # empties the example's cache first
    python benchmarks/example_builds.py wikiart --per-style 300   # the first 300 works of each style only

Runs the build exactly as `python -m atlas build --config examples/<name>/site.yaml` does (same output and
cache folders), then prints a table of stage timings, counts and the size of the published site, with the
machine's load average before and after (on a shared machine, timings are only comparable at equal load).
Writes benchmarks/results/example_builds.json (one entry per example, replaced when re-measured).

--per-style N (wikiart only) builds the first N works of each style: the same subset as
benchmarks/wikiart_features.py --per-style N, written as a table and a copy of the example's config under
build/examples/wikiart-<N>/ (sharing the example's cache), for machines too slow to embed all 7,000.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import time
from pathlib import Path

from atlas.build import build
from atlas.core.config import load_config

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "example_builds.json"


def site_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def wikiart_subset(per_style: int) -> Path:
    """A site.yaml building the first `per_style` works of each WikiArt style, with the example's settings."""
    import yaml

    data = ROOT.parent / "shared" / "data" / "wikiart-styles"
    folder = ROOT / "build" / "examples" / f"wikiart-{per_style}"
    folder.mkdir(parents=True, exist_ok=True)
    with open(data / "collection.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with open(folder / "collection.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["id", "style", "image"])
        writer.writeheader()
        for style in sorted({r["style"] for r in rows}):
            for row in [r for r in rows if r["style"] == style][:per_style]:
                writer.writerow({"id": row["id"], "style": style, "image": str(data / row["image"])})
    config = yaml.safe_load((ROOT / "examples" / "wikiart" / "site.yaml").read_text(encoding="utf-8"))
    config |= {"output": "site", "cache": "../wikiart/cache", "title": f"{config['title']} (first {per_style} of each)"}
    config["collection"]["path"] = "collection.csv"
    config["collection"]["allow_outside_paths"] = True  # the subset's table points at the shared images
    (folder / "site.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return folder / "site.yaml"


def measure(name: str, cold: bool, per_style: int = 0) -> dict:
    path = wikiart_subset(per_style) if per_style else ROOT / "examples" / name / "site.yaml"
    config = load_config(path)
    if cold and config.cache_dir.exists():
        shutil.rmtree(config.cache_dir)
    load_before = os.getloadavg()
    start = time.perf_counter()
    report = build(config)
    total = time.perf_counter() - start
    files, size = site_size(config.output_dir)
    return {
        "example": name,
        "config": str(path.relative_to(ROOT)),
        "cold_cache": cold,
        "total_s": round(total, 1),
        "timings_s": report.timings,
        "counts": report.counts,
        "model": report.model.get("name", ""),
        "notes": report.notes,  # the fallback used, label-rule hits, quality line
        "site_files": files,
        "site_bytes": size,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("examples", nargs="+", choices=["aic", "wikiart", "met"])
    parser.add_argument("--cold", action="store_true", help="empty each example's cache before building")
    parser.add_argument("--per-style", type=int, default=0, help="wikiart only: build the first N works of each style")
    args = parser.parse_args()
    results = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.is_file() else {}
    names = [f"{n}-{args.per_style}" if args.per_style and n == "wikiart" else n for n in args.examples]
    for name, example in zip(names, args.examples):
        per_style = args.per_style if example == "wikiart" else 0
        results[name] = measure(example, args.cold, per_style) | {"machine": {"cpus": os.cpu_count(), "platform": platform.platform()}}
    print("\n| example | works | total | embed | map | pages | site files | site size | load avg (1 min) before/after |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for name in names:
        r = results[name]
        t = r["timings_s"]
        print(f"| {name}{' (cold cache)' if r['cold_cache'] else ''} | {r['counts']['works_published']:,} | {r['total_s']:.1f} s | "
              f"{t['embed']:.1f} s | {t['map']:.1f} s | {t['pages']:.1f} s | {r['site_files']:,} | "
              f"{r['site_bytes'] / 1e6:.1f} MB | {r['load_average_before'][0]:.1f} / {r['load_average_after'][0]:.1f} |")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
