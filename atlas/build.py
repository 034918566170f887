"""The whole build, stage by stage, in one function a newcomer can read top to bottom.

    check -> lock -> read -> images -> embed -> thumbnails -> labels -> deep zoom -> larger views -> neighbours -> quality -> culture
          -> map -> studies (probes, heat maps, patterns, surprises) -> pairings -> pages (PAGE_GROUPS, then the
          URL ledger) -> publish

Each stage is a plain function of a layer below (atlas.ingest, atlas.vectors, atlas.analysis, atlas.site);
this file only wires them together, keeps the report (problems, counts, timings) and decides which records
go on. The costly stages after embedding are cached whole (atlas.core.stage_cache), keyed by digests of the
published works made once (WorksKey), their settings, and the code and library versions that compute them;
the report says for every stage whether it was reused or recomputed, and why (`atlas build --explain`). A
record that fails anywhere is dropped from the stages after it, with a Problem saying why; it never stops
the build. Only unusable configuration (refused by atlas.preflight
before anything is read or written), or weights that were required but cannot be had, stop it.

One build at a time writes an output folder or a cache: both are locked first (atlas.core.locks); the site
is written to a staging folder of this build's own, removed again if the build fails, and published in
one step (atlas.site.writer), unless it would remove more than publish.max_shrink of the published works.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from atlas.analysis import (
    clusters,
    culture,
    force_layout,
    pair_shares,
    patterns,
    probes,
    quality,
    reuse,
    similarity_scale,
    surprises,
)
from atlas.analysis.curated_patterns import curate_patterns
from atlas.analysis.neighbour_stage import find_neighbours
from atlas.analysis.neighbours import SearchSummary, describe_search
from atlas.core.cache import DigestIndex, atomic_write_text, key_digest
from atlas.core.checked import start_corrupt_log
from atlas.core.config import ConfigError, SiteConfig
from atlas.core.jsonio import json_bytes
from atlas.core.locks import build_locks
from atlas.core.near_reuse import Near
from atlas.core.real_paths import RealPaths
from atlas.core.records import CONDITIONS, Problem, Record
from atlas.core.report import BuildReport
from atlas.core.stage_cache import StageCache, code_digest, part_digest
from atlas.engines import Engine, engine_for
from atlas.ingest.collection import read_records
from atlas.ingest.labels import condition_names, normalise_labels, rule_hits_line
from atlas.ingest.larger_images import describe as describe_larger
from atlas.ingest.larger_images import make_larger_images
from atlas.ingest.thumbnails import make_thumbnails
from atlas.ingest.tiles import describe as describe_deep_zoom
from atlas.ingest.tiles import plan_deep_zoom
from atlas.preflight import Preflight, check_config
from atlas.site import iiif_out, pages
from atlas.site.artworks import artwork_pages
from atlas.site.context import SiteData, Studies
from atlas.site.downloads import downloads, start_analogies
from atlas.site.explorer import explorer_pages
from atlas.site.insights_pages import insights_pages
from atlas.site.journey_plan import journey_stage
from atlas.site.journeys import journey_pages
from atlas.site.larger_view import larger_files
from atlas.site.page_keys import PageKeys
from atlas.site.pair_pages import pair_pages
from atlas.site.pairings import plan_pairings
from atlas.site.precompress import precompress
from atlas.site.render import make_context, render_site
from atlas.site.unchanged_build import LastBuild, cache_state_later, input_digest, restore
from atlas.site.weight import host_warnings
from atlas.site.writer import Removals, check_shrink, early_listing, publish, recover, staging
from atlas.vectors.embed import hash_images
from atlas.vectors.features import embed_features
from atlas.vectors.heatmaps import make_heatmaps
from atlas.vectors.centring import STORED_MEAN_USED, centre_on_stored_mean
from atlas.vectors.matrix import select_rows
from atlas.vectors.network import resolve_weights
from atlas.vectors.parts import Weighing, weigh_parts_kept
from atlas.vectors.tuning_record import read_record

log = logging.getLogger(__name__)

# The page groups, in the order they are written (the sitemap lists pages in this order).
PAGE_GROUPS = (pages.static_files, insights_pages, pages.home, artwork_pages, pages.groups, explorer_pages,
               pages.chord, pages.map_page, pages.about_and_404, iiif_out.iiif_files, pair_pages, journey_pages,
               downloads, larger_files)
WORKS_PARTS = ("ids", "vectors", "conditions")  # WorksKey's parts: what near reuse lets differ (atlas.core.near_reuse)
PUBLIC_COUNTS = ("records_read", "works_published", "records_skipped", "cultures", "media", "clusters")


@dataclass(frozen=True)
class WorksKey:
    """Digests of the published works, made once per build and shared by every cached stage's key."""

    ids: str
    vectors: str
    conditions: str

    @classmethod
    def of(cls, works: list[Record], vectors: np.ndarray) -> WorksKey:
        conditions = {fld: [getattr(w, fld) for w in works] for fld in CONDITIONS}
        return cls(part_digest([w.id for w in works]), part_digest(vectors), part_digest(conditions))

    def parts(self, **more) -> dict:
        return {"ids": self.ids, "vectors": self.vectors, "conditions": self.conditions, **more}


