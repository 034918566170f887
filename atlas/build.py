"""The whole build, stage by stage, in one function a newcomer can read top to bottom.

    read -> images -> embed -> thumbnails -> labels -> neighbours -> culture -> map -> pages -> publish

Each stage is a plain function in its own module with typed inputs and outputs; this file only wires
them together, keeps the report (problems, counts, timings) and decides which records go on. A record
that fails anywhere is dropped from the stages after it, with a Problem saying why; it never stops the
build. Only unusable configuration, or weights that were required but cannot be had, stop it.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np

from .cache import atomic_write_text
from .clusters import cluster_map
from .config import SiteConfig
from .culture import culture_similarity
from .embed import centre, embed_records, hash_images
from .labels import condition_names, normalise_labels, rule_hits_line
from .neighbours import analogies_by_work, conditional_neighbours
from .quality import measure_quality, summary_line
from .readers import read_collection
from .records import Record
from .render import Renderer, SiteData, json_bytes
from .report import BuildReport
from .site_writer import publish, start_staging
from .thumbnails import make_thumbnails

log = logging.getLogger(__name__)

PUBLIC_COUNTS = ("records_read", "works_published", "records_skipped", "cultures", "media", "clusters")


def build(config: SiteConfig) -> BuildReport:
    """Build the site described by `config` and publish it atomically. Returns the report."""
    report = BuildReport()

    with report.stage("read"):
        records = read_records(config, report)
    with report.stage("images"):
        catalogue = records  # every record read, images or not: the label-rule counts cover them all
        records = [r for r in records if r.image_path is not None]
        digests, problems = hash_images(records)
        report.add(problems)
    with report.stage("embed"):
        embedded = embed_records(records, digests, config.embedding, config.cache_dir, config.root)
        report.add(embedded.problems)
        report.model = embedded.model.as_dict()
        if embedded.model.warning:
            report.notes.append(embedded.model.warning)
    with report.stage("thumbnails"):
        by_id = {r.id: r for r in records}
        embedded_records = [by_id[i] for i in embedded.ids]
        thumbs, dims, problems = make_thumbnails(
            embedded_records, digests, config.thumbnails.sizes, config.thumbnails.quality, config.cache_dir
        )
        report.add(problems)
    with report.stage("labels"):
        works, vectors = _published(embedded_records, embedded.vectors, thumbs)
        vectors = centre(vectors)
        labelled = normalise_labels(works, config.labels)
        works = labelled.records
        report.add(labelled.problems)
        report.notes.append(rule_hits_line(normalise_labels(catalogue, config.labels).rule_hits, len(catalogue)))
    with report.stage("neighbours"):
        conditions = {"culture": [w.culture for w in works], "medium": [w.medium for w in works]}
        ncfg = config.neighbours
        results = conditional_neighbours(
            vectors, conditions, ncfg.k, ncfg.method, ncfg.ann_min_group, ncfg.block_size, embedded.device
        )
        ids = [w.id for w in works]
        analogies = analogies_by_work(ids, results)
        report.notes.append(_search_note(results))
    with report.stage("quality"):
        titles = {f: n["one"] for f, n in condition_names(config.labels).items()}
        quality = measure_quality(vectors, conditions, results, titles, config.quality)
        report.notes.append(summary_line(quality))
    with report.stage("culture"):
        similarity = culture_similarity(vectors, conditions["culture"])
    with report.stage("map"):
        cmap = cluster_map(ids, vectors, conditions["culture"], conditions["medium"], config.map)

    report.counts.update({
        "works_published": len(works),
        "records_skipped": len(report.skipped),
        "images_embedded_now": embedded.computed,
        "embeddings_reused": embedded.reused,
        "cultures": len(labelled.groups.get("culture", {})),
        "media": len(labelled.groups.get("medium", {})),
        "clusters": len(cmap["clusters"]),
    })
    with report.stage("pages"):
        writer = start_staging(config.output_dir)
        writer.write_bytes("data/quality.json", json_bytes(quality))
        data = SiteData(
            config, works, thumbs, dims, analogies, similarity, cmap,
            about=dict(_about(config, report, embedded.device, labelled, results), quality=quality),
        )
        report.counts["pages"] = Renderer(data, writer).render_all()
        report.counts["site_bytes"] = writer.bytes_written
    with report.stage("publish"):
        publish(config.output_dir)
        atomic_write_text(config.output_dir.parent / "report.json", report.to_json())
        atomic_write_text(config.output_dir.parent / "report.html", report.to_html(config.title))
    return report


def read_records(config: SiteConfig, report: BuildReport) -> list[Record]:
    """Read the collection (generating the bundled sample first when asked to)."""
    collection = config.collection
    if collection.format == "sample":
        from .sample import generate_sample

        csv_path = generate_sample(config.resolve(collection.path))
        collection = dataclasses.replace(
            collection, format="csv", path=str(csv_path), extra_columns=["subject", *collection.extra_columns]
        )
    result = read_collection(collection, config.root)
    report.add(result.problems)
    report.counts["records_read"] = len(result.records)
    return result.records


def _published(records: list[Record], vectors: np.ndarray, thumbs: dict) -> tuple[list[Record], np.ndarray]:
    """Works that have both a vector and thumbnails, sorted by id (stable output order)."""
    order = sorted((r.id, i) for i, r in enumerate(records) if r.id in thumbs)
    keep = [i for _, i in order]
    return [records[i] for i in keep], vectors[keep] if keep else vectors[:0]


def _search_note(results) -> str:
    methods = sorted({r.method for r in results})
    ann = sorted(f"{r.field}:{r.group}" for r in results if r.method == "ann")
    if methods == ["ann"] or ann:
        return f"neighbour search: pynndescent for {len(ann)} large groups ({', '.join(ann[:5])}), exact for the rest"
    return f"neighbour search: exact (blocked brute force in torch) for all {len(results)} groups"


def _about(config: SiteConfig, report: BuildReport, device: str, labelled, results) -> dict:
    return {
        "model": report.model,
        "device": device,
        # Only counts that follow from the inputs: cache hits differ between builds of the same input.
        "counts": {k: v for k, v in report.counts.items() if k in PUBLIC_COUNTS},
        "groups": labelled.groups,
        "dropped": {k: v for k, v in labelled.dropped.items() if v},
        "settings": {
            "image_size": config.embedding.image_size,
            "k": config.neighbours.k,
            "search": _search_note(results),
            "map": f"PCA to {config.map.pca_dims} dimensions, {config.map.layout} layout, HDBSCAN clusters "
            f"(at least {config.map.min_cluster_size} works)",
        },
    }
