"""The exact search's block size and column layout at 100k candidates, a few blocks projected to all queries.

    python -m benchmarks.search_blocks                      # 100,000 x 2,048, 20 cultures + 10 media
    python -m benchmarks.search_blocks --works 20000 --dim 512 --blocks 4

Random unit vectors in a plain array (no memory map), the groups of a synthetic collection (every row in one
culture and one medium), `--blocks` blocks of queries timed for each BLOCK_ELEMENTS setting, with every row a
candidate (the matrix used as it is, every group gathered: what the build does) and with one row in 20 left
out of every group (the candidates copied, the cultures laid out as runs of columns). Prints a table and
writes benchmarks/results/search_blocks.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from atlas.analysis import neighbours

RESULTS = Path(__file__).resolve().parent / "results"


def measure(vectors: np.ndarray, groups: list[np.ndarray], elements: int, blocks: int) -> dict:
    neighbours.BLOCK_ELEMENTS["cpu"] = elements
    candidates = neighbours.search_candidates(groups)
    step = neighbours.query_step(candidates, 4096, "cpu")
    queries = np.arange(min(len(vectors), step * blocks))
    start = time.perf_counter()
    neighbours.exact_search_groups(vectors, groups, 6, query_rows=queries)
    seconds = time.perf_counter() - start
    return {"block_mb": elements * 4 // 2**20, "queries_per_block": step, "candidates": candidates,
            "seconds": round(seconds, 2), "projected_s": round(seconds / len(queries) * len(vectors), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=2048)
    parser.add_argument("--blocks", type=int, default=6)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((args.works, args.dim), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    culture, medium = rng.integers(0, 20, args.works), rng.integers(0, 10, args.works)
    every = [np.flatnonzero(culture == c) for c in range(20)] + [np.flatnonzero(medium == m) for m in range(10)]
    some = [g[g % 20 != 0] for g in every]
    rows = []
    original = dict(neighbours.BLOCK_ELEMENTS)
    try:
        for layout, groups in (("every row a candidate (gathers)", every), ("19 in 20 (runs + gathers)", some)):
            for elements in (1 << 25, 1 << 26, 1 << 27):
                rows.append({"layout": layout, **measure(vectors, groups, elements, args.blocks)})
    finally:
        neighbours.BLOCK_ELEMENTS.update(original)
    print(f"| layout | block MB | queries a block | seconds ({args.blocks} blocks) | projected for {args.works:,} queries |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['layout']} | {r['block_mb']} | {r['queries_per_block']} | {r['seconds']} | {r['projected_s']} |")
    RESULTS.mkdir(exist_ok=True)
    out = {"works": args.works, "dim": args.dim, "blocks": args.blocks, "load": os.getloadavg()[0], "rows": rows}
    (RESULTS / "search_blocks.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
