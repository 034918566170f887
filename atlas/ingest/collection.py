"""The collection as the build reads it: the configured table, the bundled sample generated first, or a
IIIF Collection / Manifest; then every image given only as a URL fetched into the cache."""

from __future__ import annotations

import dataclasses

from atlas.core.config import SiteConfig
from atlas.core.records import Record
from atlas.core.report import BuildReport
from atlas.ingest.fetch import Fetcher
from atlas.ingest.iiif import read_iiif
from atlas.ingest.readers import read_collection
from atlas.ingest.remote_images import fetch_record_images
from atlas.ingest.sample import generate_sample


def read_records(config: SiteConfig, report: BuildReport) -> list[Record]:
    """Read the collection (generating the bundled sample first when asked to), then fetch remote images."""
    collection = config.collection
    if collection.format == "sample":
        csv_path = generate_sample(config.resolve(collection.path))
        collection = dataclasses.replace(
            collection, format="csv", path=str(csv_path), extra_columns=["subject", *collection.extra_columns]
        )
    fetcher = Fetcher(config.cache_dir / "fetch", config.fetch)
    if collection.format == "iiif":
        result = read_iiif(collection, config.root, fetcher)
    else:
        result = read_collection(collection, config.root)
    report.add(result.problems)
    report.counts["records_read"] = len(result.records)
    records = result.records
    if any(r.image_path is None and r.image_url for r in records):
        need = max([*config.thumbnails.sizes, config.embedding.image_size])
        records, problems = fetch_record_images(records, fetcher, need)
        report.add(problems)
    if fetcher.stats.requests or fetcher.stats.from_cache or fetcher.stats.failures:
        report.notes.append(fetch_line(fetcher))
    return records


def fetch_line(fetcher: Fetcher) -> str:
    """One summary line: what the fetcher asked for and what it got."""
    s = fetcher.stats
    if fetcher.offline:
        return f"fetch (offline): {s.from_cache:,} files from the cache, {s.failures:,} not in it"
    return (f"fetch: {s.requests:,} requests, {s.downloads:,} downloaded ({s.bytes / 1e6:.1f} MB), "
            f"{s.not_modified:,} unchanged (304), {s.failures:,} failed")
