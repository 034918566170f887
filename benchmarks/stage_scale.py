"""Each slow stage alone at N synthetic works: seconds, peak memory, and optionally a profile.

    python -m benchmarks.stage_scale --works 10000,30000
    python -m benchmarks.stage_scale --works 10000 --stages surprises --profile

The whole 100k build takes half an hour on two cores (build_memory.py), too long to try a change against;
this runs one stage at a time, through the build's own function for it, on the synthetic collection of
benchmarks/synthetic.py (Zipf-sized 20 cultures and 10 media, clustered unit vectors of --dim dimensions,
tiny distinct JPEGs for the thumbnails). Each stage runs in its own child process, so its peak is its own:
the child loads the vectors (a memory map of a .npy file) and rebuilds the records, resets the kernel's
resident-size high-water mark (/proc/self/clear_refs), runs the stage and reads VmHWM; a thread samples
the anonymous part (RssAnon), the memory the stage cannot give back. "peak MB" is the stage's peak RSS less
the RSS just before it; "anon MB" the same for the anonymous part.

Stages: thumbnails (two sizes from an empty cache), neighbours (exact, 30 groups, k = 6, no stored result),
surprises (the galleries, overall neighbours merged from the analogies, which are made before the clock
starts), surprises-whole (the same, searching the whole collection again as before; both print the sha256
of the surprises JSON, which must be the same), patterns, hdbscan (the patterns' clustering alone, on
their 20 PCA dimensions made before the clock starts) (PCA + HDBSCAN), probes (the
culture, medium and date probes with cross-fitted guesses), map (PCA layout + clusters).

With several sizes the script fits each stage's growth rate (the slope of log seconds over log works) and
projects it to --project works (1,000,000). Results: benchmarks/results/stage_scale[_TAG].json.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import math
import os
import platform
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.build_memory import AnonSampler, status_kb
from benchmarks.synthetic import CULTURES, MEDIA, clustered_vectors, group_labels, tiny_jpeg

RESULTS = Path(__file__).resolve().parent / "results"
STAGES = ["thumbnails", "neighbours", "surprises", "surprises-whole", "patterns", "hdbscan", "probes", "map"]


# -- the data --------------------------------------------------------------------------------------------
def prepare(folder: Path, works: int, dim: int, images: bool, seed: int = 0) -> None:
    """vectors.npy (clustered unit vectors) and, when asked, one tiny JPEG per work under images/."""
    rng = np.random.default_rng(seed)
    cultures = group_labels(works, CULTURES, rng)
    np.save(folder / "vectors.npy", clustered_vectors(works, dim, cultures, np.random.default_rng(seed + 1)))
    if images:
        for i in range(works):
            path = image_path(folder, i)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(tiny_jpeg(rng, i))


def image_path(folder: Path, i: int) -> Path:
    return folder / "images" / f"{i % 1000:03d}" / f"syn{i:07d}.jpg"


def records(folder: Path, works: int, seed: int = 0) -> list:
    """The same labels, dates and artists every run (a seeded generator), culture and medium normalised."""
    from atlas.core.records import Record

    rng = np.random.default_rng(seed)
    culture = group_labels(works, CULTURES, rng)
    medium = group_labels(works, MEDIA, rng, exponent=1.1)
    years = rng.integers(-1500, 2000, size=works)
    return [
        Record(id=f"syn{i:07d}", title=f"Synthetic work {i}", artist=f"Artist {i % 997}", date_text=str(int(years[i])),
               date_begin=int(years[i]), date_end=int(years[i]), culture_raw=CULTURES[culture[i]],
               medium_raw=MEDIA[medium[i]], culture=CULTURES[culture[i]], medium=MEDIA[medium[i]],
               image_path=image_path(folder, i))
        for i in range(works)
    ]


# -- the stages ------------------------------------------------------------------------------------------
def stage_inputs(name: str, folder: Path, works: list, vectors: np.ndarray) -> dict:
    """What a stage takes from the stages before it, made before its clock starts: the images' digests
    (thumbnails), the analogies (surprises merges its overall neighbours from them; surprises-whole is
    the same stage searching the whole collection again, as it did before)."""
    if name == "thumbnails":
        from atlas.core.cache import file_digest

        return {"digests": {r.id: file_digest(r.image_path) for r in works}}
    if name == "surprises":
        from atlas.analysis.neighbour_stage import find_neighbours
        from atlas.core.config import NeighboursConfig

        conditions = {"culture": [w.culture for w in works], "medium": [w.medium for w in works]}
        found = find_neighbours(folder / "stage", [w.id for w in works], vectors, conditions, NeighboursConfig(k=6),
                                "cpu", full=True)
        return {"analogies": found.analogies}
    if name == "hdbscan":
        from atlas.analysis.patterns import SEED
        from atlas.analysis.reduce import pca
        from atlas.core.config import PatternsConfig

        return {"features": pca(vectors, PatternsConfig().pca_dims, SEED)}
    return {}


def run_stage(name: str, folder: Path, works: list, vectors: np.ndarray, inputs: dict) -> str:
    """Run one stage as the build does; returns a one-line summary of what it produced."""
    from atlas.core.config import NeighboursConfig, PatternsConfig, ProbesConfig

    conditions = {"culture": [w.culture for w in works], "medium": [w.medium for w in works]}
    if name == "thumbnails":
        from atlas.ingest.thumbnails import make_thumbnails

        files, _, problems, made = make_thumbnails(works, inputs["digests"], [200, 600], 82, folder / "cache")
        return f"{made} made, {len(problems)} problems"
    if name == "neighbours":
        from atlas.analysis.neighbour_stage import find_neighbours

        found = find_neighbours(folder / "stage", [w.id for w in works], vectors, conditions, NeighboursConfig(k=6),
                                "cpu", full=True)
        return f"{len(found.searches)} groups"
    if name.startswith("surprises"):
        from atlas.analysis.surprises import find_surprises
        from atlas.core.jsonio import json_bytes

        cfg, table = ProbesConfig(), inputs.get("analogies")
        found = find_surprises(works, vectors, {}, cfg.neighbours, cfg.surprises, analogies=table, exact=table is not None)
        digest = hashlib.sha256(json_bytes(found.to_json())).hexdigest()[:12]
        return f"{len(found.cross_cultural)} cross-cultural, JSON sha256 {digest}"
    if name == "patterns":
        from atlas.analysis.patterns import find_patterns

        return f"{len(find_patterns(works, vectors, PatternsConfig()))} patterns"
    if name == "hdbscan":
        from atlas.analysis.patterns import _cluster

        labels = _cluster(inputs["features"], PatternsConfig())
        return f"{labels.max() + 1} clusters"
    if name == "probes":
        from atlas.analysis.probes import run_probes

        report = run_probes(works, vectors, ProbesConfig())
        return f"{len(report.guesses)} works guessed"
    if name == "map":
        from atlas.analysis.clusters import cluster_map
        from atlas.core.config import MapConfig

        cmap = cluster_map([w.id for w in works], vectors, conditions["culture"], conditions["medium"],
                           MapConfig(layout="pca"))
        return f"{len(cmap.clusters)} clusters"
    raise ValueError(f"unknown stage {name!r}")


def child(name: str, folder: Path, works: int, profile: bool) -> dict:
    """One stage in this process: seconds, peak RSS and anonymous memory above what was there before."""
    from atlas.core.config import NeighboursConfig  # noqa: F401  (imports paid before the clock starts)

    vectors = np.load(folder / "vectors.npy", mmap_mode="r")
    recs = records(folder, works)
    made = time.perf_counter()
    inputs = stage_inputs(name, folder, recs, vectors)
    inputs_s = time.perf_counter() - made  # surprises: the whole neighbour search, as a figure of its own
    import torch  # noqa: F401  (the build has it loaded long before these stages: not their cost)

    Path("/proc/self/clear_refs").write_text("5")
    before, sampler = status_kb("VmRSS"), AnonSampler()
    anon_before = sampler.reset()
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    summary = run_stage(name, folder, recs, vectors, inputs)
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - start
    peak, anon = status_kb("VmHWM"), sampler.reset()
    sampler.stop()
    out = {"stage": name, "seconds": round(seconds, 2), "peak_mb": round((peak - before) / 1024, 1),
           "anon_mb": round((anon - anon_before) / 1024, 1), "rss_before_mb": round(before / 1024, 1), "summary": summary,
           "inputs_s": round(inputs_s, 2)}
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(30)
        out["profile"] = text.getvalue()
    return out


# -- growth and projection -------------------------------------------------------------------------------
def growth(sizes: list[int], values: list[float]) -> float | None:
    """The exponent b of value ~ a * works^b, fitted by least squares on the logs (None with < 2 sizes)."""
    points = [(math.log(n), math.log(v)) for n, v in zip(sizes, values) if v > 0]
    if len(points) < 2:
        return None
    xs, ys = zip(*points)
    return float(np.polyfit(xs, ys, 1)[0])


def project(sizes: list[int], values: list[float], target: int) -> float | None:
    """The largest size's value scaled to `target` by the fitted exponent."""
    b = growth(sizes, values)
    return None if b is None else values[-1] * (target / sizes[-1]) ** b


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="each slow stage alone at N synthetic works")
    parser.add_argument("--works", default="10000,30000", help="comma-separated sizes")
    parser.add_argument("--dim", type=int, default=2048)
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument("--profile", action="store_true", help="print each stage's cProfile (top 30, cumulative)")
    parser.add_argument("--project", type=int, default=1_000_000)
    parser.add_argument("--timeout", type=int, default=900, help="seconds a stage may take before it is abandoned")
    parser.add_argument("--tag", default="")
    parser.add_argument("--append", action="store_true", help="add to the rows already in the results file (other sizes)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.folder, int(args.works), args.profile)))
        return
    sizes, stages = [int(n) for n in args.works.split(",")], args.stages.split(",")
    rows = []
    for works in sizes:
        with tempfile.TemporaryDirectory(prefix="stage-scale-") as tmp:
            start = time.perf_counter()
            prepare(Path(tmp), works, args.dim, images="thumbnails" in stages)
            print(f"{works:,} works x {args.dim} ready in {time.perf_counter() - start:.0f} s", flush=True)
            for name in stages:
                rows.append(run_child(name, Path(tmp), works, args))
    out = RESULTS / f"stage_scale{'_' + args.tag if args.tag else ''}.json"
    if args.append and out.exists():
        ran = {(r["works"], r["stage"]) for r in rows}
        kept = [r for r in json.loads(out.read_text())["rows"] if (r["works"], r["stage"]) not in ran]
        rows = kept + rows
        sizes = sorted({r["works"] for r in rows})
        stages = list(dict.fromkeys(r["stage"] for r in rows))
    report(rows, sizes, stages, args, out)


def run_child(name: str, folder: Path, works: int, args) -> dict:
    load = os.getloadavg()[0]
    cmd = [sys.executable, "-m", "benchmarks.stage_scale", "--child", name, "--folder", str(folder),
           "--works", str(works)] + (["--profile"] if args.profile else [])
    try:
        proc = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=args.timeout,
                              cwd=Path(__file__).resolve().parent.parent)
        row = json.loads(proc.stdout.strip().splitlines()[-1])
    except subprocess.TimeoutExpired:
        row = {"stage": name, "seconds": None, "summary": f"over {args.timeout} s: abandoned"}
    row.update(works=works, dim=args.dim, load_before=round(load, 2), load_after=round(os.getloadavg()[0], 2))
    print(f"  {name:<15} {row['seconds'] or '-':>8} s  (inputs {row.get('inputs_s', '-')} s)  peak +{row.get('peak_mb', '-')} MB  anon +{row.get('anon_mb', '-')} MB"
          f"  load {row['load_before']}->{row['load_after']}  ({row['summary']})", flush=True)
    if row.get("profile"):
        print(row["profile"])
    return row


