"""IIIF out: a Presentation 3 manifest per work, Collections of the atlas and its groups, deep-zoom tiles.

So that Mirador, Universal Viewer or any other IIIF client can open any part of the atlas:

* iiif/<id>/manifest.json: the work's label, metadata, credit (requiredStatement), rights (only when it is a
  Creative Commons or RightsStatements.org URI, as the spec allows; else it is a metadata entry), its atlas
  page as `homepage`, the whole analogies table (data/tables/analogies.csv.gz) as `seeAlso`, and one Canvas
  painted with the page image; when the work has deep-zoom tiles, the Canvas has the full image's size and
  the image a level-0 service. The work's own JSON record (atlas.site.work_json: its analogies, why, pair
  pages) rides in the manifest under the extension property "atlas", so a work has one data file (issue 20);
  atlas.site.work_files makes each manifest, once per work.
* iiif/context.json: the JSON-LD 1.1 context of that extension, as Presentation 3 asks of extensions: it maps
  the term "atlas" to an IRI under the site with "@type": "@json", so JSON-LD processors take the record as
  one opaque JSON literal. Each manifest lists it in its `@context` before the IIIF context, which stays last.
* iiif/<id>/image/: those tiles (atlas.ingest.tiles) with an info.json whose id is the service's public URL.
* iiif/collection.json: the whole atlas (every group's Collection, then every manifest);
  iiif/<culture|medium>.collections/<group>.json: one Collection per group.

IIIF ids must be absolute URIs. They are built from site_url + base_url; with no site_url they use
http://127.0.0.1:8000 (where `atlas serve` previews the site), and the build says so, since such ids only
resolve on the machine that previews. The deep-zoom viewer never trusts an id for its requests: it reads
info.json from the page's own origin and sets the id to that folder (assets/deepzoom.js), so a site moved
to another host still zooms without a request elsewhere. Every file is deterministic JSON (jsonio).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from importlib import resources

from atlas.core.config import SiteConfig
from atlas.core.jsonio import json_bytes
from atlas.core.records import CONDITIONS
from atlas.site import urls
from atlas.site.context import Output, SiteContext
from atlas.site.downloads import ANALOGIES_PATH
from atlas.site.work_json import (
    EXTENSION,  # the manifest's property holding the work's record
)

PRESENTATION_CONTEXT = "http://iiif.io/api/presentation/3/context.json"
CONTEXT_PATH = "iiif/context.json"  # the JSON-LD context of the "atlas" extension (`atlas_context`)
PREVIEW_ORIGIN = "http://127.0.0.1:8000"  # `atlas serve`'s address: the ids' origin when site_url is empty
VIEWER_FOLDER = "vendor/openseadragon"  # under atlas/assets/: OpenSeadragon, pinned, with its licence
VIEWER_FILES = ("openseadragon.min.js", "LICENSE.txt")
# The rights URIs Presentation 3 allows in `rights` (others go into metadata), in their canonical http form.
_RIGHTS = re.compile(r"^https?://(creativecommons\.org/(?:licenses|publicdomain)/\S+|rightsstatements\.org/vocab/\S+)$")


def public_origin(config: SiteConfig) -> str:
    return config.site_url.rstrip("/") or PREVIEW_ORIGIN


def origin_note(config: SiteConfig) -> str | None:
    """The build's note when IIIF ids cannot be the public ones."""
    if config.site_url or not config.iiif.manifests:
        return None
    return (f"iiif: site_url is empty, so the IIIF manifests' ids use {PREVIEW_ORIGIN} (atlas serve); set "
            "site_url for ids that resolve where the site is published")


def collection_url(config: SiteConfig) -> str:
    """The whole atlas's IIIF Collection as the about page links it ("" when manifests are off)."""
    return urls.join_url(config.base_url, urls.PLAIN.iiif_collection_path()) if config.iiif.manifests else ""


def iiif_files(ctx: SiteContext) -> Iterator[Output]:
    """The page group: tiles and their info.json, the viewer's files, manifests and collections."""
    zoom = ctx.data.deep_zoom
    for work_id, tiles in sorted(zoom.tiles.items()):
        yield from tile_outputs(ctx, work_id, tiles)
    if zoom.tiles or zoom.services:
        root = resources.files("atlas") / "assets" / VIEWER_FOLDER
        for name in VIEWER_FILES:
            yield Output(urls.asset_path(f"{VIEWER_FOLDER}/{name}"), (root / name).read_bytes())
    if not ctx.config.iiif.manifests:
        return
    yield Output(CONTEXT_PATH, json_bytes(atlas_context(ctx)))  # the manifests: atlas.site.work_files, with pages' data
    for fld in CONDITIONS:
        for group, members in sorted(group_members(ctx, fld).items()):
            yield Output(ctx.paths.iiif_collection_path(fld, group), json_bytes(group_collection(ctx, fld, group, members)))
    yield Output(ctx.paths.iiif_collection_path(), json_bytes(atlas_collection(ctx)))


