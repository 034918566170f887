"""IIIF out and deep zoom on a small built site: manifests and collections load in the Presentation 3 model
(iiif-prezi3's pydantic models, generated from the IIIF validator's JSON schema) and every file they
reference exists in the site; large images get level-0 tiles whose info.json a level-0 client can follow to
real files; a rebuild reuses the cached tiles; the build summary states their cost; bytes are deterministic."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from atlas.build import build
from atlas.core.config import load_config
from atlas.ingest.tiles import image_service_base, wants_tiles
from atlas.site import urls
from atlas.site.iiif_out import rights_uri, text
from atlas.site.work_json import read_work_json

from .conftest import write_small_collection

prezi3 = pytest.importorskip("iiif_prezi3", reason="iiif-prezi3 is not installed (pip install -e '.[test]')")

SITE_URL = "https://atlas.example.org"
BASE = "/atlas/"
LARGE = {"L1": (1700, 1100), "L2": (900, 1800)}  # tiled: over the page image (128 px) and deep_zoom.min_size
SMALL = {"S1": (300, 200), "S2": (120, 120)}  # not tiled: no more to see than the page image, or under min_size


def picture(path: Path, size: tuple[int, int], seed: int) -> Path:
    """A noisy image (so its tiles are real JPEGs of some size), with a gradient to tell regions apart."""
    rng = np.random.default_rng(seed)
    w, h = size
    pixels = (rng.random((h, w, 3)) * 60).astype(np.uint8)
    pixels[..., 0] += (np.arange(w) * 190 // w).astype(np.uint8)[None, :]
    Image.fromarray(pixels).save(path)
    return path


def small_atlas(folder: Path, **deep_zoom) -> Path:
    images = folder / "images"
    images.mkdir(parents=True, exist_ok=True)
    rows = []
    for n, (work_id, size) in enumerate({**LARGE, **SMALL}.items()):
        rows.append({"id": work_id, "title": f"<b>Work</b> {work_id}" if work_id == "L1" else f"Work {work_id}",
                     "artist": "<i>A. Painter</i>" if work_id == "L1" else "A. Painter", "culture": "Dutch" if n % 2 else "Chinese", "medium": "Oil",
                     "image": str(picture(images / f"{work_id}.png", size, n)),
                     "credit": f"Gift of donor {n}", "source_url": f"https://museum.example.org/obj/{work_id}",
                     "rights": "https://creativecommons.org/publicdomain/zero/1.0/" if n % 2 else "All rights reserved"})
    settings = {"enabled": True, "min_size": 800, "tile_size": 256, **deep_zoom}
    return write_small_collection(folder, rows, "IIIF atlas", deep_zoom=settings)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(config, report) of the small atlas built with deep zoom and a site_url."""
    folder = tmp_path_factory.mktemp("iiif-atlas")
    config = load_config(small_atlas(folder), {"site_url": SITE_URL, "base_url": BASE})
    return config, build(config)


def local_path(site: Path, url: str) -> Path:
    """The file in the site that an absolute IIIF id of this site names."""
    assert url.startswith(SITE_URL + BASE), url
    return site / url[len(SITE_URL + BASE):]


def references(doc) -> list[str]:
    """Every id / homepage / seeAlso / service URL in a IIIF document, except the ids of Canvases,
    AnnotationPages and Annotations (which name things inside the manifest, not files) and the "atlas"
    extension's record (a JSON literal, not IIIF resources)."""
    found = []
    if isinstance(doc, dict):
        if "id" in doc and doc.get("type") not in ("Canvas", "AnnotationPage", "Annotation", "ImageService3"):
            found.append(doc["id"])
        for key, value in doc.items():
            found += references(value) if key != "atlas" else []
    elif isinstance(doc, list):
        for value in doc:
            found += references(value)
    return found


@pytest.mark.slow  # a build of the small atlas (~15 s on 2 cores, once per module)
def test_manifests_and_collections_load_in_the_presentation_3_model_and_reference_files_that_exist(built):
    config, _ = built
    site = config.output_dir
    manifests = sorted(site.glob("iiif/*/manifest.json"))
    assert [p.parent.name for p in manifests] == sorted([*LARGE, *SMALL])
    for path in manifests:
        doc = json.loads(path.read_text(encoding="utf-8"))
        model = prezi3.Manifest(**doc)  # raises pydantic.ValidationError on anything the schema refuses
        known = {f.alias or name for name, f in type(model).model_fields.items()}
        assert set(doc) - known == {"atlas"}, "a key the model lacks, besides the declared extension"
        assert doc["id"] == f"{SITE_URL}{BASE}iiif/{path.parent.name}/manifest.json"
        for url in references(doc):
            assert local_path(site, url if not url.endswith("/") else url + "index.html").is_file(), url
    collections = [site / "iiif/collection.json", *sorted(site.glob("iiif/*.collections/*.json"))]
    assert {p.relative_to(site).as_posix() for p in collections[1:]} == {
        "iiif/culture.collections/Chinese.json", "iiif/culture.collections/Dutch.json", "iiif/medium.collections/Oil.json"}
    for path in collections:
        doc = json.loads(path.read_text(encoding="utf-8"))
        prezi3.Collection(**doc)
        for url in references(doc):
            target = local_path(site, url)
            assert (target / "index.html").is_file() if url.endswith("/") else target.is_file(), url
    whole = json.loads(collections[0].read_text(encoding="utf-8"))
    assert [i["type"] for i in whole["items"]].count("Manifest") == len(manifests)


