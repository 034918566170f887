"""Benchmark: a clean build of the bundled sample, then a no-change rebuild.

Prints a table and writes benchmarks/results/sample_build.json: time per stage, the same-subject rate of
cross-culture top-1 analogies (the sample records each work's true subject), and the site's size.

    python benchmarks/sample_build.py [--config site.yaml] [--model resnet50] [--image-size 224]
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import tempfile
import time
from pathlib import Path

import torch

from atlas.build import build
from atlas.core.config import load_config
from atlas.site import urls
from atlas.site.work_json import read_work_json

HERE = Path(__file__).resolve().parent


def same_subject_rate(site: Path, csv_path: Path) -> tuple[float, float]:
    """(cross-culture, same-culture) share of top-1 analogies that show the work's own subject."""
    with open(csv_path, encoding="utf-8") as fh:
        subject = {row["id"]: row["subject"] for row in csv.DictReader(fh)}
    cross = [0, 0]
    same = [0, 0]
    for work_id in subject:
        data = read_work_json((site / urls.work_data_path(work_id)).read_bytes())
        for group, pairs in data["analogies"].get("culture", {}).items():
            tally = same if group == data["culture"] else cross
            tally[0] += subject[pairs[0][0]] == subject[work_id]
            tally[1] += 1
    return cross[0] / cross[1], same[0] / same[1]


def site_bytes(site: Path) -> tuple[int, int]:
    files = [p for p in site.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=str(HERE.parent / "site.yaml"))
    parser.add_argument("--model")
    parser.add_argument("--image-size", type=int)
    parser.add_argument("--out", default=str(HERE / "results" / "sample_build.json"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        overrides = {"output": f"{tmp}/site", "cache": f"{tmp}/cache", "collection.path": f"{tmp}/sample"}
        if args.model:
            overrides["embedding.model"] = args.model
        if args.image_size:
            overrides["embedding.image_size"] = args.image_size
        config = load_config(args.config, overrides)
        start = time.perf_counter()
        first = build(config)
        clean_s = time.perf_counter() - start
        start = time.perf_counter()
        second = build(config)
        rebuild_s = time.perf_counter() - start
        cross, same = same_subject_rate(config.output_dir, Path(tmp) / "sample" / "collection.csv")
        n_files, n_bytes = site_bytes(config.output_dir)

    result = {
        "machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads, "
        f"{'CUDA ' + torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'CPU only'}",
        "model": f"{config.embedding.model} @ {config.embedding.image_size}px, {first.model['weights_used']}",
        "works": first.counts["works_published"],
        "clean_build_s": round(clean_s, 1),
        "clean_stages_s": first.timings,
        "no_change_rebuild_s": round(rebuild_s, 1),
        "rebuild_stages_s": second.timings,
        "rebuild_embedded": second.counts["images_embedded_now"],
        "cross_culture_same_subject_top1": round(cross, 3),
        "same_culture_same_subject_top1": round(same, 3),
        "chance": 0.125,
        "pages": first.counts["pages"],
        "site_files": n_files,
        "site_bytes": n_bytes,
    }
    print(f"{'measure':<36} value")
    for key, value in result.items():
        print(f"{key:<36} {value}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
