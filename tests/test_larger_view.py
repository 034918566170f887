"""The larger view (issue 15): made only for images larger than the page image, at most LONG_SIDE px, the same
bytes every time, cached by content, a broken image only a warning; and in a built site, the file beside the
artwork page that links to it, the report's count and bytes."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from PIL import Image

from atlas.core.records import Record
from atlas.ingest.larger_images import LONG_SIDE, larger_side, make_larger_images

PAGE = 128  # the page image's longest side in these tests (thumbnails.sizes' largest)


def _records(folder: Path, sizes: dict[str, tuple[int, int]]) -> tuple[list[Record], dict[str, str]]:
    """One striped image per id, of the given size; digests as the build makes them (content hashes)."""
    import hashlib

    records, digests = [], {}
    for work_id, size in sizes.items():
        image = Image.new("RGB", size, (200, 190, 170))
        for x in range(0, size[0], 7):
            image.paste((30 + x % 200, 90, 160), (x, 0, x + 3, size[1]))
        path = folder / f"{work_id}.png"
        image.save(path)
        records.append(Record(id=work_id, title=work_id, image_path=path))
        digests[work_id] = hashlib.sha256(path.read_bytes()).hexdigest()
    return records, digests


def test_larger_side_only_above_the_page_image_and_at_most_the_cap():
    assert larger_side((3000, 2000), 600) == LONG_SIDE
    assert larger_side((700, 900), 600) == 900  # the source's own size when under the cap
    assert larger_side((600, 400), 600) == 0  # no bigger than the page image: no larger view
    assert larger_side((560, 400), 480) == 0  # barely bigger (the AIC example's images): not worth a file
    assert larger_side((719, 400), 480) == 0 and larger_side((720, 400), 480) == 720  # MIN_GAIN = 1.5
    assert larger_side((2000, 1000), 1400) == 0  # the cap is not above a page image that large


def test_made_for_large_images_only_deterministic_and_cached(tmp_path):
    records, digests = _records(tmp_path, {"big": (2400, 1200), "mid": (300, 200), "small": (100, 90)})
    first = make_larger_images(records, digests, PAGE, tmp_path / "cache-a")
    assert sorted(first.files) == ["big", "mid"] and first.made == 2 and not first.problems
    assert first.dims == {"big": (LONG_SIDE, 600), "mid": (300, 200)}
    with Image.open(first.files["big"]) as image:
        assert image.format == "JPEG" and image.size == (LONG_SIDE, 600)
    again = make_larger_images(records, digests, PAGE, tmp_path / "cache-a")
    assert again.made == 0 and again.files == first.files  # from the cache
    other = make_larger_images(records, digests, PAGE, tmp_path / "cache-b")
    assert all(other.files[i].read_bytes() == first.files[i].read_bytes() for i in first.files)  # same bytes


def test_a_broken_image_is_a_warning_and_others_still_get_theirs(tmp_path):
    records, digests = _records(tmp_path, {"good": (400, 300), "bad": (400, 300)})
    Path(records[1].image_path).write_bytes(b"not an image")
    digests["bad"] = hashlib.sha256(b"not an image").hexdigest()  # as the build would hash it (sizes are kept by digest)
    larger = make_larger_images(records, digests, PAGE, tmp_path / "cache")
    assert list(larger.files) == ["good"]
    assert [(p.record, p.severity) for p in larger.problems] == [("bad", "warning")]


@pytest.mark.slow  # one small build, ~10 s on two cores
def test_a_built_site_links_each_larger_view_from_its_artwork_page(tmp_path):
    from atlas.build import build
    from atlas.core.config import load_config
    from atlas.site import urls

    from .pages_support import write_credited_collection

    config = load_config(write_credited_collection(tmp_path / "credited"))
    report = build(config)
    site = config.output_dir
    files = sorted((site / "larger").glob("*.jpg"))
    assert len(files) == report.counts["larger_view_works"] == 12  # every image (320-408 px) is over 128 px
    assert report.counts["larger_view_bytes"] == sum(f.stat().st_size for f in files)
    html = (site / urls.page_path("work", "S03") / "index.html").read_text(encoding="utf-8")
    href = re.search(r'<a class="larger-link" href="([^"]+)" data-larger>', html).group(1)
    assert href == config.base_url + "larger/S03.jpg"
    assert re.search(r'<dialog class="larger-dialog"[^>]*>.*data-src="' + re.escape(href), html, re.S)
    with Image.open(site / "larger" / "S03.jpg") as image:
        assert image.size == (344, 240)  # the source's own size: it is under LONG_SIDE
