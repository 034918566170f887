"""Benchmark: the same cold build with engine.kind local, on a private Ray runtime, and on a two-node cluster.

Builds the bundled sample (its first --limit works; untrained ResNet-18 at 128 px, as the tests embed)
three times from an empty cache, and prints the time per stage, Ray's overhead against the local build,
what ran where (the build report's engine notes) and whether every published file is byte-identical to
the local build's. Writes benchmarks/results/ray_engine.json. The two-node cluster is made on this
machine (tests/ray_support.py: `ray start --head` plus a second `ray start --address`) and ended again.

    python -m benchmarks.ray_engine [--limit 240] [--cpus-per-node 2] [--no-two-nodes]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import yaml

from atlas.build import build
from atlas.core.config import load_config

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STAGES = ("images", "embed", "thumbnails", "neighbours", "quality", "map", "probes", "heatmaps", "surprises", "pages")


def config_for(folder: Path, limit: int, engine: dict):
    base = yaml.safe_load((ROOT / "site.yaml").read_text(encoding="utf-8"))
    base.update(output=str(folder / "site"), cache=str(folder / "cache"), base_url="/atlas/",
                collection={"format": "sample", "path": str(folder / "sample"), "limit": limit},
                embedding={"model": "resnet18", "weights": "none", "image_size": 128, "batch_size": 64},
                pairings={"file": str(ROOT / "pairings.yaml"), "budget": 60}, engine=engine)
    (folder / "site.yaml").write_text(yaml.safe_dump(base, sort_keys=False), encoding="utf-8")
    return load_config(folder / "site.yaml")


def site_digest(site: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        h.update(path.relative_to(site).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def run(name: str, folder: Path, limit: int, engine: dict) -> dict:
    folder.mkdir(parents=True)
    config = config_for(folder, limit, engine)
    start = time.perf_counter()
    report = build(config)
    total = time.perf_counter() - start
    return {"name": name, "seconds": round(total, 1), "stages": {s: report.timings.get(s, 0.0) for s in STAGES},
            "engine": [n for n in report.notes if n.startswith("engine: ")], "site": site_digest(config.output_dir),
            "works": report.counts["works_published"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=240, help="sample works built (default 240 of 480)")
    parser.add_argument("--cpus-per-node", type=int, default=2)
    parser.add_argument("--no-two-nodes", action="store_true")
    parser.add_argument("--out", default=str(HERE / "results" / "ray_engine.json"))
    args = parser.parse_args()

    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        runs.append(run("local", Path(tmp) / "local", args.limit, {"kind": "local"}))
        runs.append(run("ray, private runtime", Path(tmp) / "ray", args.limit, {"kind": "ray"}))
        if not args.no_two_nodes:
            runs.append(two_node_run(Path(tmp) / "two", args))
    local = runs[0]
    print(f"{'stage':<12}" + "".join(f"{r['name']:>24}" for r in runs))
    for stage in (*STAGES, "total"):
        cells = [r["seconds"] if stage == "total" else r["stages"][stage] for r in runs]
        print(f"{stage:<12}" + "".join(f"{c:>23.1f}s" for c in cells))
    for r in runs[1:]:
        r["overhead_seconds"] = round(r["seconds"] - local["seconds"], 1)
        r["identical_to_local"] = r["site"] == local["site"]
        print(f"{r['name']}: {r['overhead_seconds']:+.1f} s against local; site identical: {r['identical_to_local']}")
        for note in r["engine"]:
            print(f"  {note}")
    result = {"works": local["works"], "machine": platform.platform(), "cpus": os.cpu_count(),
              "load_average_1min": round(os.getloadavg()[0], 1), "runs": runs}
    Path(args.out).write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


def two_node_run(folder: Path, args) -> dict:
    from tests.ray_support import RAY_ENV, start_two_nodes, stop_cluster

    os.environ.update(RAY_ENV)
    cluster = start_two_nodes(args.cpus_per_node)
    try:
        return run("ray, two nodes", folder, args.limit, {"kind": "ray", "address": cluster.address})
    finally:
        stop_cluster(cluster)


if __name__ == "__main__":
    main()
