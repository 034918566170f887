"""The exact conditional neighbour search on a device, against a float32 matrix multiply of the same size.

    python -m benchmarks.gpu_search --device cuda --sizes 100000,1000000 --dim 2048
    python -m benchmarks.gpu_search --device cpu --sizes 20000            # what a machine without a GPU can do

For each size n: n random unit vectors of `dim` float32 (made on the device with a fixed seed), split into
`groups` random groups plus "all works", the search the build runs (atlas.analysis.neighbours.
exact_search_groups: every work a query, top-k in each group, itself excluded), timed end to end (host
arrays in, host arrays out, as the build calls it). The ceiling is the same float32 product the search
must compute, query blocks of the same shape against the same candidates, with nothing else: no top-k,
no gather, no copy back. `--baseline-share` times the ceiling on the first share of the query blocks only
and scales it up (the product costs the same per block); the JSON says which share was timed.
TF32 is off (torch's default for matmul): the search is exact float32.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from atlas.analysis.neighbours import BLOCK_ELEMENTS, exact_search_groups

RESULTS = Path(__file__).resolve().parent / "results"


def sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def unit_vectors(n: int, dim: int, device: str, seed: int = 0) -> np.ndarray:
    """n x dim float32 unit rows, made on the device (1M x 2048 takes seconds there, minutes in numpy)."""
    import torch

    generator = torch.Generator(device=device).manual_seed(seed)
    out = np.empty((n, dim), dtype=np.float32)
    step = 1 << 16
    for start in range(0, n, step):
        rows = torch.randn(min(step, n - start), dim, device=device, generator=generator)
        out[start:start + len(rows)] = torch.nn.functional.normalize(rows, dim=1).cpu().numpy()
    return out


def timed_search(vectors: np.ndarray, groups: list[np.ndarray], k: int, device: str) -> tuple[float, list]:
    sync(device)
    start = time.perf_counter()
    result = exact_search_groups(vectors, groups, k, device=device)
    sync(device)
    return time.perf_counter() - start, result


def timed_product(vectors: np.ndarray, device: str, share: float) -> tuple[float, float]:
    """Seconds for the query-block products the search does (base already on the device), and the share timed."""
    import torch

    n = len(vectors)
    step = max(1, min(4096, BLOCK_ELEMENTS.get(device.split(":")[0], 1 << 26) // n))
    base = torch.from_numpy(vectors).to(device)
    blocks = list(range(0, n, step))
    timed_blocks = blocks[:max(1, round(len(blocks) * share))]
    (base[:step] @ base.T).sum().item()  # warm-up: cuBLAS picks its kernel
    sync(device)
    start = time.perf_counter()
    for begin in timed_blocks:
        sims = base[begin:begin + step] @ base.T
    del sims
    sync(device)
    seconds = time.perf_counter() - start
    del base
    return seconds * len(blocks) / len(timed_blocks), len(timed_blocks) / len(blocks)


def measure(n: int, dim: int, groups: int, k: int, device: str, share: float) -> dict:
    import torch

    made = time.perf_counter()
    vectors = unit_vectors(n, dim, device)
    labels = np.random.default_rng(1).integers(0, groups, n)
    members = [np.flatnonzero(labels == g) for g in range(groups)] + [np.arange(n)]
    made = time.perf_counter() - made
    search_s, result = timed_search(vectors, members, k, device)
    if device.startswith("cuda"):
        peak = torch.cuda.max_memory_allocated() / 2**30
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    else:
        peak = float("nan")
    product_s, timed_share = timed_product(vectors, device, share)
    flops = 2.0 * n * n * dim
    assert all((idx[:, 0] >= 0).all() for idx, _ in result[-1:])  # every work found a neighbour among all
    return {
        "works": n, "dim": dim, "groups": groups + 1, "k": k, "device": device,
        "data_s": round(made, 2), "search_s": round(search_s, 2), "product_s": round(product_s, 2),
        "product_share_timed": round(timed_share, 3), "search_over_product": round(search_s / product_s, 3),
        "product_tflops": round(flops / product_s / 1e12, 3), "search_tflops_equiv": round(flops / search_s / 1e12, 3),
        "queries_per_s": round(n / search_s), "peak_gpu_gib": round(peak, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="exact conditional search vs the float32 product of the same size")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--dim", type=int, default=2048)
    parser.add_argument("--groups", type=int, default=8, help="random groups besides 'all works'")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--baseline-share", type=float, default=1.0, help="share of query blocks the ceiling times")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    import torch

    torch.backends.cuda.matmul.allow_tf32 = False
    rows, skipped = [], []
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        skipped = [f"{n} x {args.dim} on cuda: no CUDA GPU" for n in args.sizes.split(",")]
        print("skipped: no CUDA GPU on this machine")
    else:
        print(f"{'works':>9} {'dim':>5} {'search s':>9} {'product s':>10} {'ratio':>6} {'TFLOP/s':>8} {'queries/s':>10}")
        for n in (int(s) for s in args.sizes.split(",")):
            row = measure(n, args.dim, args.groups, args.k, args.device, args.baseline_share)
            rows.append(row)
            print(f"{n:>9} {args.dim:>5} {row['search_s']:>9.2f} {row['product_s']:>10.2f} "
                  f"{row['search_over_product']:>6.2f} {row['product_tflops']:>8.1f} {row['queries_per_s']:>10}",
                  flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"gpu_search_{args.device.split(':')[0]}.json"
    out.write_text(json.dumps({
        "device": args.device, "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "",
        "torch": torch.__version__, "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "tf32": torch.backends.cuda.matmul.allow_tf32, "results": rows, "skipped": skipped,
    }, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