@pytest.mark.slow  # a build of the small atlas (~15 s on 2 cores, once per module)
def test_a_manifest_carries_the_works_metadata_credit_rights_and_links(built):
    config, _ = built
    site = config.output_dir
    l1 = json.loads((site / "iiif/L1/manifest.json").read_text(encoding="utf-8"))
    s1 = json.loads((site / "iiif/S1/manifest.json").read_text(encoding="utf-8"))
    # Labels are never HTML; a value that IIIF clients would read as HTML is escaped to stay the words it is
    assert l1["label"] == {"none": ["<b>Work</b> L1"]}
    assert {"label": {"en": ["Artist"]}, "value": {"none": ["<span>&lt;i&gt;A. Painter&lt;/i&gt;</span>"]}} in l1["metadata"]
    assert l1["requiredStatement"]["value"] == {"none": ["Gift of donor 0"]}
    assert "rights" not in l1 and {"label": {"en": ["Rights"]}, "value": {"none": ["All rights reserved"]}} in l1["metadata"]
    l2 = json.loads((site / "iiif/L2/manifest.json").read_text(encoding="utf-8"))
    assert l2["rights"] == "http://creativecommons.org/publicdomain/zero/1.0/"  # the canonical http form
    assert l1["homepage"][0]["id"] == f"{SITE_URL}{BASE}work/L1/"
    assert l1["seeAlso"] == [{"id": f"{SITE_URL}{BASE}data/tables/analogies.csv.gz", "type": "Dataset",
                              "format": "application/gzip", "label": {"en": ["Every work's visual analogies (gzip-compressed CSV)"]}}]
    assert local_path(site, l1["seeAlso"][0]["id"]).is_file()  # the whole analogies table
    canvas = l1["items"][0]
    assert (canvas["width"], canvas["height"]) == LARGE["L1"]  # the full image, since it has tiles
    body = canvas["items"][0]["items"][0]["body"]
    assert body["service"] == [{"id": f"{SITE_URL}{BASE}iiif/L1/image", "type": "ImageService3", "profile": "level0"}]
    small_body = s1["items"][0]["items"][0]["items"][0]["body"]
    assert "service" not in small_body and s1["items"][0]["width"] == small_body["width"] <= 128


@pytest.mark.slow  # a build of the small atlas (~15 s on 2 cores, once per module)
def test_a_manifest_carries_the_works_record_under_a_declared_extension(built):
    """The work's JSON record rides in its manifest under "atlas" (issue 20: one data file per work), an
    extension declared as Presentation 3 asks: a JSON-LD 1.1 context, published, listed before the IIIF context."""
    config, _ = built
    site = config.output_dir
    context_url = f"{SITE_URL}{BASE}iiif/context.json"
    published = json.loads(local_path(site, context_url).read_text(encoding="utf-8"))
    assert published == {"@context": {"@version": 1.1, "atlas": {"@id": context_url + "#atlas", "@type": "@json"}}}
    assert not (site / "data" / "work").exists()
    for work_id in [*LARGE, *SMALL]:
        raw = (site / "iiif" / work_id / "manifest.json").read_text(encoding="utf-8")
        doc = json.loads(raw)
        assert doc["@context"] == [context_url, "http://iiif.io/api/presentation/3/context.json"]  # IIIF's last
        record = read_work_json(raw)
        assert record["id"] == work_id and record["url"] == f"{BASE}work/{work_id}/"
        assert record == read_work_json(json.dumps(doc["atlas"])), "the manifest reads as the record alone"
        assert record["analogies"]["culture"] and record["title"] == doc["label"]["none"][0]
    jsonld = pytest.importorskip("pyld.jsonld", reason="PyLD is not installed (pip install -e '.[test]')")

    def published_only(url, options=None):  # no network: the one context a check may load is the site's own
        assert url == context_url, url
        return {"contextUrl": None, "documentUrl": url, "document": published}
    expanded = jsonld.expand({"@context": doc["@context"][0], "atlas": doc["atlas"]}, {"documentLoader": published_only})
    assert expanded == [{context_url + "#atlas": [{"@type": "@json", "@value": doc["atlas"]}]}]  # one JSON literal
    page = (site / urls.page_file("work", "L1")).read_text(encoding="utf-8")
    assert f'data-work-data="{BASE}iiif/{{segment}}/manifest.json"' in page  # the front end's one pattern
    assert 'iiif/<id>/manifest.json, under "atlas"' in (site / "data" / "README.txt").read_text(encoding="utf-8")


