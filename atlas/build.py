"""The whole build, stage by stage, in one function a newcomer can read top to bottom.

    read -> images -> embed -> thumbnails -> labels -> neighbours -> culture -> map -> pages -> publish

Each stage is a plain function in its own module with typed inputs and outputs; this file only wires
them together, keeps the report (problems, counts, timings) and decides which records go on. The costly
stages after embedding are cached whole (atlas.core.stage_cache) keyed by what they depend on; the report says
for every stage whether it was reused or recomputed, and why (`python -m atlas build --explain`). A record
that fails anywhere is dropped from the stages after it, with a Problem saying why; it never stops the
build. Only unusable configuration (refused by atlas.preflight before anything is read or written), or
weights that were required but cannot be had, stop it.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np

from atlas.analysis import clusters, culture, neighbours
from atlas.analysis import quality as quality_code
from atlas.analysis.clusters import cluster_map
from atlas.analysis.culture import culture_similarity
from atlas.analysis.insights import compute_insights
from atlas.analysis.neighbours import (
    analogies_by_work,
    conditional_neighbours,
    describe_search,
    search_summary,
)
from atlas.analysis.quality import measure_quality, summary_line
from atlas.core.cache import DigestIndex, atomic_write_text
from atlas.core.config import SiteConfig
from atlas.core.jsonio import json_bytes
from atlas.core.records import Record
from atlas.core.report import BuildReport
from atlas.core.stage_cache import StageCache, code_digest
from atlas.ingest.collection import read_records
from atlas.ingest.labels import condition_names, normalise_labels, rule_hits_line
from atlas.ingest.thumbnails import make_thumbnails
from atlas.preflight import Preflight, check_config
from atlas.site.pairings import plan_pairings
from atlas.site.render import Renderer, SiteData
from atlas.site.writer import publish, start_staging
from atlas.vectors.embed import hash_images
from atlas.vectors.features import embed_features
from atlas.vectors.matrix import centre_in_place, select_rows
from atlas.vectors.network import resolve_weights

log = logging.getLogger(__name__)

PUBLIC_COUNTS = ("records_read", "works_published", "records_skipped", "cultures", "media", "clusters")


def build(config: SiteConfig, preflight: Preflight | None = None) -> BuildReport:
    """Build the site described by `config` and publish it atomically. Returns the report.

    The whole config is checked first (atlas.preflight; pass `preflight` when the caller already ran it):
    errors raise PreflightError before anything is read or written, warnings become report notes.
    Every stage either reuses its cached result or recomputes it; `report.decisions` says which and why.
    """
    preflight = preflight if preflight is not None else check_config(config)
    preflight.raise_for_errors()
    report = BuildReport()
    report.notes += [f"config: {warning}" for warning in preflight.warnings]
    stages = StageCache(config.cache_dir / "stages")

    with report.stage("read"):
        records = read_records(config, report)
        stages.note("read", False, f"always runs: {len(records):,} records read and checked")
    with report.stage("images"):
        catalogue = records  # every record read, images or not: the label-rule counts cover them all
        records = [r for r in records if r.image_path is not None]
        index = DigestIndex(config.cache_dir / "file-digests.json")
        digests, problems = hash_images(records, index)
        index.save()
        report.add(problems)
        stages.note("images", index.hashed == 0, f"{index.hashed:,} files hashed, {len(digests) - index.hashed:,} "
                    "known by size and modification time")
    with report.stage("embed"):
        emb = config.embedding
        weights = resolve_weights(emb.model, emb.weights, emb.on_missing_weights, config.root)  # once per build
        embedded = embed_features(records, digests, emb, weights, config.cache_dir, config.root,
                                  maps=config.heatmaps.enabled)
        report.add(embedded.problems)
        report.model = embedded.model.as_dict()
        if embedded.model.warning:
            report.notes.append(embedded.model.warning)
        if embedded.corrupt_cache:
            report.notes.append(f"{len(embedded.corrupt_cache)} cached vectors were truncated or corrupt and were "
                                f"computed again (first: {embedded.corrupt_cache[0]})")
        stages.note("embed", embedded.computed == 0, f"{embedded.computed:,} images embedded, "
                    f"{embedded.reused:,} vectors reused from the cache")
    with report.stage("thumbnails"):
        by_id = {r.id: r for r in records}
        embedded_records = [by_id[i] for i in embedded.ids]
        thumbs, dims, problems, made = make_thumbnails(
            embedded_records, digests, config.thumbnails.sizes, config.thumbnails.quality, config.cache_dir
        )
        report.add(problems)
        stages.note("thumbnails", made == 0, f"{made:,} images needed new thumbnails")
    with report.stage("labels"):
        works, vectors = _published(embedded_records, embedded.vectors, thumbs, config.cache_dir / "work")
        embedded.vectors = embedded.vectors[:0]  # the published rows are copied out: let the first matrix go
        vectors = centre_in_place(vectors)
        labelled = normalise_labels(works, config.labels)
        works = labelled.records
        report.add(labelled.problems)
        report.notes.append(rule_hits_line(normalise_labels(catalogue, config.labels).rule_hits, len(catalogue)))
        stages.note("labels", False, "always runs: label rules applied to every published work")
    ids = [w.id for w in works]
    conditions = {"culture": [w.culture for w in works], "medium": [w.medium for w in works]}
    depends = {"ids": ids, "vectors": vectors, "conditions": conditions}
    with report.stage("neighbours"):
        ncfg = config.neighbours
        found = stages.run(
            "neighbours",
            dict(depends, settings=dataclasses.asdict(ncfg), device=embedded.device, code=code_digest(neighbours)),
            lambda: _neighbours(ids, vectors, conditions, ncfg, embedded.device),
        )
        analogies, searches = found["analogies"], found["searches"]
        report.notes.append(_search_note(searches))
        report.notes += [f"neighbours, {s['field']} {s['group']}: {s['method']}, {s['note']}"
                         for s in searches if s.get("note")]  # each group checked for pynndescent, and how
    with report.stage("quality"):
        titles = {f: n["one"] for f, n in condition_names(config.labels).items()}
        quality = stages.run(
            "quality", dict(depends, searches=searches, neighbours=dataclasses.asdict(ncfg), device=embedded.device, titles=titles,
                            settings=dataclasses.asdict(config.quality), code=code_digest(quality_code)),
            lambda: measure_quality(vectors, ids, conditions, analogies, searches, titles, config.quality),
        )
        report.notes.append(summary_line(quality))
    with report.stage("culture"):
        similarity = stages.run(
            "culture", dict(depends, code=code_digest(culture)),
            lambda: culture_similarity(vectors, conditions["culture"]),
        )
    with report.stage("map"):
        cmap = stages.run(
            "map", dict(depends, settings=dataclasses.asdict(config.map), code=code_digest(clusters)),
            lambda: cluster_map(ids, vectors, conditions["culture"], conditions["medium"], config.map),
        )
    report.notes += [f"stage cache file {path} was unreadable or corrupt; recomputed" for path in stages.corrupt]
    insights = compute_insights(config, works, vectors, digests, similarity, embedded.device, report, stages, weights)

    with report.stage("pairings"):
        pairings, problems = plan_pairings(config, works, vectors, analogies)
        report.add(problems)

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
            about=dict(_about(config, report, embedded.device, labelled, searches), quality=quality),
            pairings=pairings, insights=insights,
        )
        report.counts["pages"] = Renderer(data, writer).render_all()
        report.add(pairings.problems)
        report.counts.update(pairings.counts)
        report.timings["pages: pairings"] = pairings.render_seconds
        report.counts["site_bytes"] = writer.bytes_written
    with report.stage("publish"):
        publish(config.output_dir, writer)
        written = writer.counts
        report.counts.update(files_written=written.written, files_unchanged=written.unchanged,
                             files_removed=written.removed)
        stages.note("pages", written.written == 0 and written.removed == 0,
                    f"always rendered; {written.written:,} files new or changed, {written.unchanged:,} unchanged "
                    f"(not rewritten), {written.removed:,} removed")
        report.decisions = stages.decisions
        atomic_write_text(config.output_dir.parent / "report.json", report.to_json())
        atomic_write_text(config.output_dir.parent / "report.html", report.to_html(config.title))
    return report


def _neighbours(ids: list[str], vectors: np.ndarray, conditions: dict, ncfg, device: str) -> dict:
    """Conditional neighbours as plain JSON-able data: analogies per work, and how each group was searched."""
    results = conditional_neighbours(vectors, conditions, ncfg.k, ncfg.method, ncfg.ann_min_group, ncfg.block_size, device)
    searches = search_summary(results)
    return {"analogies": analogies_by_work(ids, results), "searches": searches}


def _published(records: list[Record], vectors: np.ndarray, thumbs: dict, work: Path) -> tuple[list[Record], np.ndarray]:
    """Works that have both a vector and thumbnails, sorted by id (stable output order), and their vectors
    as a new memory-mapped matrix in `work`."""
    order = sorted((r.id, i) for i, r in enumerate(records) if r.id in thumbs)
    keep = [i for _, i in order]
    return [records[i] for i in keep], select_rows(vectors, keep, work)


def _search_note(searches: list[dict]) -> str:
    return describe_search(searches)


def _about(config: SiteConfig, report: BuildReport, device: str, labelled, searches: list[dict]) -> dict:
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
            "search": _search_note(searches),
            "map": f"PCA to {config.map.pca_dims} dimensions, {config.map.layout} layout, HDBSCAN clusters "
            f"(at least {config.map.min_cluster_size} works)",
        },
    }
