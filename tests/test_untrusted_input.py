"""A small collection with hostile ids and metadata and broken images, built end to end."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from atlas.build import build
from atlas.core.config import load_config
from atlas.site import urls
from atlas.site.work_json import read_work_json

from .conftest import write_small_collection

EVIL_TITLE = '<script>alert("x")</script> & "Boat"'
IDS = ["plain-1", "a/b", "../../escape", "with space", "日本-2", "<b>bold</b>", "dot.dot", "x9", "x10", "x11"]


def make_collection(tmp: Path) -> Path:
    images = tmp / "images"
    images.mkdir()
    rows = []
    for n, work_id in enumerate(IDS):
        file = images / f"img{n}.png"
        Image.new("RGB", (40 + n, 30), (20 * n % 255, 90, 160)).save(file)
        rows.append({"id": work_id, "title": EVIL_TITLE if n == 0 else f"Work {n}", "artist": "<i>Anon</i>",
                     "date": "ca. 1650", "culture": ["Dutch", "Chinese"][n % 2], "medium": "Oil on canvas",
                     "image": f"images/img{n}.png"})
    (images / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    rows.append({"id": "broken", "title": "Broken", "artist": "", "date": "", "culture": "Dutch", "medium": "", "image": "images/broken.jpg"})
    rows.append({"id": "missing", "title": "Missing", "artist": "", "date": "", "culture": "Dutch", "medium": "", "image": "images/nope.jpg"})
    return write_small_collection(tmp, rows, "Hostile <test>", embedding={"image_size": 32},
                                  map={"layout": "tsne"}, probes={"enabled": True}, heatmaps={"enabled": True},
                                  patterns={"enabled": True}, thumbnails={"sizes": [200, 600]})


def test_hostile_collection_builds_safely(tmp_path):
    config = load_config(make_collection(tmp_path))
    report = build(config)
    site = config.output_dir

    # every valid record is published, inside the output folder, at a stable slugged path
    assert report.counts["works_published"] == len(IDS)
    for work_id in IDS:
        page = site / urls.page_file("work", work_id)
        assert page.is_file() and page.resolve().is_relative_to(site.resolve())
    assert not (tmp_path / "escape").exists() and not (site.parent / "escape").exists()

    # the broken and the missing image are reported by id, with the reason
    reasons = {p.record: p.reason for p in report.skipped}
    assert "not a recognised image format" in reasons["broken"] or "corrupt" in reasons["broken"]
    assert "not found" in reasons["missing"]

    # metadata is shown as text, never as markup
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "<script>alert" not in html and "<i>Anon</i>" not in html and "<b>bold</b>" not in html
    first = (site / urls.page_file("work", "plain-1")).read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;Boat&#34;" in first
    data = read_work_json((site / urls.work_data_path("plain-1")).read_bytes())
    assert data["title"] == EVIL_TITLE  # JSON keeps the exact text; escaping is the page's job

    summary = report.summary()
    assert "broken" in summary and "missing" in summary


def test_collection_without_any_image_still_builds_and_reports(tmp_path):
    (tmp_path / "collection.csv").write_text("id,title\nA1,First\nA2,Second\n", encoding="utf-8")
    (tmp_path / "site.yaml").write_text(
        "output: out/site\ncache: out/cache\ncollection: {path: collection.csv, image_folder: .}\n"
        "embedding: {model: resnet18, weights: none, image_size: 32}\n",
        encoding="utf-8",
    )
    config = load_config(tmp_path / "site.yaml")
    report = build(config)
    assert report.counts["works_published"] == 0
    assert sorted(p.record for p in report.skipped) == ["A1", "A2"]
    assert (config.output_dir / "index.html").is_file()
    assert "2 x [read] image file not found" in report.summary()