def build(config: SiteConfig, preflight: Preflight | None = None, *, wait_seconds: float | None = None,
          allow_shrink: bool = False, full: bool = False) -> BuildReport:
    """Build the site described by `config` and publish it atomically. Returns the report.

    The whole config is checked first (atlas.preflight; pass `preflight` when the caller already ran it):
    errors raise PreflightError before anything is read or written, warnings become report notes.
    Then the output's and the cache's locks are taken (LockHeld at once, or after waiting up to
    `wait_seconds`), and what builds that died left behind is repaired, before anything is written.
    Every stage either reuses its cached result or recomputes it; `report.decisions` says which and why.
    `allow_shrink` publishes even a site that drops more than publish.max_shrink of the published works.
    `full` recomputes what is otherwise updated incrementally (the neighbours, the stored mean of the vectors, the
    map and studies adapted to a few changed works) and renders every page again.
    """
    preflight = preflight if preflight is not None else check_config(config)
    preflight.raise_for_errors()
    report = BuildReport()
    report.notes += [f"config: {warning}" for warning in preflight.warnings]
    with build_locks(config.output_dir, config.cache_dir, wait_seconds) as locks:
        report.notes += [f"took over the stale lock {lock.path} of {lock.stale.describe()}, which is no longer "
                         "running" for lock in locks if lock.stale]
        report.notes += recover(config.output_dir)  # under the lock: every staging folder now is a dead build's
        removals = Removals(background=True)  # the replaced site's removal, overlapping the last records
        try:
            with naming_the_folders(config), engine_for(config) as engine, fewer_collections():
                return _build_locked(config, report, allow_shrink, engine, full, removals)  # engine: local or Ray
        finally:
            removals.wait()  # the old site is gone before the output's lock is let go


# From this many records the staging folder's and the cache's listings are made in forked children while the build
# goes on (atlas.site.background); below it forking costs more than the listings.
BACKGROUND_LISTINGS_FROM = 2_000
GC_THRESHOLDS = (100_000, 50, 50)  # the cyclic collector's thresholds while a build runs (Python's: 700, 10, 10)


@contextlib.contextmanager
def fewer_collections():
    """The cyclic garbage collector, run less often while the build runs. A build allocates millions of small
    containers that live to its end (records, views, digests, keys) and almost no cyclic garbage: with Python's
    thresholds the collector ran 2,500 times and walked every live object in 14 full collections, 0.8-1.0 s of
    a one-title rebuild at 10,000 works; with GC_THRESHOLDS and the long-lived objects frozen (freeze_long_lived)
    it runs 9 times, 0.12 s (benchmarks/README.md, "Session 10"). Refcounting still frees everything else at once.
    The thresholds are put back and frozen objects unfrozen when the build ends, so nothing stays uncollectable."""
    before = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def freeze_long_lived() -> None:
    """Move every object alive now (the records read, the works and their labels: they live until the build
    ends) out of the garbage collector's generations (gc.freeze), so a full collection no longer walks them all
    again (see fewer_collections, which unfreezes them when the build ends)."""
    gc.freeze()