def report(rows: list[dict], sizes: list[int], stages: list[str], args, out: Path) -> None:
    print(f"\n{'stage':<15} " + " ".join(f"{n:>10,}" for n in sizes) + f" {'growth':>7} {'at ' + format(args.project, ','):>12}")
    fits = {}
    for name in stages:
        mine = sorted((r for r in rows if r["stage"] == name and r.get("seconds")), key=lambda r: r["works"])
        ns, secs = [r["works"] for r in mine], [r["seconds"] for r in mine]
        mbs = [max(r["peak_mb"], 1e-3) for r in mine]
        fits[name] = {"time_exponent": growth(ns, secs), "projected_s": project(ns, secs, args.project),
                      "memory_exponent": growth(ns, mbs), "projected_peak_mb": project(ns, mbs, args.project)}
        cells = " ".join(f"{next((r['seconds'] for r in mine if r['works'] == n), float('nan')):>10.1f}" for n in sizes)
        b, p = fits[name]["time_exponent"], fits[name]["projected_s"]
        print(f"{name:<15} {cells} {'-' if b is None else f'{b:.2f}':>7} {'-' if p is None else f'{p:,.0f}':>12}")
    out.parent.mkdir(parents=True, exist_ok=True)
    for row in rows:
        row.pop("profile", None)
    out.write_text(json.dumps({"rows": rows, "fits": fits, "dim": args.dim, "project": args.project,
                               "machine": f"{platform.machine()}, {os.cpu_count()} CPUs"}, indent=2, sort_keys=True) + "\n",
                   encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
