"""Benchmark: full build vs no-change rebuild vs one-change rebuilds, into the same output folder.

For the sample (default) the collection is generated into a temporary folder, so its images can be
edited; the cache starts empty, so the full build embeds every image. For another collection (--config)
the collection's folder is copied into the temporary folder first; with --keep-embeddings the config's
own embedding cache is used (for synthetic collections whose vectors were injected into the cache), and
"full" means every other stage cache and the output start empty.

Prints a table and writes benchmarks/results/rebuilds[-<name>].json:

    python -m benchmarks.rebuilds                          # the sample, untrained ResNet-50 at 224 px
    python -m benchmarks.rebuilds --config DIR/site.yaml --keep-embeddings --name synthetic-10k

A 10k full build takes ~15 minutes, so the rebuilds can be measured again without one: `--work-dir W` keeps
the collection copy, cache and output in W (not a temporary folder) and stores the full build's figures in
W/full.json; a later run with `--work-dir W --reuse-full` takes "full" from there, makes one untimed settling
build (the code may have changed since, which re-renders pages: it is reported as "settle", not as a rebuild),
then measures no change, one image and one title as before (and one image again: see CHANGES). The one-image change mirrors the same image again
and the one-title change appends " (retitled)" again: each is still exactly one changed record.

(Run it as a module from the repository root, so that it imports this checkout's atlas.)
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageOps

from atlas.build import build
from atlas.core.config import load_config

HERE = Path(__file__).resolve().parent


def work_overrides(source, tmp, copy: bool) -> dict[str, str]:
    """The config overrides that build `source`'s collection in the work folder `tmp` (output, cache, and a
    copy of the collection, made now when `copy`; a sample is generated there by the build itself)."""
    overrides = {"output": f"{tmp}/site", "cache": f"{tmp}/cache"}
    if source.collection.format == "sample":
        overrides["collection.path"] = f"{tmp}/sample"
        return overrides
    collection = source.resolve(source.collection.path)
    folder = collection if collection.is_dir() else collection.parent
    if copy:
        shutil.rmtree(f"{tmp}/collection", ignore_errors=True)
        shutil.copytree(folder, f"{tmp}/collection")
    overrides["collection.path"] = f"{tmp}/collection" + ("" if collection.is_dir() else f"/{collection.name}")
    if source.collection.image_folder:
        overrides["collection.image_folder"] = f"{tmp}/collection"
    return overrides


def timed_build(config) -> tuple[float, dict]:
    """One build, timed. The disk's dirty pages are written out first (os.sync, untimed), so the writeback of the
    build before (a full build leaves a gigabyte of it at 10k works) does not land in this build's renames and
    reads: each build is timed on its own work."""
    if hasattr(os, "sync"):
        os.sync()
    start = time.perf_counter()
    report = build(config)
    seconds = time.perf_counter() - start
    return seconds, {
        "seconds": round(seconds, 2),
        "stages_s": report.timings,
        "embedded": report.counts["images_embedded_now"],
        "files_written": report.counts["files_written"],
        "files_unchanged": report.counts["files_unchanged"],
        "reused": [d.stage for d in report.decisions if d.reused],
        "adapted": [d.stage for d in report.decisions if d.reason.startswith("adapted")],  # atlas.core.near_reuse
        "pages_kept": report.counts.get("pages_kept", 0),  # atlas.site.page_keys: not rendered again
        "pages_rendered_keyed": report.counts.get("pages_rendered_keyed", 0),
    }


def change_image(config) -> str:
    """Mirror the first work's image in place: one record whose bytes changed."""
    rows = _rows(config)
    path = config.resolve(config.collection.path)
    folder = path if path.is_dir() else path.parent
    image = folder / rows[0]["image"] if rows[0].get("image") else next(folder.glob(f"images/{rows[0]['id']}.*"))
    with Image.open(image) as img:
        ImageOps.mirror(img.convert("RGB")).save(image, quality=90)
    return rows[0]["id"]


def change_title(config) -> str:
    """Retitle the second work: a metadata-only change."""
    path = _csv_path(config)
    rows = _rows(config)
    rows[1]["title"] = rows[1]["title"] + " (retitled)"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows[1]["id"]


# In this order by default. The first rebuild to publish after the full build stages into a new folder; every
# later one stages into the spare, the site the one before replaced (atlas.site.writer), as a nightly build
# does from its second run on: "..._again" measures that steady state for the one-image change too.
CHANGES = {"no_change": lambda config: None, "one_image_changed": change_image, "one_title_changed": change_title,
           "one_image_changed_again": change_image}


def _csv_path(config) -> Path:
    path = config.resolve(config.collection.path)
    return path / "collection.csv" if path.is_dir() else path


def _rows(config) -> list[dict]:
    with open(_csv_path(config), encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=str(HERE.parent / "site.yaml"))
    parser.add_argument("--keep-embeddings", action="store_true")
    parser.add_argument("--name", default="")
    parser.add_argument("--work-dir", default="", help="keep the copy, cache and output here (see --reuse-full)")
    parser.add_argument("--reuse-full", action="store_true", help="take the full build from --work-dir's full.json")
    parser.add_argument("--runs", default=",".join(CHANGES), help="which rebuilds, in this order (default: all)")
    args = parser.parse_args()
    if args.reuse_full and not args.work_dir:
        parser.error("--reuse-full needs --work-dir (the folder of the earlier run)")

    with _work_folder(args.work_dir) as tmp:
        source = load_config(args.config)
        overrides = work_overrides(source, tmp, copy=not args.reuse_full)
        if args.keep_embeddings and not args.reuse_full:
            shutil.copytree(source.cache_dir / "embeddings", f"{tmp}/cache/embeddings")
        config = load_config(args.config, overrides)

        runs = {}
        if args.reuse_full:
            runs["full"] = json.loads(Path(tmp, "full.json").read_text(encoding="utf-8"))
            full_s = runs["full"]["seconds"]
            _, settle = timed_build(config)
            print(f"settling build (not a rebuild figure): {settle['seconds']:.1f} s")
        else:
            full_s, runs["full"] = timed_build(config)
            if args.work_dir:
                Path(tmp, "full.json").write_text(json.dumps(runs["full"], indent=1) + "\n", encoding="utf-8")
        for name in args.runs.split(","):
            CHANGES[name](config)
            runs[name] = timed_build(config)[1]
        works = len(_rows(config))

    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end",
        "collection": args.name or "sample",
        "works": works,
        "model": f"{config.embedding.model} @ {config.embedding.image_size}px, weights {config.embedding.weights}",
        "embeddings": "injected (kept)" if args.keep_embeddings else "computed in the full build",
        "full": "from an earlier run's full.json (--reuse-full)" if args.reuse_full else "measured in this run",
        "runs": runs,
        "ratio_to_full": {name: round(run["seconds"] / full_s, 3) for name, run in runs.items()},
    }
    print(f"{'build':<20} {'seconds':>8} {'x full':>7} {'embedded':>9} {'written':>8} {'unchanged':>10} {'kept':>6}")
    for name, run in runs.items():
        print(f"{name:<20} {run['seconds']:>8.1f} {result['ratio_to_full'][name]:>7.3f} {run['embedded']:>9} "
              f"{run['files_written']:>8} {run['files_unchanged']:>10} {run['pages_kept']:>6}")
    out = HERE / "results" / f"rebuilds{'-' + args.name if args.name else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}")


@contextlib.contextmanager
def _work_folder(path: str):
    """`path` (made if absent, kept afterwards) or a temporary folder removed at the end."""
    if path:
        Path(path).mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory() as tmp:
        yield tmp


if __name__ == "__main__":
    main()
