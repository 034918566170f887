"""'Why this match' shares at scale: the dict per listed pair (before) against the arrays (after).

    python -m benchmarks.why_shares --works 10000,30000 --groups 30 --k 6 --dim 512

A random analogy table (G groups x N works x k; each work's neighbours drawn from its own group, as the
conditional search gives them) and fallback-like vectors of four parts (network, colour, texture,
layout); then, each in its own child process so its peak is its own: "before", the build's old call
(match_parts.pair_shares over match_parts.listed_pairs of every work's analogies), and "after"
(pair_shares.compute_shares); and both with no parts (a network's vectors: the old call still walked
every work's analogies into a set of pairs before finding there was nothing to split). Prints seconds and the
peak RSS above the child's start; results in benchmarks/results/why_shares.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.build_memory import status_kb

RESULTS = Path(__file__).resolve().parent / "results"
WAYS = ("before", "after", "before-no-parts", "after-no-parts")


def inputs(works: int, groups: int, k: int, dim: int):
    from atlas.analysis.analogy_table import AnalogyTable
    from atlas.vectors.parts import layout

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(works, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    member = rng.integers(0, groups, size=works)
    indices = np.empty((groups, works, k), np.int32)
    for g in range(groups):  # a work's analogies in group g: k random members of g
        pool = np.flatnonzero(member == g)
        indices[g] = pool[rng.integers(0, len(pool), size=(works, k))]
    scores = np.sort(rng.uniform(0, 1, size=(groups, works, k)).astype(np.float32), axis=2)[:, :, ::-1].copy()
    table = AnalogyTable([f"W{i:07d}" for i in range(works)], [("culture", f"G{g}") for g in range(groups)], indices, scores)
    quarter = dim // 4
    parts = layout(["net", "lab", "lbp", "hog"], [quarter, quarter, quarter, dim - 3 * quarter])
    return table, vectors, parts


def child(way: str, works: int, groups: int, k: int, dim: int) -> dict:
    from atlas.analysis import match_parts, pair_shares

    table, vectors, parts = inputs(works, groups, k, dim)
    Path("/proc/self/clear_refs").write_text("5")
    before = status_kb("VmRSS")
    start = time.perf_counter()
    if way.startswith("before"):  # the build's old call: the set of listed pairs was made before the call
        listed = match_parts.listed_pairs(table)
        found = match_parts.pair_shares(table.ids, vectors, () if way == "before-no-parts" else parts, listed)
        size = len(found) or len(listed)
    else:
        found = pair_shares.compute_shares(table, vectors, () if way == "after-no-parts" else parts)
        size = int(np.isfinite(found.listed[..., 0]).sum()) if found.families else 0
    seconds = time.perf_counter() - start
    return {"way": way, "works": works, "seconds": round(seconds, 2), "peak_mb": round((status_kb("VmHWM") - before) / 1024, 1),
            "pairs": size}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="why-this-match shares: dict against arrays")
    parser.add_argument("--works", default="10000")
    parser.add_argument("--groups", type=int, default=30)
    parser.add_argument("--k", type=int, default=6)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--ways", default=",".join(WAYS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, int(args.works), args.groups, args.k, args.dim)))
        return
    rows = []
    for works in [int(n) for n in args.works.split(",")]:
        for way in args.ways.split(","):
            load = os.getloadavg()[0]
            proc = subprocess.run([sys.executable, "-m", "benchmarks.why_shares", "--child", way, "--works", str(works),
                                   "--groups", str(args.groups), "--k", str(args.k), "--dim", str(args.dim)],
                                  check=True, capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
            row = dict(json.loads(proc.stdout.strip().splitlines()[-1]), groups=args.groups, k=args.k, dim=args.dim,
                       load=round(load, 2))
            rows.append(row)
            print(f"{works:>8,} {way:<15} {row['seconds']:>8} s  peak +{row['peak_mb']} MB  ({row['pairs']:,} pairs, load {row['load']})",
                  flush=True)
    out = RESULTS / "why_shares.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"rows": rows}, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