def atlas_context(ctx: SiteContext) -> dict:
    """The JSON-LD 1.1 context of the "atlas" extension: the term maps to an IRI under the site (this file's
    URL and a fragment), typed "@json" so the work's record is one JSON literal, never read as linked data."""
    return {"@context": {"@version": 1.1, EXTENSION: {"@id": absolute(ctx, CONTEXT_PATH) + "#" + EXTENSION,
                                                      "@type": "@json"}}}


def absolute(ctx: SiteContext, path: str) -> str:
    """The public URL of a site-relative path (see the module docstring for the origin)."""
    return public_origin(ctx.config) + urls.join_url(ctx.base, path)


def tile_outputs(ctx: SiteContext, work_id: str, tiles) -> Iterator[Output]:
    """The cached tiles copied under iiif/<id>/image/, and an info.json of this site's own."""
    folder = ctx.paths.iiif_image_path(work_id)
    for name, _ in tiles.files:
        if name != "info.json":
            yield Output(f"{folder}/{name}", source=tiles.folder / name)
    info = json.loads((tiles.folder / "info.json").read_text(encoding="utf-8"))
    info["id"] = absolute(ctx, folder)
    info["sizes"] = listed_sizes(name for name, _ in tiles.files)  # what a level-0 client may ask for whole
    yield Output(f"{folder}/info.json", json_bytes(info))


def listed_sizes(names) -> list[dict]:
    """The whole-image sizes present as files (full/<w>,<h>/0/default.jpg), smallest first."""
    found = set()
    for name in names:
        match = re.match(r"^full/(\d+),(\d+)/0/default\.jpg$", name)
        if match:
            found.add((int(match.group(1)), int(match.group(2))))
    return [{"width": w, "height": h} for w, h in sorted(found)]


def zoom_view(ctx: SiteContext, work_id: str) -> dict | None:
    """What the artwork page's deep-zoom viewer reads: the info.json URL and, for a collection's own
    service, its host (the one foreign request the page then makes)."""
    zoom = ctx.data.deep_zoom
    if work_id in zoom.tiles:
        folder = ctx.paths.iiif_image_path(work_id)
        return {"info": urls.join_url(ctx.base, folder + "/info.json"), "local": True, "host": ""}
    if work_id in zoom.services:
        service = zoom.services[work_id]
        return {"info": service + "/info.json", "local": False, "host": service.split("/")[2]}
    return None


def iiif_view(ctx: SiteContext, work_id: str) -> dict:
    """The artwork page's IIIF links: its manifest (when published) and its deep-zoom viewer (or None)."""
    manifest_url = urls.join_url(ctx.base, ctx.paths.iiif_manifest_path(work_id)) if ctx.config.iiif.manifests else ""
    return {"manifest": manifest_url, "zoom": zoom_view(ctx, work_id),
            "viewer": urls.join_url(ctx.base, urls.asset_path(f"{VIEWER_FOLDER}/openseadragon.min.js"))}


def text(value: str) -> dict:
    """A IIIF language map of plain text. A value that begins with '<' and ends with '>' would be read as
    HTML by IIIF clients, so such a value is escaped inside a <span> and shows as the words it is."""
    if value.startswith("<") and value.endswith(">"):
        value = f"<span>{html.escape(value)}</span>"
    return {"none": [value]}


def label(words: str) -> dict:
    """A label's language map: labels are never read as HTML, so they stay exactly as written."""
    return {"none": [words]}


def english(words: str) -> dict:
    return {"en": [words]}


def metadata(ctx: SiteContext, work_id: str) -> list[dict]:
    """Label / value pairs of what the artwork page shows (empty fields left out)."""
    w = ctx.by_id[work_id]
    pairs = [("Artist", w.artist), ("Date", w.date_text)]
    for fld in CONDITIONS:
        pairs.append((ctx.names[fld]["one"], getattr(w, fld) or getattr(w, f"{fld}_raw")))
    pairs += [("Identifier", w.id), ("Source", w.source_url)]
    if w.rights and not rights_uri(w.rights):
        pairs.append(("Rights", w.rights))
    return [{"label": english(label), "value": text(value)} for label, value in pairs if value]


def rights_uri(value: str) -> str | None:
    """`value` as Presentation 3's `rights` when it is a URI the spec allows there, else None."""
    match = _RIGHTS.match(value.strip())
    return f"http://{match.group(1)}" if match else None


