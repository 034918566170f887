"""A work's one data file (atlas.site.work_files) with IIIF manifests switched off: the record is written alone
to data/work/<segment>.json exactly as the reader expects, no manifest or extension context is published, and
every pointer to a work's JSON (the front end's pattern, the downloads links, data/README.txt) follows it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from atlas.build import build
from atlas.core.config import load_config
from atlas.site import urls
from atlas.site.work_json import SCHEMA, read_work_json

from .conftest import write_small_collection

pytestmark = pytest.mark.slow  # one small build (~8 s on 2 cores)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("no-manifests")
    (folder / "img").mkdir()
    rows = []
    for i in range(8):
        Image.new("RGB", (40, 32), ((41 * i) % 256, (83 * i) % 256, (29 * i) % 256)).save(folder / "img" / f"{i}.png")
        rows.append({"id": f"N{i}", "title": f"Work {i}", "artist": "Anon", "date": "1900",
                     "culture": ("Dutch", "Chinese")[i % 2], "medium": "Oil", "image": f"img/{i}.png"})
    config = load_config(write_small_collection(folder, rows, "No manifests", iiif={"manifests": False}))
    build(config)
    return config.output_dir


def test_without_manifests_each_work_has_its_record_in_data_work(site):
    assert not (site / "iiif").exists()  # neither manifests nor the extension's context
    for i in range(8):
        raw = (site / urls.work_data_path(f"N{i}", in_manifest=False)).read_bytes()
        assert json.loads(raw)["v"] == SCHEMA and "atlas" not in json.loads(raw)  # the record alone, as before
        record = read_work_json(raw)
        assert record["id"] == f"N{i}" and record["analogies"]["medium"]["Oil"]


def test_every_pointer_to_a_works_json_follows_it(site):
    page = (site / urls.page_file("work", "N3")).read_text(encoding="utf-8")
    assert 'data-work-data="/data/work/{segment}.json"' in page  # the front end's one pattern
    assert 'href="/data/work/N3.json" data-kind="json"' in page  # the downloads' no-script link
    assert "this work's data file." in page and "IIIF manifest" not in page
    assert 'data-work-data="/data/work/{segment}.json"' in (site / "pair" / "index.html").read_text(encoding="utf-8")
    assert "from the work's JSON record:\ndata/work/<id>.json." in (site / "data" / "README.txt").read_text(encoding="utf-8")
