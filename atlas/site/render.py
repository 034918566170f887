"""Stage 6: pages. Turns the plain results of the earlier stages into HTML, JSON and XML files.

Jinja2 with autoescaping on for every template (metadata is untrusted: a title holding <script> is shown
as text). Templates receive small dicts built here ("views"), never Records or numpy arrays, and build
every link through `url()` / `asset()`, which go through atlas.site.urls and respect base_url. All JSON is
written with sorted keys and rounded floats so two builds of the same input are byte-identical.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from atlas.analysis.chord import chord_svg, palette
from atlas.analysis.culture import strongest_links
from atlas.core.config import SiteConfig
from atlas.core.jsonio import json_bytes
from atlas.core.records import Record
from atlas.ingest.labels import condition_names
from atlas.site import urls
from atlas.site.explorer import write_explorer
from atlas.site.pair_pages import PairPages
from atlas.site.pairings import PairingPlan
from atlas.site.render_insights import render_insights
from atlas.site.render_pool import render_artworks
from atlas.site.writer import SiteWriter

FIELDS = ("culture", "medium")
GROUP_KINDS = {"culture": "cultures", "medium": "media"}


@dataclass
class SiteData:
    """Everything the pages show, as plain data from the earlier stages."""

    config: SiteConfig
    works: list[Record]  # published works, sorted by id
    thumbs: dict[str, dict[int, Path]]  # id -> {size: cached thumbnail file}
    dims: dict[str, tuple[int, int]]  # id -> (width, height) of the large thumbnail
    analogies: dict[str, dict[str, dict[str, list[tuple[str, float]]]]]
    similarity: dict  # atlas.analysis.culture.culture_similarity
    cluster_map: dict  # atlas.analysis.clusters.cluster_map
    about: dict = field(default_factory=dict)  # model, counts, settings, problems for the about page
    pairings: PairingPlan | None = None  # atlas.site.pairings: pre-rendered pairs, curated pairs, previous URL ledger
    insights: dict = field(default_factory=dict)  # atlas.analysis.insights.compute_insights: probes, heat maps, patterns...


def package_assets() -> list[tuple[str, bytes]]:
    """The CSS, JS and icons shipped inside the package (package data, so an installed wheel has them)."""
    root = resources.files("atlas") / "assets"
    return [(item.name, item.read_bytes()) for item in sorted(root.iterdir(), key=lambda i: i.name) if item.is_file()]


class Renderer:
    def __init__(self, data: SiteData, writer: SiteWriter):
        self.data = data
        self.writer = writer
        self.base = data.config.base_url
        self.small, self.large = min(data.config.thumbnails.sizes), max(data.config.thumbnails.sizes)
        self.by_id = {w.id: w for w in data.works}
        self.env = Environment(
            loader=PackageLoader("atlas", "templates"),
            autoescape=select_autoescape(["html", "xml"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.names = condition_names(data.config.labels)  # "Style" instead of "Culture", when configured
        for fld in FIELDS:
            self.names[fld]["used"] = any(getattr(w, fld) for w in data.works)
        self.env.globals.update(url=self.url, asset=self.asset, site=self._site_view(), names=self.names)
        self.sitemap: list[str] = []
        self.clusters_by_work = {m: c for c in data.cluster_map.get("clusters", []) for m in c["members"]}
        self.pair_pages = PairPages(self)  # pair pages, curated pairings, URL ledger (atlas.site.pair_pages)
        self.views: dict[str, dict] = {}  # work id -> work_view(), read-only once made

    # -- links ---------------------------------------------------------------------------------
    def url(self, kind: str, key: str | None = None) -> str:
        return urls.join_url(self.base, urls.page_path(kind, key))

    def asset(self, name: str) -> str:
        return urls.join_url(self.base, urls.asset_path(name))

    def _site_view(self) -> dict:
        cfg = self.data.config
        return {"title": cfg.title, "description": cfg.description, "base_url": self.base}

    # -- views ---------------------------------------------------------------------------------
    def work_view(self, work_id: str) -> dict:
        if work_id in self.views:  # a work is shown on up to k x groups other pages: build its view once
            return self.views[work_id]
        w = self.by_id[work_id]
        width, height = self.data.dims.get(work_id, (self.large, self.large))
        byline = ", ".join(x for x in (w.artist or "Unknown artist", w.date_text) if x)
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
            "thumb": urls.join_url(self.base, urls.thumb_path(self.small, w.id)),
            "image": urls.join_url(self.base, urls.thumb_path(self.large, w.id)),
            "width": width,
            "height": height,
            "alt": f"{w.title or 'Untitled'}, {byline}" + (f"; {w.culture_raw}" if w.culture_raw else "")
            + (f"; {w.medium_raw}" if w.medium_raw else ""),
            "byline": byline,
        }
        return view

    def analogy_rows(self, work_id: str) -> dict[str, list[dict]]:
        """{field: [{group, url, items: [{work, score, rank}]}]} for one artwork page."""
        rows: dict[str, list[dict]] = {}
        for fld in FIELDS:
            groups = self.data.analogies.get(work_id, {}).get(fld, {})
            rows[fld] = [
                {
                    "group": group,
                    "url": self.url(fld, group),
                    "items": [
                        {"work": self.work_view(other), "score": score, "rank": rank}
                        for rank, (other, score) in enumerate(pairs, start=1)
                    ],
                }
                for group, pairs in sorted(groups.items())
            ]
        return rows

    # -- pages ---------------------------------------------------------------------------------
    def page(self, kind: str, key: str | None, template: str, **context) -> None:
        html = self.env.get_template(template).render(page_url=self.url(kind, key), **context)
        self.writer.write_text(urls.page_file(kind, key), html)
        if kind not in ("404", "sitemap"):
            self.sitemap.append(self.url(kind, key))

    def render_all(self) -> int:
        """Write every page, JSON file, thumbnail and asset. Returns the number of HTML pages."""
        self.copy_assets()
        self.copy_thumbnails()
        render_insights(self)
        self.home()
        render_artworks(self, [w.id for w in self.data.works], self.data.config.render.workers)
        for fld in FIELDS:
            self.groups(fld)
        write_explorer(self)
        self.chord()
        self.map()
        self.page("about", None, "about.html", about=self.data.about)
        self.page("404", None, "404.html")
        self.pair_pages.render()  # after every other page: it gives vanished URLs a page and saves the ledger
        self.write_json()
        pages = len(self.sitemap) + 1  # + the 404 page
        origin = self.data.config.site_url.rstrip("/")
        locs = [origin + path for path in self.sitemap]
        self.writer.write_text(urls.page_file("sitemap"), self.env.get_template("sitemap.xml").render(pages=locs))
        return pages

    def home(self) -> None:
        self.page(
            "home",
            None,
            "home.html",
            featured=self.featured_pairs(),
            cultures=self.group_cards("culture"),
            media=self.group_cards("medium"),
            count=len(self.data.works),
        )

    def artwork(self, work_id: str) -> None:
        cluster = self.cluster_of(work_id)
        self.page("work", work_id, "artwork.html", work=self.work_view(work_id), analogies=self.analogy_rows(work_id), cluster=cluster)

    def groups(self, fld: str) -> None:
        cards = self.group_cards(fld)
        self.page(GROUP_KINDS[fld], None, "groups.html", field=fld, title=self.names[fld]["many"], groups=cards)
        links = strongest_links(self.data.similarity) if fld == "culture" else {}
        for card in cards:
            members = [self.work_view(w.id) for w in self.data.works if getattr(w, fld) == card["name"]]
            related = [
                {"name": name, "url": self.url("culture", name), "similarity": value}
                for name, value in links.get(card["name"], [])
            ]
            self.page(fld, card["name"], "group.html", field=fld, group=card, works=members, related=related)

    def group_cards(self, fld: str) -> list[dict]:
        counts: dict[str, list[str]] = {}
        for w in self.data.works:
            if getattr(w, fld):
                counts.setdefault(getattr(w, fld), []).append(w.id)
        return [
            {"name": name, "url": self.url(fld, name), "count": len(ids), "cover": self.work_view(ids[0])}
            for name, ids in sorted(counts.items())
        ]

    def featured_pairs(self, limit: int = 12) -> list[dict]:
        """The most similar cross-culture top-1 analogies, at most one per pair of cultures."""
        candidates = []
        for w in self.data.works:
            for group, pairs in self.data.analogies.get(w.id, {}).get("culture", {}).items():
                if w.culture and group != w.culture and pairs:
                    candidates.append((-pairs[0][1], w.id, pairs[0][0], tuple(sorted((w.culture, group)))))
        chosen, seen = [], set()
        for neg_score, a, b, key in sorted(candidates):
            if key not in seen:
                seen.add(key)
                chosen.append({"a": self.work_view(a), "b": self.work_view(b), "score": -neg_score})
        return chosen[:limit]

    def cluster_of(self, work_id: str) -> dict | None:
        return self.clusters_by_work.get(work_id)

    def chord(self) -> None:
        sim = self.data.similarity
        links = [self.url("culture", name) for name in sim["labels"]]
        svg = chord_svg(sim["labels"], sim["similarity"], sim["counts"], links)
        rows = [
            {"name": name, "url": links[i], "values": [round(v, 3) for v in sim["similarity"][i]]}
            for i, name in enumerate(sim["labels"])
        ]
        self.page("chord", None, "chord.html", svg=svg, labels=sim["labels"], rows=rows)

    def map(self) -> None:
        cmap = self.data.cluster_map
        points = [dict(p, work=self.work_view(p["id"])) for p in cmap["points"]]
        cultures = sorted({w.culture for w in self.data.works if w.culture})
        media = sorted({w.medium for w in self.data.works if w.medium})
        colours = dict(zip(cultures, palette(len(cultures))))
        clusters = [dict(c, reps=[self.work_view(i) for i in c["representatives"]]) for c in cmap["clusters"]]
        self.page("map", None, "map.html", points=points, clusters=clusters, cultures=cultures, media=media, colours=colours)

    # -- files ---------------------------------------------------------------------------------
    def copy_assets(self) -> None:
        for name, data in package_assets():
            self.writer.write_bytes(urls.asset_path(name), data)

    def copy_thumbnails(self) -> None:
        for w in self.data.works:
            for size, source in sorted(self.data.thumbs[w.id].items()):
                self.writer.copy_file(urls.thumb_path(size, w.id), source)

    def write_json(self) -> None:
        """Data files the front end (and anyone else) can read: one per work, plus indexes."""
        index = []
        for w in self.data.works:
            view = self.work_view(w.id)
            entry = {k: view[k] for k in ("id", "title", "artist", "date", "culture", "medium", "url", "thumb")}
            index.append(entry)
            record = dict(entry, image=view["image"], culture_raw=w.culture_raw, medium_raw=w.medium_raw,
                          date_begin=w.date_begin, date_end=w.date_end, analogies=self.data.analogies.get(w.id, {}))
            self.writer.write_bytes(urls.work_json_path(w.id), json_bytes(record))
        self.writer.write_bytes("data/works.json", json_bytes(index))
        self.writer.write_bytes("data/culture-similarity.json", json_bytes(self.data.similarity))
        self.writer.write_bytes("data/map.json", json_bytes(self.data.cluster_map))
