"""The collection as the build reads it: the configured table, or the bundled sample generated first."""

from __future__ import annotations

import dataclasses

from atlas.core.config import SiteConfig
from atlas.core.records import Record
from atlas.core.report import BuildReport
from atlas.ingest.readers import read_collection
from atlas.ingest.sample import generate_sample


def read_records(config: SiteConfig, report: BuildReport) -> list[Record]:
    """Read the collection (generating the bundled sample first when asked to)."""
    collection = config.collection
    if collection.format == "sample":
        csv_path = generate_sample(config.resolve(collection.path))
        collection = dataclasses.replace(
            collection, format="csv", path=str(csv_path), extra_columns=["subject", *collection.extra_columns]
        )
    result = read_collection(collection, config.root)
    report.add(result.problems)
    report.counts["records_read"] = len(result.records)
    return result.records