@pytest.mark.slow  # a build of the small atlas (~15 s on 2 cores, once per module)
def test_tiles_exist_only_for_large_images_with_an_info_json_a_level_0_client_can_follow(built):
    config, report = built
    site = config.output_dir
    assert sorted(p.parent.name for p in site.glob("iiif/*/image")) == sorted(LARGE)
    for work_id, (width, height) in LARGE.items():
        info = json.loads((site / f"iiif/{work_id}/image/info.json").read_text(encoding="utf-8"))
        assert info["id"] == f"{SITE_URL}{BASE}iiif/{work_id}/image"
        assert (info["type"], info["profile"], info["width"], info["height"]) == ("ImageService3", "level0", width, height)
        tile = info["tiles"][0]["width"]
        assert tile == 256
        # Every tile a level-0 client computes from info.json alone (as OpenSeadragon does) is a file.
        for scale in info["tiles"][0]["scaleFactors"]:
            span = tile * scale
            for y in range(0, height, span):
                for x in range(0, width, span):
                    w, h = min(span, width - x), min(span, height - y)
                    size = f"{-(-w // scale)},{-(-h // scale)}"
                    region = "full" if (x, y, w, h) == (0, 0, width, height) else f"{x},{y},{w},{h}"
                    path = site / f"iiif/{work_id}/image/{region}/{size}/0/default.jpg"
                    assert path.is_file(), path
                    with Image.open(path) as img:
                        assert img.size == tuple(map(int, size.split(",")))
        for listed in info["sizes"]:
            assert (site / f"iiif/{work_id}/image/full/{listed['width']},{listed['height']}/0/default.jpg").is_file()
    tiled = sum(p.stat().st_size for p in site.glob("iiif/*/image/**/*.jpg"))
    assert report.counts["deep_zoom_works"] == 2 and report.counts["deep_zoom_bytes"] >= tiled > 0
    assert any(note.startswith("deep zoom: 2 works tiled (2 made now") for note in report.notes)


@pytest.mark.slow  # a build of the small atlas (~15 s on 2 cores, once per module)
def test_the_artwork_page_offers_the_viewer_only_where_there_are_tiles(built):
    config, _ = built
    site = config.output_dir
    large = (site / "work/L1/index.html").read_text(encoding="utf-8")
    small = (site / "work/S1/index.html").read_text(encoding="utf-8")
    assert f'data-info="{BASE}iiif/L1/image/info.json"' in large and "openseadragon.min.js" in large
    assert "deep-zoom" not in small and "openseadragon" not in small
    assert f'href="{BASE}iiif/S1/manifest.json"' in small
    assert f'href="{BASE}iiif/collection.json"' in (site / "about/index.html").read_text(encoding="utf-8")
    assert '<button type="button" class="deep-zoom-open" hidden>' in large  # shown by the script only
    assert (site / "assets/vendor/openseadragon/openseadragon.min.js").stat().st_size > 100_000
    assert "BSD" in (site / "assets/vendor/openseadragon/LICENSE.txt").read_text(encoding="utf-8") or \
        "Redistribution" in (site / "assets/vendor/openseadragon/LICENSE.txt").read_text(encoding="utf-8")


@pytest.mark.slow  # a build of the small atlas (~15 s on 2 cores, once per module)
def test_a_rebuild_reuses_the_cached_tiles_and_publishes_the_same_bytes(built):
    config, _ = built
    site = config.output_dir
    before = {p.relative_to(site).as_posix(): p.read_bytes() for p in site.glob("iiif/**/*") if p.is_file()}
    cached = sorted(config.cache_dir.glob("tiles/*/*/*/files.json"))
    stamps = [p.stat().st_mtime_ns for p in cached]
    again = build(config, full=True)  # the same inputs: without --full it would stop early (atlas.site.unchanged_build)
    assert any(note.startswith("deep zoom: 2 works tiled (0 made now") for note in again.notes)
    assert [p.stat().st_mtime_ns for p in cached] == stamps and len(cached) == 2
    after = {p.relative_to(site).as_posix(): p.read_bytes() for p in site.glob("iiif/**/*") if p.is_file()}
    assert after == before