def manifest(ctx: SiteContext, work_id: str, record: dict) -> dict:
    """The work's Presentation 3 Manifest carrying its JSON `record` (see the module docstring)."""
    w, view = ctx.by_id[work_id], ctx.work_view(work_id)
    own = absolute(ctx, ctx.paths.iiif_manifest_path(work_id))
    base = own.rsplit("/", 1)[0]
    doc = {
        "@context": [absolute(ctx, CONTEXT_PATH), PRESENTATION_CONTEXT],  # extensions first, IIIF's last
        "id": own,
        "type": "Manifest",
        "label": label(view["title"]),
        "summary": text(view["byline"]),
        "metadata": metadata(ctx, work_id),
        "thumbnail": [{"id": absolute(ctx, ctx.paths.thumb_path(ctx.small, work_id)), "type": "Image",
                       "format": "image/jpeg"}],
        "homepage": [{"id": public_origin(ctx.config) + view["url"], "type": "Text", "format": "text/html",
                      "label": english(f"{view['title']} in {ctx.config.title}")}],
        "seeAlso": [{"id": absolute(ctx, ANALOGIES_PATH), "type": "Dataset", "format": "application/gzip",
                     "label": english("Every work's visual analogies (gzip-compressed CSV)")}],
        "partOf": [{"id": absolute(ctx, ctx.paths.iiif_collection_path()), "type": "Collection"}],
        "items": [canvas(ctx, work_id, base)],
        EXTENSION: record,  # the work's JSON record, a JSON literal (iiif/context.json)
    }
    if w.credit:
        doc["requiredStatement"] = {"label": english("Credit"), "value": text(w.credit)}
    if rights_uri(w.rights):
        doc["rights"] = rights_uri(w.rights)
    return doc


def canvas(ctx: SiteContext, work_id: str, base: str) -> dict:
    """One Canvas painted with the page image; the full image's size and a level-0 service with tiles."""
    view, tiles = ctx.work_view(work_id), ctx.data.deep_zoom.tiles.get(work_id)
    width, height = (tiles.width, tiles.height) if tiles else (view["width"], view["height"])
    body = {"id": public_origin(ctx.config) + view["image"], "type": "Image", "format": "image/jpeg",
            "width": view["width"], "height": view["height"]}
    if tiles:
        body["service"] = [{"id": absolute(ctx, ctx.paths.iiif_image_path(work_id)), "type": "ImageService3",
                            "profile": "level0"}]
    page = f"{base}/canvas/1/page"
    annotation = {"id": f"{page}/image", "type": "Annotation", "motivation": "painting", "body": body,
                  "target": f"{base}/canvas/1"}
    return {"id": f"{base}/canvas/1", "type": "Canvas", "label": label(view["title"]), "width": width,
            "height": height, "items": [{"id": page, "type": "AnnotationPage", "items": [annotation]}]}


def group_members(ctx: SiteContext, fld: str) -> dict[str, list[str]]:
    members: dict[str, list[str]] = {}
    for w in ctx.data.works:
        if getattr(w, fld):
            members.setdefault(getattr(w, fld), []).append(w.id)
    return members


def manifest_ref(ctx: SiteContext, work_id: str) -> dict:
    return {"id": absolute(ctx, ctx.paths.iiif_manifest_path(work_id)), "type": "Manifest",
            "label": label(ctx.work_view(work_id)["title"])}


def group_collection(ctx: SiteContext, fld: str, group: str, members: list[str]) -> dict:
    return {
        "@context": PRESENTATION_CONTEXT,
        "id": absolute(ctx, ctx.paths.iiif_collection_path(fld, group)),
        "type": "Collection",
        "label": english(f"{group} ({ctx.names[fld]['one']}) in {ctx.config.title}"),
        "homepage": [{"id": public_origin(ctx.config) + ctx.url(fld, group), "type": "Text", "format": "text/html",
                      "label": english(group)}],
        "partOf": [{"id": absolute(ctx, ctx.paths.iiif_collection_path()), "type": "Collection"}],
        "items": [manifest_ref(ctx, work_id) for work_id in members],
    }


def atlas_collection(ctx: SiteContext) -> dict:
    """The whole atlas: each group's Collection, then every work's Manifest."""
    groups = [{"id": absolute(ctx, ctx.paths.iiif_collection_path(fld, group)), "type": "Collection",
               "label": english(f"{group} ({ctx.names[fld]['one']})")}
              for fld in CONDITIONS for group in sorted(group_members(ctx, fld))]
    return {
        "@context": PRESENTATION_CONTEXT,
        "id": absolute(ctx, ctx.paths.iiif_collection_path()),
        "type": "Collection",
        "label": english(ctx.config.title),
        "summary": english(ctx.config.description),
        "homepage": [{"id": public_origin(ctx.config) + ctx.url("home"), "type": "Text", "format": "text/html",
                      "label": english(ctx.config.title)}],
        "items": groups + [manifest_ref(ctx, w.id) for w in ctx.data.works],
    }
