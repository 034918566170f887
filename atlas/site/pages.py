"""The collection's own pages and files: home, artworks, groups, chord, map, about, 404, JSON, assets.

Each function takes the SiteContext (atlas.site.context) and yields Outputs; none writes or changes
shared state. Templates receive small dicts built here ("views"), never Records or numpy arrays, and
build every link through `url()` / `asset()`, which go through atlas.site.urls and respect base_url. All
JSON goes through atlas.core.jsonio so two builds of the same input are byte-identical.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path

from atlas.analysis.analogy_table import first_analogies
from atlas.analysis.chord import chord_svg, palette
from atlas.analysis.culture import strongest_links
from atlas.core.jsonio import json_bytes
from atlas.core.records import CONDITIONS
from atlas.ingest import thumbnails
from atlas.site import urls
from atlas.site.artwork_keys import kept_page
from atlas.site.context import Output, SiteContext
from atlas.site.iiif_out import iiif_view
from atlas.site.page_reads import pair_reads, site_reads
from atlas.site.pair_links import pair_page_links
from atlas.site.work_display import default_conditions
from atlas.site.work_files import work_data_file

GROUP_KINDS = {"culture": "cultures", "medium": "media"}
MORE_LISTED = 12  # groups an artwork page lists as one text link each besides those it pictures (readers without
# scripts); the switcher offers every group, from the work's JSON
SCALE_PATH = "data/similarity-scale.json"  # turns a raw score into its percentile among all pairs
INDEX_FIELDS = ("id", "title", "artist", "date", "culture", "medium", "url", "thumb")


def package_assets() -> list[tuple[str, bytes]]:
    """The CSS, JS and icons shipped inside the package (package data, so an installed wheel has them)."""
    root = resources.files("atlas") / "assets"
    return [(item.name, item.read_bytes()) for item in sorted(root.iterdir(), key=lambda i: i.name) if item.is_file()]


def static_files(ctx: SiteContext) -> Iterator[Output]:
    """The package's assets, the site's own stylesheets (theme.css) and every work's thumbnails."""
    for name, data in package_assets():
        yield Output(urls.asset_path(name), data)
    for css in ctx.config.theme.css:
        source = ctx.config.resolve(css)
        yield Output(urls.asset_path(f"site/{source.name}"), source=source)
    for w in ctx.data.works:  # only the sizes pages use (preflight warns of any other in thumbnails.sizes)
        for size in sorted({ctx.small, ctx.large}):
            yield Output(ctx.paths.thumb_path(size, w.id), source=ctx.data.thumbs[w.id][size], checked=thumbnails.KIND)


def home(ctx: SiteContext) -> Iterator[Output]:
    featured = featured_pairs(ctx)
    yield ctx.page("home", None, "home.html", reads=pair_reads(ctx, featured), featured=featured,
                   cultures=group_cards(ctx, "culture"), media=group_cards(ctx, "medium"), count=len(ctx.data.works))


def artwork(ctx: SiteContext, work_id: str, fingerprint: str | None = None) -> Output:
    """The work's page. `fingerprint`: its fingerprint when the caller made it and found the page not kept
    (atlas.site.artworks); else this looks, and a page whose inputs are as the last build's is kept unbuilt."""
    if fingerprint is None:
        kept, fingerprint = kept_page(ctx, work_id)  # (atlas.site.artwork_keys)
        if kept is not None:
            return kept
    lists = ctx.data.analogies.get(work_id, {})
    defaults = default_conditions(ctx.by_id[work_id], lists)
    rows = analogy_rows(ctx, work_id, set(defaults.values()), lists)
    unlisted = {fld: len(lists.get(fld, {})) - len(rows[fld]) for fld in CONDITIONS}
    cluster = ctx.clusters_by_work.get(work_id)  # its name and anchor only: the members change with any work placed
    return ctx.page("work", work_id, "artwork.html", reads=artwork_reads(ctx, work_id, rows), fingerprint=fingerprint,
                    work=ctx.work_view(work_id),
                    analogies=rows, unlisted=unlisted, switcher=switcher_data(ctx),
                    cluster=cluster and {"id": cluster.id, "label": cluster.label},
                    iiif=iiif_view(ctx, work_id), defaults=defaults,
                    work_json=urls.join_url(ctx.base, ctx.work_data_path(work_id)),  # its downloads' source
                    work_json_in_manifest=ctx.config.iiif.manifests)