@pytest.mark.slow  # a build of the small atlas (~15 s on 2 cores, once per module)
def test_without_site_url_ids_use_the_preview_origin_and_the_build_says_so(tmp_path):
    config = load_config(small_atlas(tmp_path, enabled=False))
    report = build(config)
    doc = json.loads((config.output_dir / "iiif/S2/manifest.json").read_text(encoding="utf-8"))
    assert doc["id"] == "http://127.0.0.1:8000/iiif/S2/manifest.json"
    prezi3.Manifest(**doc)
    assert any("site_url is empty" in note for note in report.notes)
    assert not list(config.output_dir.glob("iiif/*/image")) and not (config.output_dir / "assets/vendor").exists()
    assert "deep_zoom_bytes" not in report.counts


def test_damaged_cached_tiles_are_made_again(tmp_path):
    from atlas.core.config import DeepZoomConfig
    from atlas.ingest.tiles import ensure_tiles

    settings = DeepZoomConfig(enabled=True, min_size=500, tile_size=256)
    image = picture(tmp_path / "big.png", (900, 700), 1)
    tiles, fresh, _ = ensure_tiles(image, "ab" * 32, settings, 128, tmp_path / "cache")
    assert fresh and tiles.size_bytes > 0
    victim = tiles.folder / tiles.files[0][0]
    victim.write_bytes(b"truncated")
    again, fresh, _ = ensure_tiles(image, "ab" * 32, settings, 128, tmp_path / "cache")
    assert fresh and victim.stat().st_size == dict(again.files)[tiles.files[0][0]] != len(b"truncated")
    assert ensure_tiles(image, "ab" * 32, settings, 128, tmp_path / "cache")[1] is False


def test_an_unreadable_image_keeps_its_page_without_deep_zoom(tmp_path):
    from atlas.core.config import DeepZoomConfig
    from atlas.core.records import Record
    from atlas.ingest.tiles import plan_deep_zoom

    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    zoom = plan_deep_zoom([Record(id="B", image_path=broken)], {"B": "cd" * 32},
                          DeepZoomConfig(enabled=True), 600, tmp_path / "cache")
    assert not zoom.tiles and len(zoom.problems) == 1
    assert zoom.problems[0].record == "B" and zoom.problems[0].severity == "warning"


def test_small_rules():
    assert wants_tiles(2000, 1000, 600, 1600) and not wants_tiles(1500, 1000, 600, 1600)
    assert not wants_tiles(500, 500, 600, 100)  # no larger than the page image
    assert image_service_base("https://www.artic.edu/iiif/2/abc-123/full/843,/0/default.jpg") == "https://www.artic.edu/iiif/2/abc-123"
    assert image_service_base("https://iiif.example.org/image/x/info.json") == "https://iiif.example.org/image/x"
    assert image_service_base("https://museum.example.org/images/x.jpg") is None
    assert rights_uri("https://rightsstatements.org/vocab/InC/1.0/") == "http://rightsstatements.org/vocab/InC/1.0/"
    assert rights_uri("Public domain") is None and rights_uri("https://example.org/licence") is None
    assert text("<script>x</script>") == {"none": ["<span>&lt;script&gt;x&lt;/script&gt;</span>"]}
    assert urls.PathNames().iiif_collection_path("culture", "a/b") == "iiif/culture.collections/a~2Fb.json"


@pytest.mark.slow  # a build of the small atlas
def test_the_collections_own_service_replaces_local_tiles_and_the_about_page_says_so(tmp_path):
    """deep_zoom.source: service: a work whose image_url is a IIIF Image service zooms into it (no local tiles);
    the others keep theirs; the about page names the host the pages then ask."""
    import csv

    config_path = small_atlas(tmp_path, source="service")
    table = tmp_path / "collection.csv"
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    for row in rows:
        row["image_url"] = "https://iiif.museum.example.org/iiif/3/L1-scan/full/max/0/default.jpg" if row["id"] == "L1" else ""
    with table.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    config = load_config(config_path)
    report = build(config)
    site = config.output_dir
    page = (site / "work/L1/index.html").read_text(encoding="utf-8")
    assert 'data-info="https://iiif.museum.example.org/iiif/3/L1-scan/info.json"' in page and 'data-local="false"' in page
    assert not (site / "iiif/L1/image").exists() and (site / "iiif/L2/image/info.json").is_file()
    about = (site / "about/index.html").read_text(encoding="utf-8")
    assert "make requests to iiif.museum.example.org" in about
    assert any("1 works zoom into the collection's own IIIF service at iiif.museum.example.org" in n for n in report.notes)


def test_deep_zoom_without_libvips_is_refused_before_the_build(tmp_path, monkeypatch):
    from atlas.preflight import check_config

    config = load_config(small_atlas(tmp_path))
    assert not check_config(config).errors
    monkeypatch.setitem(__import__("sys").modules, "pyvips", None)  # what `import pyvips` meets when it is absent
    errors = check_config(config).errors
    assert len(errors) == 1 and errors[0].startswith("deep_zoom.enabled: libvips cannot be loaded")