@contextlib.contextmanager
def naming_the_folders(config: SiteConfig):
    """An OSError that names no file (a memory-mapped matrix or a library writing into the cache, and the
    disk is full) is given the folders the build writes into, so the one line the user sees says where."""
    try:
        yield
    except OSError as exc:
        if exc.filename is not None or exc.errno is None:
            raise
        where = f"{config.cache_dir} or beside {config.output_dir}"
        raise type(exc)(exc.errno, exc.strerror or os.strerror(exc.errno), where) from exc


def _build_locked(config: SiteConfig, report: BuildReport, allow_shrink: bool, engine: Engine,
                  full: bool = False, removals: Removals | None = None) -> BuildReport:
    """The build proper, stage by stage; runs while this process holds the output's and the cache's locks."""
    corrupt = start_corrupt_log()  # every cache file found damaged from here on: one note per kind at the end
    stages = StageCache(stage_folder(config))

    with report.stage("read"):
        catalogue = read_records(config, report)  # every record read: the label-rule counts cover them all
        refuse_images_in_output(catalogue, config.output_dir)  # before anything is written
        stages.note("read", False, f"always runs: {len(catalogue):,} records read and checked")
    freeze_long_lived()
    with report.stage("images"):
        records = [r for r in catalogue if r.image_path is not None]
        digests = _hash_images(records, config, report, stages)
    with report.stage("embed"):
        emb = config.embedding
        weights = resolve_weights(emb.model, emb.weights, emb.on_missing_weights, config.root)  # once per build
        embedded = embed_features(records, digests, emb, weights, config.cache_dir, config.root,
                                  maps=config.heatmaps.enabled, offload=engine.offload)
        _report_embedding(embedded, report, stages)
    last = LastBuild(stages.root, config.cache_dir)  # every input as the last build's and its site intact: stop here
    inputs = input_digest(config, catalogue, report.problems, digests, embedded,
                          read_record(config, embedded.model.identity))
    stored = None if full else last.unchanged(inputs, config.output_dir)
    if stored is not None:
        report.counts.update(images_embedded_now=embedded.computed, embeddings_reused=embedded.reused)
        return _stopped_early(report, stored, stages, config)
    big = len(records) >= BACKGROUND_LISTINGS_FROM
    early = early_listing(config.output_dir, config.publish.spare) if big else None  # listed while the stages run
    with report.stage("thumbnails"):
        by_id = {r.id: r for r in records}
        embedded_records = [by_id[i] for i in embedded.ids]
        thumbs, dims, problems, made = make_thumbnails(
            embedded_records, digests, sorted({min(config.thumbnails.sizes), max(config.thumbnails.sizes)}),  # the sizes pages use
            config.thumbnails.quality, config.cache_dir
        )
        report.add(problems)
        stages.note("thumbnails", made == 0, f"{made:,} images needed new thumbnails")
    with report.stage("labels"):
        works, vectors = _published(embedded_records, embedded.vectors, thumbs, config.cache_dir / "work")
        # the published rows are copied out: let the first matrix go (a [:0] slice would keep its whole mapping,
        # and every page of it written while embedding, resident: 800 MB at 100k works of 2,048-d)
        embedded.vectors = np.zeros((0, embedded.vectors.shape[1]), np.float32)
        features = key_digest(embedded.model.identity, emb.model, emb.image_size)
        vectors, centred = centre_on_stored_mean(vectors, stages.root, features, full)  # kept until it drifts
        report.notes.append(centred)
        weighing = _weigh_fallback(embedded, works, vectors, stages.root, features,
                                   keep=centred.startswith(STORED_MEAN_USED))  # the fallback's parts, weighed
        report.notes += [weighing.line()] if weighing else []
        vectors.flags.writeable = False  # final: every later stage reads it, none changes it (near_reuse.row_digests)
        labelled = normalise_labels(works, config.labels)
        works = labelled.records
        report.add(labelled.problems)
        hits = labelled.rule_hits if len(works) == len(catalogue) else normalise_labels(catalogue, config.labels).rule_hits
        report.notes.append(rule_hits_line(hits, len(catalogue)))  # every record counted: once when all are published
        stages.note("labels", False, "always runs: label rules applied to every published work")

    freeze_long_lived()
    with report.stage("deep zoom"):  # static IIIF tiles of the large images, cached by image content
        zoom = plan_deep_zoom(works, digests, config.deep_zoom, max(config.thumbnails.sizes), config.cache_dir)
        report.add(list(zoom.problems))
        if config.deep_zoom.enabled:
            report.counts.update(deep_zoom_works=len(zoom.tiles), deep_zoom_bytes=zoom.size_bytes)
            report.notes.append(describe_deep_zoom(zoom))
        report.notes += [note for note in [iiif_out.origin_note(config)] if note]
        stages.note("deep zoom", zoom.made == 0, f"{zoom.made:,} images tiled now")
    with report.stage("larger views"):  # a 1,200 px JPEG of each image larger than the page image, cached
        larger = make_larger_images(works, digests, max(config.thumbnails.sizes), config.cache_dir)
        report.add(list(larger.problems))
        report.counts.update(larger_view_works=len(larger.files), larger_view_bytes=larger.size_bytes)
        report.notes.append(describe_larger(larger, len(works)))
        stages.note("larger views", larger.made == 0, f"{larger.made:,} larger views made now")

    ids = [w.id for w in works]
    conditions = {fld: [getattr(w, fld) for w in works] for fld in CONDITIONS}
    key = WorksKey.of(works, vectors)
    device = embedded.device
    with report.stage("neighbours"):
        ncfg = config.neighbours  # reused, patched where few works changed, or searched whole (--full)
        found = find_neighbours(stages.root, ids, vectors, conditions, ncfg, device, full, exact=engine.exact_search)
        stages.note("neighbours", found.reused, found.reason)
        analogies, searches = found.analogies, found.searches
        report.notes.append(describe_search(searches))
        report.notes += [f"neighbours, {s.field} {s.group}: {s.method}, {s.note}"
                         for s in searches if s.note]  # each group checked for pynndescent, and how
        report.notes += engine.log.lines()  # engine.kind ray: the cluster, and each stage's work on it
    with report.stage("quality"):
        titles = {f: n["one"] for f, n in condition_names(config.labels).items()}
        measured = stages.run(
            "quality", key.parts(searches=searches, neighbours=dataclasses.asdict(ncfg), device=device, titles=titles,
                                 settings=dataclasses.asdict(config.quality), code=code_digest(quality)),
            lambda: quality.measure_quality(vectors, ids, conditions, analogies, searches, titles, config.quality),
            quality.QualityReport,
        )
        report.notes.append(quality.summary_line(measured))
    with report.stage("culture"):
        similarity = stages.run("culture", key.parts(code=code_digest(culture)),
                                lambda: culture.culture_similarity(vectors, conditions["culture"]), culture.CultureSimilarity)
    with report.stage("scale"):
        scale = stages.run("scale", key.parts(code=code_digest(similarity_scale)),
                           lambda: similarity_scale.similarity_scale(vectors), similarity_scale.SimilarityScale,
                           near=Near(ids, vectors, lambda old, change: old, full=full))  # kept while few works changed:
        # every page shows percentiles read off it, and one new image would move them all by a tenth
    with report.stage("map"):
        cmap = stages.run(
            "map", key.parts(settings=dataclasses.asdict(config.map), code=code_digest(clusters)),
            lambda: clusters.cluster_map(ids, vectors, conditions["culture"], conditions["medium"], config.map),
            clusters.ClusterMap, near=Near(ids, vectors, lambda old, change: reuse.adapt_map(old, change, ids, vectors),
                                           full=full),  # few works changed: new ones placed by their neighbours
        )  # labelled from the current metadata on every build: a new title does not lay out the map again
        cmap = clusters.relabel(cmap, conditions["culture"], conditions["medium"],
                                [probes.work_year(w) for w in works], [w.title for w in works])

    # The studies of what the network sees: each can be switched off in site.yaml.
    pcfg, probe_report, heat, found_patterns = config.probes, None, {}, None
    with report.stage("probes"):
        if pcfg.enabled and len(works) >= 10:
            labels = {name: [probes.work_label(w, name) for w in works] for name in [*CONDITIONS, *pcfg.labels]}
            probe_report = stages.run(
                "probes", key.parts(labels=labels, years=[probes.work_year(w) for w in works],
                                    settings=dataclasses.asdict(pcfg), code=code_digest(probes)),
                lambda: probes.run_probes(works, vectors, pcfg), probes.ProbeReport,
                near=Near(ids, vectors, reuse.adapt_probes, full=full, varying=(*WORKS_PARTS, "labels", "years"),
                          per_work={**labels, "\x00years": [probes.work_year(w) for w in works]}),
            )
    with report.stage("heatmaps"):
        if config.heatmaps.enabled and works:
            heat, problems, made = make_heatmaps(works, digests, emb, config.heatmaps, config.cache_dir, config.root,
                                                 weights)
            report.add(problems)
            stages.note("heatmaps", made == 0, f"{made:,} heat maps made, {len(heat) - made:,} reused")
    with report.stage("patterns"):
        if config.patterns.enabled:
            found_patterns = stages.run(
                "patterns", key.parts(years=[probes.work_year(w) for w in works],
                                      settings=dataclasses.asdict(config.patterns), code=code_digest(patterns)),
                lambda: patterns.find_patterns(works, vectors, config.patterns), tuple[patterns.Pattern, ...],
                near=Near(ids, vectors, lambda old, change: reuse.adapt_patterns(
                    old, change, works, config.patterns.min_cluster_size), full=full, varying=(*WORKS_PARTS, "years")),
            )
            found_patterns, problems = curate_patterns(  # patterns.yaml: confirmed, rejected, edited (every build)
                found_patterns, works, vectors, config.resolve(config.patterns.file) if config.patterns.file else None,
                config.patterns.suggestions)
            report.add(problems)
            report.counts["patterns"] = len(found_patterns)
    with report.stage("surprises"):
        guesses = probe_report.guesses if probe_report else {}
        found_surprises = stages.run(
            "surprises", key.parts(guesses=guesses, settings=[pcfg.neighbours, pcfg.surprises],
                                   code=code_digest(surprises)),
            lambda: surprises.find_surprises(works, vectors, guesses, pcfg.neighbours, pcfg.surprises, device,
                                             analogies, all(s.method == "exact" for s in searches)),  # merged, not searched
            surprises.Surprises, near=Near(ids, vectors, lambda old, change: reuse.adapt_surprises(
                old, change, guesses, pcfg.surprises), full=full, varying=(*WORKS_PARTS, "guesses"),
                per_work={"culture": conditions["culture"]}),
        )
        graph = stages.run("graph", {"similarity": similarity, "code": code_digest(force_layout)},
                           lambda: force_layout.culture_layout(similarity), force_layout.CultureGraph)
    studies = Studies(probe_report, heat, found_patterns, found_surprises, graph)

    with report.stage("pairings"):
        pairings, problems = plan_pairings(config, works, vectors, analogies)
        report.add(problems)
        why = pair_shares.cached_shares(stages.root, analogies, vectors, embedded.parts,  # each part's share:
                                        pairings.similarity)  # arrays beside the table, analogies and pair pages
    with report.stage("journeys"):  # the journey graph; the pre-rendered journeys, cached (atlas.site.journey_plan)
        journeys = journey_stage(stages, config, works, analogies, similarity, pairings)

    report.counts.update({
        "works_published": len(works),
        "records_skipped": len(report.skipped),
        "images_embedded_now": embedded.computed,
        "embeddings_reused": embedded.reused,
        "cultures": len(labelled.groups.get("culture", {})),
        "media": len(labelled.groups.get("medium", {})),
        "clusters": len(cmap.clusters),
    })
    with staging(config.output_dir, reuse=config.publish.spare, early=early) as writer:  # removed again if anything below fails, SIGTERM included
        with report.stage("pages"):
            keys = PageKeys(stages.root, config.output_dir, enabled=not full)  # pages whose inputs did not change
            ctx = make_context(SiteData(
                config, works, thumbs, dims, analogies, similarity, cmap,
                about=dict(_about(config, report, device, labelled, searches, zoom, cmap), quality=measured,
                           tuning=read_record(config, embedded.model.identity)),  # finetune's before / after
                pairings=pairings, studies=studies, deep_zoom=zoom, scale=scale, why=why, journeys=journeys,
                larger=larger,
            ), keys)
            writer.write_bytes("data/quality.json", json_bytes(measured.to_json()))
            start_analogies(ctx)  # its one big file, made by a forked child meanwhile
            # then the ledger's redirects and notices, the data files and the sitemap (atlas.site.render)
            report.counts["pages"] = render_site(ctx, writer, PAGE_GROUPS, report.timings)
            report.add(pairings.problems)
            report.counts.update(pairings.counts)
            report.timings["pages: pairings"] = pairings.render_seconds
            if config.publish.precompress:
                report.counts["precompressed_files"] = precompress(writer, config.publish.precompress)
            _report_weight(report, config, writer)
            report.notes += corrupt.lines()
        cache = cache_state_later(config.cache_dir) if big else None  # the cache is final: its state, listed meanwhile
        with report.stage("publish"):
            check_shrink(config.output_dir, writer, config.publish.max_shrink, allow_shrink)
            last.forget()  # until saved below, no record claims to describe the published site
            publish(config.output_dir, writer, removals, keep_spare=config.publish.spare)  # parked or removed
            keys.save()  # only now: the keys describe the published files
    report.notes.append(keys.line())
    report.counts.update(pages_kept=keys.kept, pages_rendered_keyed=len(keys.rendered))
    written = writer.counts
    report.counts.update(files_written=written.written, files_unchanged=written.unchanged,
                         files_removed=written.removed)
    stages.note("pages", written.written == 0 and written.removed == 0,
                f"always rendered; {written.written:,} files new or changed, {written.unchanged:,} unchanged "
                f"(not rewritten), {written.removed:,} removed")
    report.decisions = stages.decisions
    last.save_or_forget(inputs, config.output_dir, report.as_dict(), writer.written, cache)  # the site is out: never fails
    _write_report(report, config)
    return report


