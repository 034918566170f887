"""Conditional neighbours at scale: our search paths against scikit-learn and FAISS, same data, same run.

    pip install faiss-cpu                      # a peer for this benchmark only, not a project dependency
    python -m benchmarks.neighbours_scale --works 10000 --dim 2048
    python -m benchmarks.neighbours_scale --works 100000 --dim 256 --queries 5000

The task: for each query work, the top-k most similar works (cosine; unit vectors) within each of ~20
culture groups and ~10 medium groups of Zipf-like sizes (benchmarks/synthetic.py), the work itself
excluded. Vectors are clustered random unit vectors; `--dim 256` first reduces 2,048-d vectors with PCA,
as a build could. Every method answers the same queries (all works, or a fixed random `--queries` subset
at large N, stated in the output) and runs in its own process, so its peak memory is its own: peak is
VmHWM minus the resident size just before the search (the data already loaded, /proc/self/clear_refs
resetting the high-water mark). Recall@k is against the exact torch answer. The projected time for all
works is index time + query time x (works / queries): only the query part grows with the query count.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from atlas.analysis.neighbours import (
    ANN_EPSILON,
    ANN_GRAPH_NEIGHBOURS,
    EXACT_BUDGET,
    ann_search,
    checked_ann_search,
    choose_method,
    drop_self,
    exact_search_groups,
    group_members,
    recall_at_k,
)
from benchmarks.synthetic import CULTURES, MEDIA, clustered_vectors, group_labels

RESULTS = Path(__file__).resolve().parent / "results"
METHODS = [
    "atlas-exact-cpu", "atlas-exact-cuda", "atlas-auto-cpu", "atlas-ann-checked", "pynndescent", "sklearn-brute",
    "faiss-flat", "faiss-flat-default", "faiss-hnsw",
]
# FAISS's wheel bundles an OpenBLAS that does not recognise every CPU and then falls back to a slow generic
# kernel: the faiss methods run with OPENBLAS_CORETYPE (--openblas-coretype, Haswell by default) naming a
# kernel this CPU has; faiss-flat-default runs without it, so both kernels are in the table.
DEFAULT_KERNEL = ("faiss-flat-default",)
HNSW_M, HNSW_EF_SEARCH = 32, 128


# -- data ------------------------------------------------------------------------------------------
def make_data(works: int, dim: int, queries: int, folder: Path, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    culture = group_labels(works, CULTURES, rng)
    medium = group_labels(works, MEDIA, rng, exponent=1.1)
    raw_dim = max(dim, 2048)
    vectors = clustered_vectors(works, raw_dim, culture, np.random.default_rng(seed + 1))
    if dim < raw_dim:
        from sklearn.decomposition import PCA

        vectors = PCA(n_components=dim, svd_solver="randomized", random_state=seed).fit_transform(vectors)
        vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    np.save(folder / "vectors.npy", vectors)
    np.save(folder / "culture.npy", culture)
    np.save(folder / "medium.npy", medium)
    rows = np.arange(works) if queries >= works else np.sort(rng.choice(works, size=queries, replace=False))
    np.save(folder / "queries.npy", rows)
    sizes = {"culture": np.bincount(culture).tolist(), "medium": np.bincount(medium).tolist()}
    return {"group_sizes": sizes, "queries": len(rows)}


def load_groups(folder: Path) -> list[np.ndarray]:
    groups = []
    for name in ("culture", "medium"):
        labels = np.load(folder / f"{name}.npy")
        groups.extend(group_members([str(v) for v in labels]).values())
    return groups


# -- one method, in a child process --------------------------------------------------------------
def rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def run_child(method: str, folder: Path, k: int, threads: int, ann_min_group: int = 0) -> dict:
    import torch

    ANN_MIN_GROUP["works"] = ann_min_group
    torch.set_num_threads(threads)
    vectors = np.load(folder / "vectors.npy")
    groups = load_groups(folder)
    queries = np.load(folder / "queries.npy")
    warm_up(method)
    before = rss_kb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current resident size
    start = time.perf_counter()
    index_s, results, note = SEARCHES[method](vectors, groups, queries, k, threads)
    total = time.perf_counter() - start
    peak = rss_kb("VmHWM")
    np.save(folder / f"{method}.npy", np.stack([idx for idx, _ in results]))
    return {"method": method, "seconds": total, "index_seconds": index_s, "query_seconds": total - index_s,
            "peak_extra_mb": (peak - before) / 1024, "rss_before_mb": before / 1024, "note": note}


def warm_up(method: str) -> None:
    """Compile numba (pynndescent) / load libraries outside the timed part."""
    x = np.random.default_rng(0).standard_normal((300, 8)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    if method in ("pynndescent", "atlas-auto-cpu", "atlas-ann-checked"):
        ann_search(x, np.arange(300), 5)
    if method.startswith("faiss"):
        import faiss  # noqa: F401
    if method.startswith("atlas"):  # torch's first matmul starts its thread pool and maps MKL: not the search's cost
        wide = np.random.default_rng(1).standard_normal((3000, 512)).astype(np.float32)
        exact_search_groups(wide, [np.arange(3000)], 5)


def search_atlas_exact(device: str):
    def run(vectors, groups, queries, k, threads):
        import torch

        if device == "cuda":
            torch.cuda.synchronize()
        out = exact_search_groups(vectors, groups, k, device=device, query_rows=queries)
        return 0.0, out, f"one fused matmul per block, {device}"
    return run


ANN_MIN_GROUP = {"works": 0}  # --ann-min-group, set in the child (0: the config default)


def search_atlas_auto(vectors, groups, queries, k, threads, force_ann: bool = False):
    """What the build does on this machine with the default config (neighbours.method: auto), or with
    every group of at least ann_min_group works forced onto the checked approximate path."""
    from atlas.core.config import NeighboursConfig

    min_group = ANN_MIN_GROUP["works"] or NeighboursConfig().ann_min_group
    budget = 0 if force_ann else EXACT_BUDGET
    how = [choose_method("auto", len(g), min_group, "cpu", len(vectors), vectors.shape[1], budget) for g in groups]
    exact = iter(exact_search_groups(vectors, [g for g, m in zip(groups, how) if m == "exact"], k, query_rows=queries))
    out, notes = [], []
    for g, m in zip(groups, how):
        if m == "ann":
            idx, sim, used, note = checked_ann_search(vectors, g, k, query_rows=queries)
            out.append((idx, sim))
            notes.append(f"{len(g)} works: {used}, {note}")
        else:
            out.append(next(exact))
    chosen = f"checked pynndescent tried for {how.count('ann')} groups ({'; '.join(notes)})" if notes else "no group large enough for pynndescent"
    return 0.0, out, f"the build's choice: {chosen}, exact for {how.count('exact')}"


def search_atlas_ann_checked(vectors, groups, queries, k, threads):
    return search_atlas_auto(vectors, groups, queries, k, threads, force_ann=True)


def search_pynndescent(vectors, groups, queries, k, threads):
    from pynndescent import NNDescent

    out, index_s = [], 0.0
    for g in groups:
        t = time.perf_counter()
        want = min(k + 1, len(g))
        index = NNDescent(vectors[g], metric="cosine", n_neighbors=max(2, min(max(want, ANN_GRAPH_NEIGHBOURS), len(g) - 1)),
                          random_state=0, n_jobs=threads)
        index.prepare()
        index_s += time.perf_counter() - t
        pos, dist = index.query(vectors[queries], k=want, epsilon=ANN_EPSILON)
        out.append(drop_self(g[np.maximum(pos, 0)], 1.0 - dist, pos >= 0, k, queries))
    return index_s, out, f"per group, {ANN_GRAPH_NEIGHBOURS}-NN graph, epsilon {ANN_EPSILON}, n_jobs {threads}"


def search_sklearn(vectors, groups, queries, k, threads):
    from sklearn.neighbors import NearestNeighbors

    out, index_s = [], 0.0
    q = vectors[queries]
    for g in groups:
        want = min(k + 1, len(g))
        nn = NearestNeighbors(n_neighbors=want, algorithm="brute", metric="euclidean", n_jobs=threads).fit(vectors[g])
        dist, pos = nn.kneighbors(q)
        out.append(drop_self(g[pos], 1.0 - dist**2 / 2, np.ones_like(pos, bool), k, queries))
    return index_s, out, "NearestNeighbors(algorithm='brute') per group (euclidean = cosine order on unit vectors)"


def search_faiss(kind: str):
    def run(vectors, groups, queries, k, threads):
        import faiss

        faiss.omp_set_num_threads(threads)
        out, index_s = [], 0.0
        q = np.ascontiguousarray(vectors[queries])
        for g in groups:
            t = time.perf_counter()
            base = np.ascontiguousarray(vectors[g])
            if kind == "flat":
                index = faiss.IndexFlatIP(base.shape[1])
            else:
                index = faiss.IndexHNSWFlat(base.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
                index.hnsw.efSearch = HNSW_EF_SEARCH
            index.add(base)
            index_s += time.perf_counter() - t
            want = min(k + 1, len(g))
            sim, pos = index.search(q, want)
            out.append(drop_self(g[np.maximum(pos, 0)], sim, pos >= 0, k, queries))
        note = "IndexFlatIP per group" if kind == "flat" else f"IndexHNSWFlat per group, M {HNSW_M}, efSearch {HNSW_EF_SEARCH}"
        note += f", OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}"
        return index_s, out, note
    return run


SEARCHES = {
    "atlas-exact-cpu": search_atlas_exact("cpu"),
    "atlas-exact-cuda": search_atlas_exact("cuda"),
    "atlas-auto-cpu": search_atlas_auto,
    "atlas-ann-checked": search_atlas_ann_checked,
    "pynndescent": search_pynndescent,
    "sklearn-brute": search_sklearn,
    "faiss-flat": search_faiss("flat"),
    "faiss-flat-default": search_faiss("flat"),
    "faiss-hnsw": search_faiss("hnsw"),
}


# -- parent ----------------------------------------------------------------------------------------
def available(method: str) -> str:
    """'' when the method can run here, else why not."""
    if method == "atlas-exact-cuda":
        import torch

        return "" if torch.cuda.is_available() else "no GPU"
    if method.startswith("faiss"):
        try:
            import faiss  # noqa: F401
        except ImportError:
            return "faiss not installed (pip install faiss-cpu)"
    return ""


def run_method(method: str, folder: Path, args) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "benchmarks.neighbours_scale", "--child", method, "--data", str(folder),
               "--k", str(args.k), "--threads", str(args.threads), "--ann-min-group", str(args.ann_min_group)]
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    if method.startswith("faiss") and method not in DEFAULT_KERNEL and args.openblas_coretype:
        env["OPENBLAS_CORETYPE"] = args.openblas_coretype
    return subprocess.run(command, check=False, capture_output=True, text=True, timeout=args.timeout,
                          cwd=Path(__file__).resolve().parent.parent, env=env)


def recall(found: np.ndarray, exact: np.ndarray) -> float:
    """|found ∩ exact| / |exact| over every (group, query), ignoring padding (-1): (groups, queries, k) arrays."""
    return recall_at_k(found.reshape(-1, found.shape[-1]), exact.reshape(-1, exact.shape[-1]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="conditional neighbours: ours vs peers")
    parser.add_argument("--works", type=int, default=10000)
    parser.add_argument("--dim", type=int, default=2048)
    parser.add_argument("--queries", type=int, default=0, help="answer only this many random works (0 = all)")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--timeout", type=int, default=600, help="stop a method after this many seconds")
    parser.add_argument("--ann-min-group", type=int, default=0,
                        help="atlas-auto-cpu / atlas-ann-checked: smallest group for pynndescent (0 = the config default)")
    parser.add_argument("--openblas-coretype", default="Haswell",
                        help="OPENBLAS_CORETYPE for the faiss methods except faiss-flat-default ('' = unset)")
    parser.add_argument("--tag", default="", help="suffix for the results file name")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_child(args.child, args.data, args.k, args.threads, args.ann_min_group)))
        return
    methods = args.methods.split(",")
    rows = []
    with tempfile.TemporaryDirectory(prefix="nbench-") as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        data = make_data(args.works, args.dim, args.queries or args.works, folder)
        print(f"data: {args.works} works, d={args.dim}, {data['queries']} queries, groups {data['group_sizes']} "
              f"({time.perf_counter() - t:.0f} s to make)", flush=True)
        order = ["atlas-exact-cpu"] + [m for m in methods if m != "atlas-exact-cpu"]  # the reference first
        for method in order:
            why = available(method)
            if why:
                rows.append({"method": method, "skipped": why})
                print(f"{method}: skipped ({why})", flush=True)
                continue
            load = os.getloadavg()[0]
            try:
                proc = run_method(method, folder, args)
            except subprocess.TimeoutExpired:
                rows.append({"method": method, "skipped": f"stopped after {args.timeout} s"})
                print(f"{method}: stopped after {args.timeout} s", flush=True)
                continue
            if proc.returncode != 0:
                rows.append({"method": method, "skipped": "failed: " + proc.stderr.strip().splitlines()[-1]})
                print(f"{method}: failed\n{proc.stderr[-2000:]}", flush=True)
                continue
            row = json.loads(proc.stdout.strip().splitlines()[-1])
            row["load_before"] = round(load, 2)
            row["load_after"] = round(os.getloadavg()[0], 2)
            exact = np.load(folder / "atlas-exact-cpu.npy")
            row["recall_at_k"] = recall(np.load(folder / f"{method}.npy"), exact)
            row["projected_all_works_s"] = row["index_seconds"] + row["query_seconds"] * args.works / data["queries"]
            rows.append(row)
            print(f"{method}: {row['seconds']:.1f} s, recall {row['recall_at_k']:.4f}, peak +{row['peak_extra_mb']:.0f} MB "
                  f"(load {row['load_before']}->{row['load_after']})", flush=True)
    print_table(args, data, rows)
    out = RESULTS / f"neighbours_scale_{args.works}_{args.dim}{'_' + args.tag if args.tag else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "works": args.works, "dim": args.dim, "k": args.k, "threads": args.threads, "ann_min_group": args.ann_min_group, **data,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs", "results": rows,
    }, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out}")


def print_table(args, data, rows) -> None:
    print(f"\nN = {args.works}, d = {args.dim}, k = {args.k}, {data['queries']} queries x {sum(len(v) for v in data['group_sizes'].values())} groups")
    print(f"{'method':<18} {'index s':>8} {'query s':>8} {'all works s':>11} {'peak MB':>8} {'recall@k':>8}  note")
    done = [r for r in rows if "skipped" not in r]
    best_peer = min((r["projected_all_works_s"] for r in done if not r["method"].startswith("atlas")), default=None)
    for r in rows:
        if "skipped" in r:
            print(f"{r['method']:<18} skipped: {r['skipped']}")
            continue
        ratio = f"  {r['projected_all_works_s'] / best_peer:.2f}x best peer" if best_peer and r["method"].startswith("atlas") else ""
        print(f"{r['method']:<18} {r['index_seconds']:>8.1f} {r['query_seconds']:>8.1f} {r['projected_all_works_s']:>11.1f} "
              f"{r['peak_extra_mb']:>8.0f} {r['recall_at_k']:>8.4f}  {r['note']}{ratio}")


if __name__ == "__main__":
    main()