def artwork_reads(ctx: SiteContext, work_id: str, rows: dict[str, list[dict]]) -> dict:
    """What an artwork page reads through per-page globals and data-dependent filters, for its render key
    (atlas.site.page_keys); the test of page keys fails when the templates read anything else through them."""
    g, similarity = ctx.env.globals, ctx.env.filters["similarity"]
    items = [item for fld_rows in rows.values() for row in fld_rows for item in row["items"]]
    others = sorted({item["work"]["id"] for item in items})
    return {"insights": g["insights"]["works"].get(work_id), "curated": g["curated_for"](work_id),
            "pairs": [g["pair_url"](work_id, other) for other in others],
            "why": [g["why_match"](work_id, other) for other in others],  # its shares and heat maps
            "larger": g["larger_view"](work_id),
            "similarity": [similarity(item["score"]) for item in items]}  # the scale moves with every vector


def switcher_data(ctx: SiteContext) -> dict[str, str]:
    """What analogies.js needs to draw the groups the page does not picture from the works' JSON: the base URL,
    the list of ids with another path segment (data/path_names.json, "" when none), the URL pattern of a work's
    JSON (SiteContext.work_data_url) and the similarity scale ("" when none)."""
    return {"base": ctx.base, "names": urls.join_url(ctx.base, urls.path_names_path()) if ctx.paths.special.get("work") else "",
            "work_data": ctx.work_data_url(),
            "scale": urls.join_url(ctx.base, SCALE_PATH) if ctx.data.scale is not None else ""}


def analogy_rows(ctx: SiteContext, work_id: str, keep: set[str] = frozenset(), lists: dict | None = None) -> dict[str, list[dict]]:
    """{field: [{group, url, shown, items: [{work, score, rank}]}]} for one artwork page. `shown` rows (those
    whose anchor is in `keep`: the rows the page opens with, then the groups with the closest top analogy, up to
    render.groups_shown in all) are drawn as pictures; the next MORE_LISTED closest as one link each; the others are not on
    the page (so it does not grow with the number of groups): the switcher draws them all on demand."""
    rows: dict[str, list[dict]] = {}
    limit = ctx.data.config.render.groups_shown
    lists = ctx.data.analogies.get(work_id, {}) if lists is None else lists  # (the table builds them on each get)
    for fld in CONDITIONS:
        groups = lists.get(fld, {})
        ranked = sorted(groups, key=lambda g: (-groups[g][0][1], g))
        opening = [g for g in ranked if urls.condition_anchor(fld, g) in keep]
        shown = set((opening + [g for g in ranked if g not in opening])[:limit] if limit else ranked) | set(opening)
        listed = shown | set([g for g in ranked if g not in shown][:MORE_LISTED])
        rows[fld] = [
            {
                "group": group,
                "url": ctx.url(fld, group),
                "shown": group in shown,
                "items": [
                    {"work": ctx.work_view(other), "score": score, "rank": rank}
                    for rank, (other, score) in enumerate(pairs if group in shown else pairs[:1], start=1)
                ],
            }
            for group, pairs in sorted(groups.items()) if group in listed
        ]
    return rows


def groups(ctx: SiteContext) -> Iterator[Output]:
    """The index of each condition's groups, and one page per group."""
    for fld in CONDITIONS:
        cards = group_cards(ctx, fld)
        yield ctx.page(GROUP_KINDS[fld], None, "groups.html", reads=site_reads(ctx), field=fld,
                       title=ctx.names[fld]["many"], groups=cards)
        links = strongest_links(ctx.data.similarity) if fld == "culture" else {}
        for card in cards:
            members = [ctx.work_view(w.id) for w in ctx.data.works if getattr(w, fld) == card["name"]]
            related = [
                {"name": name, "url": ctx.url("culture", name), "similarity": value}
                for name, value in links.get(card["name"], [])
            ]
            yield ctx.page(fld, card["name"], "group.html", reads=site_reads(ctx), field=fld, group=card, works=members,
                           related=related)


def group_cards(ctx: SiteContext, fld: str) -> list[dict]:
    members: dict[str, list[str]] = {}
    for w in ctx.data.works:
        if getattr(w, fld):
            members.setdefault(getattr(w, fld), []).append(w.id)
    return [
        {"name": name, "url": ctx.url(fld, name), "count": len(ids), "cover": ctx.work_view(ids[0])}
        for name, ids in sorted(members.items())
    ]