def _stopped_early(report: BuildReport, stored: dict, stages: StageCache, config: SiteConfig) -> BuildReport:
    """Nothing changed since the last build and its site is intact (atlas.site.unchanged_build): its report, repeated."""
    restore(report, stored)
    ran = {d.stage for d in stages.decisions}
    for stage in stored["report"].get("stages", {}):  # the stages that did not run: their results are published
        if stage not in ran:
            stages.note(stage, True, "none of its inputs changed: stopped early, every input and the published "
                                     "site are as the last build left them")
    report.decisions = stages.decisions
    _write_report(report, config)
    return report


def _report_weight(report: BuildReport, config: SiteConfig, writer) -> None:
    """The site's size and file count in the summary, and a warning past the host's limits (publish.max_*)."""
    report.counts.update(site_bytes=writer.bytes_written, site_files=len(writer.written))
    report.add([Problem("publish", "", line, severity="warning") for line in host_warnings(
        writer.bytes_written, len(writer.written), config.publish.max_bytes, config.publish.max_files)])


def _write_report(report: BuildReport, config: SiteConfig) -> None:
    """report.json and report.html beside the output. The site is already published: a report that cannot
    be written (disk full) is a warning, not a failure that would claim the old site is still there."""
    try:
        atomic_write_text(config.output_dir.parent / "report.json", report.to_json())
        atomic_write_text(config.output_dir.parent / "report.html", report.to_html(config.title))
    except OSError as exc:
        log.warning("the site is published, but its report could not be written: %s: %s", exc.filename, exc.strerror)


