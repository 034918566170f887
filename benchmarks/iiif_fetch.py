"""Benchmark: reading IIIF and fetching images, against a local server (no internet needed).

1. Which documents of ../shared/data/iiif give how many records (one per manifest, and one per canvas),
   and which give a problem instead, read one by one from the folder.
2. Images per second through the fetcher: N generated level-0 Image API services (info.json + one
   listed size each) on a local threaded server, cold (empty cache) and warm (the rebuild: every file
   asked for conditionally, answered 304), with the polite defaults (4 per host, 5 requests/s) and with
   no rate limit (8 per host). The server is local, so this measures the fetcher's own cost and the
   politeness ceiling, not a museum's network.

Prints tables and writes benchmarks/results/iiif_fetch.json.

    python benchmarks/iiif_fetch.py [--images 200] [--example]   (the polite run takes at most 50: it is bound by its rate)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run from a checkout: this tree's atlas and tests helpers

from atlas.core.config import CollectionConfig, FetchConfig  # noqa: E402
from atlas.core.records import Record  # noqa: E402
from atlas.ingest.fetch import Fetcher  # noqa: E402
from atlas.ingest.iiif import read_iiif  # noqa: E402
from atlas.ingest.remote_images import fetch_record_images  # noqa: E402
from tests.http_fixtures import LocalServer  # noqa: E402

IIIF_DATA = ROOT.parent / "shared" / "data" / "iiif"


def document_counts() -> list[dict]:
    rows = []
    for path in sorted(IIIF_DATA.rglob("*.json")):
        row = {"document": path.relative_to(IIIF_DATA).as_posix()}
        offline = Fetcher(Path(tempfile.mkdtemp()) / "f", FetchConfig(), offline=True)
        for mode in ("manifest", "canvas"):
            result = read_iiif(CollectionConfig(format="iiif", path=str(path), iiif_records=mode), IIIF_DATA, offline)
            row[f"records_per_{mode}"] = len(result.records)
            if mode == "manifest":
                row["problem"] = result.problems[0].reason if result.problems else ""
                row["problems"] = len(result.problems)
        rows.append(row)
    return rows


def _kind(problem: str) -> str:
    """"no image: the manifest holds audio, not an image" -> "no image: the manifest holds audio"."""
    return problem.split(", not")[0].split(" '")[0].split(" (")[0].split(": http")[0]


def fetch_rate(count: int, settings: dict) -> dict:
    with LocalServer() as server, tempfile.TemporaryDirectory() as tmp:
        records = []
        for n in range(count):
            service = server.level0_service(f"/svc/{n}", 800, 600, [(200, 150), (800, 600)], seed=n)
            records.append(Record(str(n), image_url=f"{service}/info.json"))
        result = {}
        for label in ("cold", "warm (304)"):
            fetcher = Fetcher(Path(tmp) / "fetch", FetchConfig(**settings))
            start = time.perf_counter()
            out, problems = fetch_record_images(records, fetcher, need=600)
            seconds = time.perf_counter() - start
            assert not problems and all(r.image_path for r in out), problems[:3]
            result[label] = {"seconds": round(seconds, 2), "images_per_s": round(count / seconds, 1),
                             "requests": fetcher.stats.requests, "downloads": fetcher.stats.downloads,
                             "not_modified": fetcher.stats.not_modified, "mb": round(fetcher.stats.bytes / 1e6, 2)}
        return result


def example_build() -> dict:
    """examples/iiif/site.yaml built as its test builds it: the shared documents served by a local server,
    every image service replaced by a generated level-0 one; small test embedder, thumbnails 64/128."""
    from atlas.build import build
    from atlas.core.config import load_config
    from tests.iiif_mirror import mirror_images, serve_documents

    with LocalServer() as server, tempfile.TemporaryDirectory() as tmp:
        overrides = {"output": f"{tmp}/site", "cache": f"{tmp}/cache", "collection.path": serve_documents(server, IIIF_DATA),
                     "fetch.rewrite": mirror_images(server, IIIF_DATA), "fetch.rate": 0, "fetch.per_host": 8,
                     "fetch.retries": 0, "thumbnails.sizes": [64, 128], "embedding.model": "resnet18",
                     "embedding.weights": "none", "embedding.image_size": 128}
        start = time.perf_counter()
        report = build(load_config(ROOT / "examples/iiif/site.yaml", overrides=overrides))
        seconds = time.perf_counter() - start
        reasons = Counter(_kind(p.reason) for p in report.problems)
        return {"seconds": round(seconds, 1), "records_read": report.counts["records_read"],
                "works_published": report.counts["works_published"], "problems": dict(reasons),
                "fetch": next((n for n in report.notes if n.startswith("fetch")), "")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--example", action="store_true", help="also build examples/iiif against the local mirror (~70 s)")
    args = parser.parse_args()

    rows = document_counts() if IIIF_DATA.is_dir() else []
    print(f"{'document':62} {'manifest':>8} {'canvas':>7}  problem")
    for row in rows:
        print(f"{row['document'][:62]:62} {row['records_per_manifest']:8} {row['records_per_canvas']:7}  {row['problem'][:60]}")
    kinds = Counter(_kind(r["problem"]) if not r["records_per_manifest"] else "records" for r in rows)
    totals = {"documents": len(rows), "records_per_manifest": sum(r["records_per_manifest"] for r in rows),
              "records_per_canvas": sum(r["records_per_canvas"] for r in rows),
              "documents_with_records": sum(1 for r in rows if r["records_per_manifest"]), "outcomes": dict(kinds)}
    print(totals)

    rates = {}
    for name, count, settings in (("polite defaults (4 per host, 5/s)", min(args.images, 50), {}),
                                  ("no rate limit (8 per host)", args.images, {"rate": 0, "per_host": 8})):
        rates[name] = {"images": count, **fetch_rate(count, settings)}
        for label, r in rates[name].items():
            if label == "images":
                continue
            print(f"{name:36} {label:11} {count} images in {r['seconds']:6.2f} s = {r['images_per_s']:6.1f}/s; "
                  f"{r['requests']} requests, {r['downloads']} bodies, {r['not_modified']} x 304, {r['mb']} MB")

    example = example_build() if args.example and IIIF_DATA.is_dir() else None
    if example:
        print(f"examples/iiif: {example['records_read']} records read, {example['works_published']} works published "
              f"in {example['seconds']} s; {example['fetch']}")
        print(example["problems"])

    out = HERE / "results" / "iiif_fetch.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                               "documents": rows, "totals": totals, "fetch": rates,
                               "example": example},
                              indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
