"""Build time and site size of the example atlases in examples/ (real collections from ../shared/data).

    python benchmarks/example_builds.py aic wikiart          # builds as configured, reusing the cache
    python benchmarks/example_builds.py aic --cold           # empties the example's cache first

Runs the build exactly as `python -m atlas build --config examples/<name>/site.yaml` does (same output and
cache folders), then prints a table of stage timings, counts and the size of the published site, with the
machine's load average before and after (on a shared machine, timings are only comparable at equal load).
Writes benchmarks/results/example_builds.json (one entry per example, replaced when re-measured).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import time
from pathlib import Path

from atlas.build import build
from atlas.config import load_config

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "example_builds.json"


def site_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def measure(name: str, cold: bool) -> dict:
    config = load_config(ROOT / "examples" / name / "site.yaml")
    if cold and config.cache_dir.exists():
        shutil.rmtree(config.cache_dir)
    load_before = os.getloadavg()
    start = time.perf_counter()
    report = build(config)
    total = time.perf_counter() - start
    files, size = site_size(config.output_dir)
    return {
        "example": name,
        "cold_cache": cold,
        "total_s": round(total, 1),
        "timings_s": report.timings,
        "counts": report.counts,
        "model": report.model.get("name", ""),
        "site_files": files,
        "site_bytes": size,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("examples", nargs="+", choices=["aic", "wikiart", "met"])
    parser.add_argument("--cold", action="store_true", help="empty each example's cache before building")
    args = parser.parse_args()
    results = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.is_file() else {}
    for name in args.examples:
        results[name] = measure(name, args.cold) | {"machine": {"cpus": os.cpu_count(), "platform": platform.platform()}}
    print("\n| example | works | total | embed | map | pages | site files | site size | load avg (1 min) before/after |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for name in args.examples:
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