def refuse_images_in_output(records: list[Record], output: Path) -> None:
    """Stop (ConfigError, nothing written yet) when an image the table names lies inside the output folder:
    publishing replaces that folder, so the image would be deleted. atlas.preflight checks the configured
    folders before the table is read; this catches images named by a path column."""
    if not output.exists():
        return  # nothing is inside a folder that is not there yet
    place, real = os.path.realpath(output), RealPaths()
    for record in records:
        if record.image_path is not None and _inside(real.of(os.fspath(record.image_path)), place):
            raise ConfigError(f"output {output} holds the image of record {record.id} ({record.image_path}): "
                              "publishing replaces the output folder and everything in it; choose another output")


def _inside(path: str, folder: str) -> bool:
    """Whether the real path `path` is `folder` or lies in it (both real, absolute)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def stage_folder(config: SiteConfig) -> Path:
    """Where this site's stage results live in the cache: one folder per output folder, so two configs
    sharing a cache never overwrite each other's results (the embeddings and thumbnails, keyed by image
    content, are shared)."""
    # abspath, not resolve(): a symlinked output points at a new release folder after every build
    return config.cache_dir / "stages" / key_digest(os.path.abspath(config.output_dir))[:16]


def _hash_images(records: list[Record], config: SiteConfig, report: BuildReport, stages: StageCache) -> dict[str, str]:
    index = DigestIndex(config.cache_dir / "file-digests.json")
    digests, problems = hash_images(records, index)
    index.save()
    report.add(problems)
    stages.note("images", index.hashed == 0, f"{index.hashed:,} files hashed, {len(digests) - index.hashed:,} "
                "known by size and modification time")
    return digests


def _report_embedding(embedded, report: BuildReport, stages: StageCache) -> None:
    report.add(embedded.problems)
    report.model = embedded.model.as_dict()
    if embedded.model.warning:
        report.notes.append(embedded.model.warning)
    stages.note("embed", embedded.computed == 0, f"{embedded.computed:,} images embedded, "
                f"{embedded.reused:,} vectors reused from the cache")


def _weigh_fallback(embedded, works: list[Record], vectors: np.ndarray, folder: Path, features: str,
                    keep: bool) -> Weighing | None:
    """The fallback's parts weighed for this collection, colour off for monochrome images (atlas.vectors.parts),
    the weights kept while the stored mean is; None for a network's features, which have no parts."""
    if not embedded.parts:
        return None
    mono = np.array([embedded.monochrome.get(w.id, False) for w in works])
    return weigh_parts_kept(vectors, embedded.parts, mono, folder, features, keep)


