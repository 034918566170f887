"""The IIIF reader: values as the Presentation API defines them, v2.1 and v3 manifests, collections, and every
real document in ../shared/data/iiif read without a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from atlas.core.config import CollectionConfig, FetchConfig
from atlas.ingest.fetch import Fetcher
from atlas.ingest.iiif import read_iiif
from atlas.ingest.iiif_values import language_values, plain_text, sanitised_html, text_of
from tests.conftest import SHARED_DATA
from tests.http_fixtures import LocalServer

IIIF_DATA = SHARED_DATA / "iiif"


def v3_manifest(ident: str, label="A work", canvases: int = 1, **more) -> dict:
    items = []
    for n in range(1, canvases + 1):
        items.append({"id": f"{ident}/canvas/{n}", "type": "Canvas", "label": {"en": [f"page {n}"]},
                      "width": 1000, "height": 800, "items": [{"id": f"{ident}/page/{n}", "type": "AnnotationPage",
                      "items": [{"id": f"{ident}/anno/{n}", "type": "Annotation", "motivation": "painting",
                                 "target": f"{ident}/canvas/{n}",
                                 "body": {"id": f"https://img.example.org/{n}/full/max/0/default.jpg", "type": "Image",
                                          "format": "image/jpeg",
                                          "service": [{"id": f"https://img.example.org/{n}", "type": "ImageService3",
                                                       "profile": "level1"}]}}]}]})
    return {"@context": "http://iiif.io/api/presentation/3/context.json", "id": ident, "type": "Manifest",
            "label": label if isinstance(label, dict) else {"en": [label]}, "items": items, **more}


def read(path, tmp: Path, fetcher=None, **cfg):
    return read_iiif(CollectionConfig(format="iiif", path=str(path), **cfg), tmp, fetcher)


def write(folder: Path, name: str, doc) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


# -- values ---------------------------------------------------------------------------------------
def test_language_maps_pick_the_language_then_none_then_any():
    assert language_values({"fr": ["Bonjour"], "en": ["Hello"]}, "en") == ["Hello"]
    assert language_values({"fr": ["Bonjour"], "none": ["Salut"]}, "en") == ["Salut"]
    assert language_values({"fr": ["Bonjour"], "de": ["Hallo"]}, "en") == ["Hallo"]  # sorted: de before fr
    assert language_values({"en-GB": ["Colour"], "de": ["Farbe"]}, "en") == ["Colour"]
    assert language_values([{"@value": "Ja", "@language": "de"}, {"@value": "Yes", "@language": "en"}], "en") == ["Yes"]
    assert language_values(["a", "b"], "en") == ["a", "b"]


def test_arrays_of_values_are_one_field():
    assert text_of({"en": ["Whistler's Mother", "Arrangement in Grey"]}, "en", 3) == "Whistler's Mother; Arrangement in Grey"


def test_html_in_values_is_plain_text_for_pages():
    value = '<span>Glen <a href="https://x.org">Robson</a><br/>CC &amp; BY <script>alert(1)</script></span>'
    assert plain_text(value, 3) == "Glen Robson CC & BY"
    assert plain_text("a < b and c > d", 3) == "a < b and c > d"  # v3: HTML only when wrapped in tags
    assert plain_text("Ṣalāḥ &amp; Eltaher <cite>1949</cite>", 2) == "Ṣalāḥ & Eltaher 1949"  # v2.1: anywhere


def test_kept_html_follows_the_specs_allow_list():
    value = ('<p onclick="x()">By <a href="javascript:alert(1)">them</a> <a href="https://ok.org" target="_blank">ok</a>'
             '<img src="https://i.org/l.png" alt="logo" onerror="x()"><script>bad()</script><!-- c --><table>t</table></p>')
    clean = sanitised_html(value, 3)
    assert "onclick" not in clean and "javascript" not in clean and "onerror" not in clean and "target" not in clean
    assert "<script" not in clean and "bad()" not in clean and "<!--" not in clean and "<table" not in clean
    assert '<a href="https://ok.org"' in clean and '<img src="https://i.org/l.png" alt="logo">' in clean
    assert sanitised_html("Tom & Jerry", 3) == "Tom &amp; Jerry"


# -- manifests ------------------------------------------------------------------------------------
def test_a_v3_manifest_maps_metadata_credit_rights_homepage_and_image(tmp_path):
    doc = v3_manifest(
        "https://museum.example.org/iiif/27992/manifest.json", {"en": ["Sunday on La Grande Jatte"], "fr": ["Dimanche"]},
        metadata=[{"label": {"en": ["Artist"]}, "value": {"none": ["<span>Georges <b>Seurat</b></span>"]}},
                  {"label": {"en": ["Date"], "fr": ["Date"]}, "value": {"en": ["1884–86"]}},
                  {"label": {"fr": ["Culture"]}, "value": {"fr": ["Française"]}},
                  {"label": {"en": ["Medium"]}, "value": {"en": ["Oil on canvas", "Lined"]}}],
        requiredStatement={"label": {"en": ["Attribution"]},
                           "value": {"en": ['<span>Art Institute <a href="https://x.org">CC0</a></span>']}},
        rights="http://creativecommons.org/publicdomain/zero/1.0/",
        homepage=[{"id": "https://museum.example.org/works/27992", "type": "Text", "format": "text/html"}])
    write(tmp_path, "m.json", doc)
    result = read("m.json", tmp_path, columns={"artist": "artist", "date": "Date", "culture": "Culture",
                                               "medium": "Medium"})
    [rec] = result.records
    assert not result.problems
    assert rec.id == "27992" and rec.title == "Sunday on La Grande Jatte"
    assert (rec.artist, rec.date_text, rec.date_begin, rec.date_end) == ("Georges Seurat", "1884–86", 1884, 1886)
    assert rec.culture_raw == "Française" and rec.medium_raw == "Oil on canvas; Lined"
    assert rec.credit == "Art Institute CC0"
    assert rec.extra["credit_html"] == '<span>Art Institute <a href="https://x.org" rel="noopener noreferrer">CC0</a></span>'
    assert rec.rights == "http://creativecommons.org/publicdomain/zero/1.0/"
    assert rec.source_url == "https://museum.example.org/works/27992"
    assert rec.image_url == "https://img.example.org/1/info.json"
    assert rec.extra["iiif_image"] == "https://img.example.org/1/full/max/0/default.jpg"


def test_a_v2_manifest_maps_attribution_license_related_and_its_service(tmp_path):
    doc = {"@context": "http://iiif.io/api/presentation/2/context.json", "@type": "sc:Manifest",
           "@id": "https://lib.example.org/iiif/ms-12/manifest", "label": [{"@value": "Livre", "@language": "fr"},
                                                                          {"@value": "Book", "@language": "en"}],
           "metadata": [{"label": "Author", "value": [{"@value": "Anon.", "@language": "en"}]},
                        {"label": "Shelfmark", "value": "MS 12"}],
           "attribution": "Provided by <b>the Library</b>", "license": "https://rightsstatements.org/vocab/NoC-US/1.0/",
           "related": {"@id": "https://lib.example.org/ms-12", "format": "text/html"},
           "sequences": [{"@type": "sc:Sequence", "canvases": [{"@id": "https://lib.example.org/c1", "@type": "sc:Canvas",
                          "label": "f. 1r", "images": [{"@type": "oa:Annotation", "motivation": "sc:painting",
                          "resource": {"@id": "https://lib.example.org/img/1/full/full/0/default.jpg", "@type": "dctypes:Image",
                                       "service": {"@context": "http://iiif.io/api/image/2/context.json",
                                                   "@id": "https://lib.example.org/img/1",
                                                   "profile": "http://iiif.io/api/image/2/level2.json"}}}]}]}]}
    write(tmp_path, "m.json", doc)
    [rec] = read("m.json", tmp_path, columns={"id": "Shelfmark", "artist": "Author"}, extra_columns=["Shelfmark"]).records
    assert (rec.id, rec.title, rec.artist) == ("MS 12", "Book", "Anon.")
    assert rec.credit == "Provided by the Library" and rec.rights.startswith("https://rightsstatements.org/")
    assert rec.source_url == "https://lib.example.org/ms-12" and rec.image_url == "https://lib.example.org/img/1/info.json"
    assert rec.extra["Shelfmark"] == "MS 12"


def test_per_canvas_records_and_the_start_canvas(tmp_path):
    doc = v3_manifest("https://m.example.org/book/manifest", "Book", canvases=3,
                      start={"id": "https://m.example.org/book/manifest/canvas/2", "type": "Canvas"})
    write(tmp_path, "m.json", doc)
    [one] = read("m.json", tmp_path).records
    assert one.id == "book" and one.image_url == "https://img.example.org/2/info.json"  # the start canvas
    pages = read("m.json", tmp_path, iiif_records="canvas").records
    assert [p.id for p in pages] == ["book-1", "book-2", "book-3"]
    assert [p.title for p in pages] == ["Book (page 1)", "Book (page 2)", "Book (page 3)"]


def test_manifests_without_images_and_duplicate_ids_are_problems(tmp_path):
    audio = v3_manifest("https://m.example.org/a/manifest", "Song")
    audio["items"][0]["items"][0]["items"][0]["body"] = {"id": "https://m.example.org/a.mp3", "type": "Sound",
                                                         "format": "audio/mp4"}
    write(tmp_path, "docs/1-audio.json", audio)
    write(tmp_path, "docs/2-empty.json", {**v3_manifest("https://m.example.org/e/manifest"), "items": []})
    write(tmp_path, "docs/3-a.json", v3_manifest("https://m.example.org/x/manifest"))
    write(tmp_path, "docs/4-b.json", v3_manifest("https://other.example.org/x/manifest"))  # same short id, other host
    write(tmp_path, "docs/5-c.json", v3_manifest("https://m.example.org/x/manifest"))  # the same manifest again
    (tmp_path / "docs/6-broken.json").write_text("{not json", encoding="utf-8")
    result = read("docs", tmp_path)
    assert [r.id for r in result.records] == ["x", "other.example.org/x/manifest"]
    reasons = {p.file: p.reason for p in result.problems}
    assert reasons["docs/1-audio.json"] == "no image: the manifest holds audio, not an image"
    assert reasons["docs/2-empty.json"] == "no image: the manifest has no canvas"
    assert reasons["docs/6-broken.json"].startswith("not valid JSON")
    assert len(result.problems) == 3  # the manifest listed twice is read once, silently


# -- collections ----------------------------------------------------------------------------------
def _collection(ident: str, members: list[tuple[str, str]]) -> dict:
    return {"@context": "http://iiif.io/api/presentation/3/context.json", "id": ident, "type": "Collection",
            "label": {"en": [ident]}, "items": [{"id": i, "type": t, "label": {"en": [i]}} for i, t in members]}


def test_nested_collections_over_http_with_a_depth_limit_and_a_cycle(tmp_path):
    with LocalServer() as server:
        u = server.url
        docs = {
            "/top.json": _collection(u("/top.json"), [(u("/m1.json"), "Manifest"), (u("/sub.json"), "Collection")]),
            "/sub.json": _collection(u("/sub.json"), [(u("/m2.json"), "Manifest"), (u("/top.json"), "Collection"),
                                                      (u("/deep.json"), "Collection")]),
            "/deep.json": _collection(u("/deep.json"), [(u("/m3.json"), "Manifest")]),
            "/m1.json": v3_manifest(u("/m1.json")), "/m2.json": v3_manifest(u("/m2.json")),
            "/m3.json": v3_manifest(u("/m3.json")),
        }
        for path, doc in docs.items():
            server.static(path, json.dumps(doc).encode(), "application/json")
        fetcher = Fetcher(tmp_path / "fetch", FetchConfig(rate=0))
        result = read(u("/top.json"), tmp_path, fetcher, iiif_depth=1)
        assert [r.id for r in result.records] == ["m1", "m2"]
        reasons = [p.reason for p in result.problems]
        assert f"collection {u('/top.json')} includes itself (a cycle): not followed again" in reasons
        assert any(r.startswith(f"collection {u('/deep.json')} is nested more than collection.iiif_depth (1)") for r in reasons)
        assert server.hits["/top.json"] == 1 and "/m3.json" not in server.hits
        deeper = read(u("/top.json"), tmp_path, fetcher, iiif_depth=2)
        assert [r.id for r in deeper.records] == ["m1", "m2", "m3"]


def test_a_local_collection_finds_its_manifests_among_the_local_files(tmp_path):
    write(tmp_path, "c/collection.json", _collection("https://x.org/c", [("https://x.org/m/9/manifest.json", "Manifest"),
                                                                          ("https://x.org/missing", "Manifest")]))
    write(tmp_path, "c/items/nine.json", v3_manifest("https://x.org/m/9/manifest.json"))
    result = read("c", tmp_path, Fetcher(tmp_path / "f", FetchConfig(), offline=True))
    assert [r.id for r in result.records] == ["9"]
    [problem] = result.problems
    assert "https://x.org/missing" in problem.reason and "offline" in problem.reason


def test_limit_stops_early(tmp_path):
    for n in range(5):
        write(tmp_path, f"d/{n}.json", v3_manifest(f"https://x.org/{n}/manifest"))
    assert [r.id for r in read("d", tmp_path, limit=2).records] == ["0", "1"]


# -- the real documents ---------------------------------------------------------------------------
REAL_DOCUMENTS = sorted(str(p.relative_to(IIIF_DATA)) for p in IIIF_DATA.rglob("*.json")) if IIIF_DATA.is_dir() else []
NO_IMAGE = ("no image: ", "not a IIIF Manifest or Collection", "lists '", "not valid JSON")
EXPECTED = {  # document -> (records, the start of the one problem's reason, or "")
    "mirador-v2/024.json": (1, ""), "mirador-v2/broken.json": (0, "not a IIIF Manifest or Collection (no type)"),
    "mirador-v3/0002-mvm-audio.json": (0, "no image: the manifest holds audio"),
    "cookbook/0003-mvm-video/manifest.json": (0, "no image: the manifest holds video"),
    "mirador-v3/text-pdf.json": (0, "no image: the manifest holds text (application/pdf)"),
    "mirador-v2/structures.json": (0, "no image: no canvas of the manifest paints an image"),
    "mirador-v2/2017498721.json": (0, "no image: the manifest has no canvas"),
    "cookbook/0005-image-service/manifest.json": (1, ""), "mirador-v2/fg165hz3589.json": (1, ""),
}


@pytest.mark.realdata
@pytest.mark.skipif(not IIIF_DATA.is_dir(), reason=f"IIIF documents not found at {IIIF_DATA}")
@pytest.mark.parametrize("name", REAL_DOCUMENTS or ["(none)"])
def test_every_real_document_gives_records_or_a_clear_problem(name, tmp_path):
    offline = Fetcher(tmp_path / "fetch", FetchConfig(), offline=True)  # referenced documents: never the network
    result = read(IIIF_DATA / name, tmp_path, offline)
    assert result.records or result.problems, "neither records nor a problem"
    for record in result.records:
        assert record.id and record.image_url.startswith(("http://", "https://"))
    for problem in result.problems:
        assert problem.reason.startswith(NO_IMAGE) or "offline" in problem.reason, problem.reason
    if name in EXPECTED:
        count, reason = EXPECTED[name]
        assert len(result.records) == count
        assert [p.reason[:len(reason)] for p in result.problems] == ([reason] if reason else [])