def featured_pairs(ctx: SiteContext, limit: int = 12) -> list[dict]:
    """The most similar cross-culture top-1 analogies, at most one per pair of cultures: each pair's best
    (-score, work, analogy), the least of them first (what sorting every candidate and keeping each pair's first
    gave, without sorting 200,000 candidates at 10,000 works)."""
    firsts = first_analogies(ctx.data.analogies, [w.id for w in ctx.data.works], "culture")
    best: dict[tuple[str, str], tuple[float, str, str]] = {}
    pairs: dict[tuple[str, str], tuple[str, str]] = {}  # (culture, group) -> the two sorted, made once
    for w in ctx.data.works:
        if not w.culture:
            continue
        for _, group, other, score in firsts[w.id]:
            if group == w.culture:
                continue
            key = pairs.get((w.culture, group))
            if key is None:
                key = pairs[(w.culture, group)] = tuple(sorted((w.culture, group)))
            candidate = (-score, w.id, other)
            if key not in best or candidate < best[key]:
                best[key] = candidate
    chosen = sorted((found, key) for key, found in best.items())[:limit]
    return [{"a": ctx.work_view(a), "b": ctx.work_view(b), "score": -neg_score} for (neg_score, a, b), _ in chosen]


def chord(ctx: SiteContext) -> Iterator[Output]:
    sim = ctx.data.similarity
    links = [ctx.url("culture", name) for name in sim.labels]
    svg = chord_svg(sim.labels, sim.similarity, sim.counts, links, noun=ctx.names["culture"]["lower_many"])
    rows = [
        {"name": name, "url": links[i], "values": [round(v, 3) for v in sim.similarity[i]]}
        for i, name in enumerate(sim.labels)
    ]
    yield ctx.page("chord", None, "chord.html", reads=site_reads(ctx), svg=svg, labels=sim.labels, rows=rows)


def map_page(ctx: SiteContext) -> Iterator[Output]:
    cmap = ctx.data.cluster_map
    points = [{**p.to_json(), "work": ctx.work_view(p.id)} for p in cmap.points]
    cultures = sorted({w.culture for w in ctx.data.works if w.culture})
    media = sorted({w.medium for w in ctx.data.works if w.medium})
    colours = dict(zip(cultures, palette(len(cultures))))
    clusters = [{**c.to_json(), "reps": [ctx.work_view(i) for i in c.representatives]} for c in cmap.clusters]
    yield ctx.page("map", None, "map.html", reads=site_reads(ctx), points=points, clusters=clusters, cultures=cultures,
                   media=media, colours=colours)


def about_and_404(ctx: SiteContext) -> Iterator[Output]:
    yield ctx.page("about", None, "about.html", reads=site_reads(ctx), about=ctx.data.about)
    yield ctx.page("404", None, "404.html")


def data_files(ctx: SiteContext) -> Iterator[Output]:
    """Data files the front end (and anyone else) can read: one per work, plus indexes."""
    index, viewer_links = [], pair_page_links(ctx)  # the pair viewer's rel=canonical (site/pair_links.py)
    for w in ctx.data.works:
        view = ctx.work_view(w.id)
        entry = {k: view[k] for k in INDEX_FIELDS}
        index.append(entry)
        yield from work_data_file(ctx, w, viewer_links.get(w.id))  # its manifest or its JSON: site/work_files.py
    if ctx.paths.special.get("work"):  # the pair viewer's script reads it for the ids it cannot encode alone
        yield Output(urls.path_names_path(), json_bytes({"work": ctx.paths.special["work"]}))
    yield Output("data/works.json", json_bytes(index))
    # how the site names its two conditions (labels.*.title): "culture" and "medium" stay the JSON keys
    yield Output("data/conditions.json", json_bytes({fld: {k: ctx.names[fld][k] for k in ("one", "many")} for fld in CONDITIONS}))
    yield Output("data/culture-similarity.json", json_bytes(ctx.data.similarity.to_json()))
    yield Output("data/map.json", json_bytes(ctx.data.cluster_map.to_json()))
    if ctx.data.scale is not None:  # turns any raw score in the JSON into its percentile among all pairs
        yield Output(SCALE_PATH, json_bytes(ctx.data.scale.to_json()))


def sitemap(ctx: SiteContext, listed: Iterable[str]) -> Output:
    """sitemap.xml of every listed page URL, in the order the pages were made."""
    origin = ctx.config.site_url.rstrip("/")
    xml = ctx.render("sitemap.xml", pages=[origin + url for url in listed])
    return Output(urls.page_file("sitemap"), xml.encode("utf-8"))


def write_outputs(writer, outputs: Iterable[Output], listed: list[str], known: dict[str, list] | None = None) -> int:
    """Write every output through the site writer; append page URLs to `listed`. Returns the count written.
    `known`: the last build's page keys (PageKeys.old: path -> [key, size, ...]), whose sizes the kept files have."""
    count = 0
    for out in outputs:
        if out.kept:  # its render key matched: the published page is carried over as it is
            entry = known.get(out.path) if known else None
            writer.keep(out.path, entry[1] if entry else None)
        elif out.source is not None:
            writer.copy_file(out.path, Path(out.source), out.checked)
        else:
            writer.write_bytes(out.path, out.data)
        if out.url is not None:
            listed.append(out.url)
        count += 1
    return count
