"""Benchmark: what the probes, patterns and (optionally) fine-tuning give on the bundled sample.

Builds the sample (default site.yaml: resnet50 @ 224 px; untrained where no weights can be had), with the
sample's `subject` column probed as an extra label, then prints a table and writes
benchmarks/results/probes.json: culture / medium / subject top-1 and top-3 accuracy against the
majority-class baseline, the date model's mean absolute error against the median-year baseline, the
number of visual-pattern clusters and the time of each new stage. With --finetune N it then fine-tunes
the backbone for N epochs on the culture probe's training works and builds again with the tuned weights.

    python benchmarks/probes.py [--model resnet18 --image-size 128] [--workdir DIR] [--finetune 3]

--workdir keeps the sample, the cache and the site there (reused by the next run: embeddings cached).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout: `python benchmarks/probes.py`

from atlas.build import build
from atlas.core.config import load_config

STAGES = ("embed", "probes", "heatmaps", "patterns", "surprises")


def figures(site: Path, report) -> dict:
    probes = json.loads((site / "data" / "probes.json").read_text(encoding="utf-8"))
    row = {"weights": report.model["weights_used"]}
    for name, p in probes["classifiers"].items():
        if p["available"]:
            row[name] = {k: p[k] for k in ("top1", "top3", "majority_baseline", "train", "test")}
            row[name]["classes"] = len(p["classes"])
    date = probes["date"]
    row["date"] = {k: date[k] for k in ("mae", "median_error", "baseline_mae", "train", "test")}
    row["patterns"] = report.counts.get("patterns", 0)
    row["stages_s"] = {k: report.timings.get(k) for k in STAGES}
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=str(HERE.parent / "site.yaml"))
    parser.add_argument("--model")
    parser.add_argument("--image-size", type=int)
    parser.add_argument("--workdir", help="folder for the sample, cache and site (default: a temporary one)")
    parser.add_argument("--finetune", type=int, default=0, help="also fine-tune this many epochs and build again")
    parser.add_argument("--out", default=str(HERE / "results" / "probes.json"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.workdir).resolve() if args.workdir else Path(tmp)
        overrides = {"output": f"{work}/site", "cache": f"{work}/cache", "collection.path": f"{work}/sample",
                     "probes.labels": ["subject"]}
        if args.model:
            overrides["embedding.model"] = args.model
        if args.image_size:
            overrides["embedding.image_size"] = args.image_size
        config = load_config(args.config, overrides)
        start = time.perf_counter()
        report = build(config)
        result = {
            "machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads, "
            f"{'CUDA ' + torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'CPU only'}",
            "model": f"{config.embedding.model} @ {config.embedding.image_size}px",
            "build_s": round(time.perf_counter() - start, 1),
            "base": figures(config.output_dir, report),
        }
        if args.finetune:
            from atlas.vectors.finetune import FinetuneSettings, finetune

            checkpoint = work / "finetuned.pt"
            summary = finetune(config, FinetuneSettings(checkpoint, epochs=args.finetune))
            result["finetune"] = {k: v for k, v in summary.items() if k != "out"}
            config = load_config(args.config, dict(overrides, **{"embedding.weights": str(checkpoint)}))
            result["tuned"] = figures(config.output_dir, build(config))

    for part in ("base", "tuned"):
        if part in result:
            print(f"\n{part}: {result['model']}, {result[part]['weights']}")
            print(f"{'probe':<10} {'top-1':>7} {'top-3':>7} {'majority':>9} {'train/test':>11}")
            for name in ("culture", "medium", "subject"):
                p = result[part].get(name)
                if p:
                    top3 = f"{p['top3']:.3f}" if p["top3"] is not None else "-"
                    print(f"{name:<10} {p['top1']:>7.3f} {top3:>7} {p['majority_baseline']:>9.3f} {p['train']:>5}/{p['test']}")
            d = result[part]["date"]
            print(f"date MAE {d['mae']} years (median-year baseline {d['baseline_mae']}), patterns {result[part]['patterns']}")
            print(f"stages (s): {result[part]['stages_s']}")
    if "finetune" in result:
        print(f"\nfine-tuning: {result['finetune']}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