def _published(records: list[Record], vectors: np.ndarray, thumbs: dict, work: Path) -> tuple[list[Record], np.ndarray]:
    """Works that have both a vector and thumbnails, sorted by id (stable output order), and their vectors
    as a new memory-mapped matrix in `work`."""
    order = sorted((r.id, i) for i, r in enumerate(records) if r.id in thumbs)
    keep = [i for _, i in order]
    return [records[i] for i in keep], select_rows(vectors, keep, work)


def _about(config: SiteConfig, report: BuildReport, device: str, labelled, searches: tuple[SearchSummary, ...],
           zoom, cmap: clusters.ClusterMap) -> dict:
    return {
        "model": report.model,
        "device": device,
        # Only counts that follow from the inputs: cache hits differ between builds of the same input.
        "counts": {k: v for k, v in report.counts.items() if k in PUBLIC_COUNTS},
        "groups": labelled.groups,
        "dropped": {k: v for k, v in labelled.dropped.items() if v},
        "deep_zoom_hosts": sorted({url.split("/")[2] for url in zoom.services.values()}),
        "iiif_collection": iiif_out.collection_url(config),
        "settings": {
            "image_size": config.embedding.image_size,
            "k": config.neighbours.k,
            "search": describe_search(searches),
            "map": f"PCA to {config.map.pca_dims} dimensions, {config.map.layout} layout; clusters: {cmap.method}",
        },
    }
