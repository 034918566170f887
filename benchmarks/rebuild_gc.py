"""How much of a rebuild the cyclic garbage collector takes (atlas.build.fewer_collections), and how often it runs.

    python -m benchmarks.rebuild_gc --config DIR/site.yaml --work-dir W [--thresholds 700,10,10] [--runs 3]

W is a work folder of benchmarks/rebuilds.py (`--work-dir`). Each run retitles one record and builds, timing every
collection with a gc.callbacks hook. `--thresholds` sets the collector's thresholds inside the build instead of
atlas's GC_THRESHOLDS (700,10,10 are Python's own), to compare. The first run in a process also pays for imports
and memos, so look at the later ones. Prints a table and writes benchmarks/results/rebuild_gc[-thresholds].json.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from pathlib import Path

import atlas.build
from atlas.core.config import load_config
from benchmarks.rebuilds import change_title, timed_build, work_overrides

RESULTS = Path(__file__).resolve().parent / "results"


class CollectorClock:
    """Seconds spent in collections, their count and how many were full (generation 2)."""

    def __init__(self) -> None:
        self.seconds, self.count, self.full, self._start = 0.0, 0, 0, 0.0
        gc.callbacks.append(self._tick)

    def _tick(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.perf_counter()
            return
        self.seconds += time.perf_counter() - self._start
        self.count += 1
        self.full += info["generation"] == 2

    def reset(self) -> None:
        self.seconds, self.count, self.full = 0.0, 0, 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--work-dir", type=Path, required=True)
    parser.add_argument("--thresholds", default="", help="e.g. 700,10,10 (default: atlas's GC_THRESHOLDS)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    if args.thresholds:
        atlas.build.GC_THRESHOLDS = tuple(int(v) for v in args.thresholds.split(","))
    config = load_config(args.config, work_overrides(load_config(args.config), args.work_dir, copy=False))
    clock, rows = CollectorClock(), []
    for _ in range(args.runs):
        change_title(config)
        clock.reset()
        seconds, _ = timed_build(config)
        rows.append({"seconds": round(seconds, 2), "gc_s": round(clock.seconds, 3), "collections": clock.count,
                     "full": clock.full})
    print(f"thresholds {atlas.build.GC_THRESHOLDS}")
    print(f"{'run':>4} {'build s':>8} {'gc s':>6} {'collections':>12} {'full':>5}")
    for n, row in enumerate(rows, 1):
        print(f"{n:>4} {row['seconds']:>8.2f} {row['gc_s']:>6.2f} {row['collections']:>12} {row['full']:>5}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"rebuild_gc{'-' + args.thresholds.replace(',', '-') if args.thresholds else ''}.json"
    out.write_text(json.dumps({"thresholds": list(atlas.build.GC_THRESHOLDS), "runs": rows}, indent=1) + "\n",
                   encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
