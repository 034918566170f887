"""What every page needs, computed once before any page is rendered, and the one type pages come out as.

atlas.site.render.make_context turns the earlier stages' results (SiteData) into a SiteContext: the Jinja
environment with every site-wide global already set (site, names, studies, explorer, pairings), the links
and the work views. Page modules (atlas.site.pages, artworks, insights_pages, explorer, pair_pages) take the context
and yield `Output`s; nothing sets a global after make_context returns, so page modules can run in any
order. build() writes the outputs, and reconciles the URL ledger last because it calls that last.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)

from atlas.analysis.clusters import Cluster, ClusterMap
from atlas.analysis.culture import CultureSimilarity
from atlas.analysis.force_layout import CultureGraph
from atlas.analysis.patterns import Pattern
from atlas.analysis.probes import ProbeReport
from atlas.analysis.similarity_scale import SimilarityScale
from atlas.analysis.surprises import Surprises
from atlas.core.config import SiteConfig
from atlas.core.records import CONDITIONS, Record, byline
from atlas.ingest.labels import condition_names
from atlas.ingest.larger_images import LargerImages
from atlas.ingest.tiles import DeepZoom
from atlas.site import urls
from atlas.site.ledger import Ledger
from atlas.site.journey_plan import Journeys
from atlas.site.page_keys import PageKeys
from atlas.site.pairings import PairingPlan
from atlas.site.work_display import display_artist, display_fields


@dataclass(frozen=True)
class Studies:
    """What the studies of the network found; each is None (heat maps: empty) when switched off."""

    probes: ProbeReport | None = None
    heatmaps: dict[str, Path] = field(default_factory=dict)  # work id -> cached overlay JPEG
    patterns: tuple[Pattern, ...] | None = None
    surprises: Surprises | None = None
    graph: CultureGraph | None = None


@dataclass(frozen=True)
class SiteData:
    """Everything the pages show, as plain data from the earlier stages."""

    config: SiteConfig
    works: list[Record]  # published works, sorted by id
    thumbs: dict[str, dict[int, Path]]  # id -> {size: cached thumbnail file}
    dims: dict[str, tuple[int, int]]  # id -> (width, height) of the large thumbnail
    analogies: dict[str, dict[str, dict[str, list[tuple[str, float]]]]]
    similarity: CultureSimilarity
    cluster_map: ClusterMap
    about: dict = field(default_factory=dict)  # model, counts, settings, problems for the about page
    pairings: PairingPlan | None = None  # atlas.site.pairings: pre-rendered pairs, curated pairs, previous URL ledger
    studies: Studies = field(default_factory=Studies)
    deep_zoom: DeepZoom = field(default_factory=DeepZoom)  # atlas.ingest.tiles: tiles or IIIF services to zoom into
    scale: SimilarityScale | None = None  # where a score falls among all pairs (atlas.analysis.similarity_scale)
    why: Any = field(default_factory=dict)  # .get((a, b)) -> {family: share}: atlas.analysis.pair_shares.PairShares
    journeys: Journeys | None = None  # the journey graph and the pre-rendered journeys (the journeys stage)
    larger: LargerImages = field(default_factory=LargerImages)  # atlas.ingest.larger_images: the larger views


@dataclass(frozen=True)
class Output:
    """One file of the site: bytes to write, or a file to copy; `url` is set for pages the sitemap lists.

    `checked` names the kind of cache artefact `source` is (atlas.core.checked): its bytes must match
    their checksum when they are copied. Empty for files that carry no checksum (the theme's CSS)."""

    path: str
    data: bytes | None = None
    source: Path | None = None
    url: str | None = None
    checked: str = ""
    key: str = ""  # the page's render key (atlas.site.page_keys), "" for files that have none
    kept: bool = False  # the published file is kept as it is: its key did not change (no data)


@dataclass(frozen=True)
class SiteContext:
    """The site-wide context of one build (see the module docstring)."""

    data: SiteData
    env: Environment
    names: dict[str, dict]
    by_id: dict[str, Record]
    clusters_by_work: dict[str, Cluster]
    paths: urls.PathNames = field(default_factory=urls.PathNames)  # every key's path segment (urls.plan_paths)
    views: dict[str, dict] = field(default_factory=dict)  # work id -> work_view(): a memo, never changed once made
    page_keys: PageKeys | None = None  # the published pages' render keys: pages whose inputs did not change are kept

    @property
    def config(self) -> SiteConfig:
        return self.data.config

    @property
    def base(self) -> str:
        return self.data.config.base_url

    @property
    def small(self) -> int:
        return min(self.data.config.thumbnails.sizes)

    @property
    def large(self) -> int:
        return max(self.data.config.thumbnails.sizes)

    # -- links ---------------------------------------------------------------------------------
    def url(self, kind: str, key: str | tuple[str, str] | None = None) -> str:
        return urls.join_url(self.base, self.paths.page_path(kind, key))

    def asset(self, name: str) -> str:
        return urls.join_url(self.base, urls.asset_path(name))

    def work_data_path(self, work_id: str) -> str:
        """The file that holds a work's JSON record (urls.work_data_pattern decides where)."""
        return self.paths.work_data_path(work_id, self.config.iiif.manifests)

    def work_data_url(self) -> str:
        """The URL pattern of every work's JSON record, `{segment}` for the work's path segment (what the
        front end's reader is given: assets/work_data.js)."""
        return urls.join_url(self.base, urls.work_data_pattern(self.config.iiif.manifests))

    # -- views ---------------------------------------------------------------------------------
    def work_view(self, work_id: str) -> dict:
        """What a template shows of one work (built once: a work appears on up to k x groups pages)."""
        if work_id in self.views:
            return self.views[work_id]
        w = self.by_id[work_id]
        width, height = self.data.dims.get(work_id, (self.large, self.large))
        line = byline(display_artist(w.artist), w.date_text)  # the raw artist string stays in view['artist']
        view = self.views[work_id] = {
            "id": w.id,
            "title": w.title or "Untitled",
            "artist": w.artist,
            "date": w.date_text,
            "culture": w.culture,
            "medium": w.medium,
            "culture_raw": w.culture_raw,
            "medium_raw": w.medium_raw,
            "url": self.url("work", w.id),
            "culture_url": self.url("culture", w.culture) if w.culture else "",
            "medium_url": self.url("medium", w.medium) if w.medium else "",
            "thumb": urls.join_url(self.base, self.paths.thumb_path(self.small, w.id)),
            "image": urls.join_url(self.base, self.paths.thumb_path(self.large, w.id)),
            "width": width,
            "height": height,
            "alt": f"{w.title or 'Untitled'}, {line}" + (f"; {w.culture_raw}" if w.culture_raw else "")
            + (f"; {w.medium_raw}" if w.medium_raw else ""),
            "byline": line,
            **display_fields(w),
        }
        return view

    # -- pages ---------------------------------------------------------------------------------
    def render(self, template: str, **context) -> str:
        return self.env.get_template(template).render(**context)

    def page(self, kind: str, key: str | tuple[str, str] | None, template: str, reads: object = None,
             fingerprint: str = "", **context) -> Output:
        """A page at its URL; every page but 404 and the sitemap is listed in the sitemap.

        With `reads` (what the page reads through per-page globals, atlas.site.page_keys), the page gets a
        render key, and is not rendered again when the published page was made from the same key; a
        `fingerprint` (atlas.site.artwork_keys) is stored in front of the key."""
        url = self.url(kind, key)
        listed = url if kind not in ("404", "sitemap") else None
        path, digest = self.paths.page_file(kind, key), ""
        if reads is not None and self.page_keys is not None:
            digest = self.page_keys.key(self.env, template, dict(context, page_url=url), reads, self.views)
            stored = f"{fingerprint}:{digest}" if fingerprint and digest else digest
            if digest and self.page_keys.unchanged(path, digest):
                return Output(path, url=listed, key=stored, kept=True)
            digest = stored
        html = self.render(template, page_url=url, **context)
        return Output(path, html.encode("utf-8"), url=listed, key=digest)

    def page_at(self, path: str, template: str, listed: bool = True, reads: object = None, **context) -> Output:
        """A page at a path that is not one of urls.PAGE_PATTERNS (culture pairs, redirects, notices); with
        `reads`, keyed and kept as `page` does."""
        url, file, key = urls.join_url(self.base, path), path + "index.html", ""
        if reads is not None and self.page_keys is not None:
            key = self.page_keys.key(self.env, template, context, reads, self.views)
            if key and self.page_keys.unchanged(file, key):
                return Output(file, url=url if listed else None, key=key, kept=True)
        return Output(file, self.render(template, **context).encode("utf-8"), url=url if listed else None, key=key)


def make_environment(config: SiteConfig) -> Environment:
    """Jinja with autoescaping everywhere (metadata is untrusted), the package's templates, and the site's
    own template folder first when `theme.templates` names one (a file there replaces the package's)."""
    loaders = [PackageLoader("atlas", "templates")]
    if config.theme.templates:
        loaders.insert(0, FileSystemLoader(config.resolve(config.theme.templates)))
    return Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def new_context(data: SiteData) -> SiteContext:
    """A context without its globals yet: atlas.site.render.make_context sets them all, once."""
    names = condition_names(data.config.labels)  # "Style" instead of "Culture", when configured
    for fld in CONDITIONS:
        names[fld]["used"] = any(getattr(w, fld) for w in data.works)
    return SiteContext(
        data=data,
        env=make_environment(data.config),
        names=names,
        by_id={w.id: w for w in data.works},
        clusters_by_work={m: c for c in data.cluster_map.clusters for m in c.members},
        paths=(data.pairings.previous if data.pairings else Ledger()).plan_paths(path_keys(data)),
    )


def path_keys(data: SiteData) -> dict[str, list[str]]:
    """Every key that becomes a path segment, by space (atlas.site.urls.SPACES): planned together, so
    that no two of one space share a segment on a case-insensitive file system."""
    cultures = {w.culture for w in data.works if w.culture} | set(data.similarity.labels)
    return {
        "work": [w.id for w in data.works],
        "culture": sorted(cultures),
        "medium": sorted({w.medium for w in data.works if w.medium}),
        "pattern": [p.id for p in data.studies.patterns or ()],
    }


def site_view(config: SiteConfig) -> dict:
    theme_css = [urls.asset_path(f"site/{Path(p).name}") for p in config.theme.css]
    return {"title": config.title, "description": config.description, "base_url": config.base_url,
            "url": config.site_url.rstrip("/"),  # the public origin, "" when unset (then no absolute URLs)
            "theme_css": [urls.join_url(config.base_url, p) for p in theme_css]}
