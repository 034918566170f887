"""Data downloads (atlas.site.downloads) of a small built collection: every file parses, its CSV and JSON
hold the same rows, they agree with the pages they sit beside, the README lists exactly the files'
columns, and a rebuild writes the same bytes."""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from atlas.analysis.similarity_scale import SimilarityScale
from atlas.site import urls
from atlas.site.downloads import COLUMNS, csv_bytes, iso_year

from .conftest import write_small_collection

pytestmark = pytest.mark.slow
CULTURES = ("Dutch", "Chinese", "Japanese", "Persian")
DATES = ("1650", "ca. 300 BCE", "19th century", "")


def make_collection(folder: Path) -> Path:
    (folder / "img").mkdir()
    rng = random.Random(9)
    rows = []
    for i in range(40):
        Image.new("RGB", (48, 48), tuple(rng.randrange(256) for _ in range(3))).save(folder / "img" / f"{i}.png")
        rows.append({"id": f"D{i:03d}", "title": f"Été, n° {i}, \"quoted\", <b>", "artist": "Anon", "date": DATES[i % 4],
                     "culture": CULTURES[i % 4], "medium": ("Oil", "Ink")[i % 2], "image": f"img/{i}.png"})
    return write_small_collection(folder, rows, "Downloads", probes={"enabled": True, "min_class_size": 5, "folds": 2},
                                  downloads={"licence": "CC BY 4.0", "credit": "Example Museum"})


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    from atlas.build import build
    from atlas.core.config import load_config

    folder = tmp_path_factory.mktemp("downloads")
    build(load_config(make_collection(folder)))
    return folder / "out" / "site"


def read_csv(path: Path) -> list[dict]:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), f"{path} has no byte-order mark"
    assert b"\r\n" in raw
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def as_text(value) -> str:
    return "" if value is None else str(value)


def check_pair(stem: Path, kind: str) -> list[dict]:
    rows = read_csv(stem.with_suffix(".csv"))
    data = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
    names = [n for n, _ in COLUMNS[kind]]
    assert data["columns"] == names
    assert [{k: as_text(v) for k, v in zip(data["columns"], r, strict=True)} for r in data["data"]] == rows
    with open(stem.with_suffix(".csv"), encoding="utf-8-sig", newline="") as fh:
        assert next(csv.reader(fh)) == names
    return rows


def test_every_download_parses_and_csv_equals_json(site):
    tables = site / "data" / "tables"
    for stem, kind in (("works", "works"), ("culture-similarity", "culture_similarity"), ("map", "map"), ("probes", "probes")):
        assert check_pair(tables / stem, kind), stem
    works = check_pair(tables / "works", "works")
    assert len(works) == 40 and works[0]["title"] == 'Été, n° 0, "quoted", <b>'
    assert {w["date_begin"] for w in works} >= {"1650", "-0299"}  # 300 BCE in ISO 8601's numbering
    for path in sorted(site.glob("culture/*/works.csv")) + sorted(site.glob("data/cluster/*.csv")):
        check_pair(path.with_suffix(""), "works")
    analogies = read_csv(tables / "analogies.csv.gz")  # the big table: gzip CSV only, no JSON twin, none per work
    assert list(analogies[0]) == [n for n, _ in COLUMNS["analogies"]] and len({r["id"] for r in analogies}) == 40
    assert not (tables / "analogies.json").exists() and not (tables / "analogies.csv").exists()
    assert not list(site.glob("work/*/analogies.*"))
    assert gzip.decompress((tables / "analogies.csv.gz").read_bytes()) and (tables / "analogies.csv.gz").read_bytes()[4:8] == bytes(4)
    streamed = gzip.decompress((tables / "analogies.csv.gz").read_bytes())  # written row by row: the same bytes
    assert streamed == csv_bytes("analogies", analogies)  # as the writer of the small tables gives for its rows
    assert f"<td>{len(analogies)}</td>" in (site / "data" / "index.html").read_text(encoding="utf-8")  # its row count


def test_downloads_agree_with_the_pages(site):
    groups = [f for kind in ("culture", "medium") for f in sorted((site / kind).iterdir()) if f.is_dir()]
    assert len(groups) == 6
    for folder in groups:
        html = (folder / "index.html").read_text(encoding="utf-8")
        shown = set(re.findall(r'class="card" href="/work/([^/]+)/"', html))
        listed = {urls.slug(r["id"]) for r in read_csv(folder / "works.csv")}
        assert shown == listed and listed, folder.name
        kind = folder.parent.name
        assert f'href="/{kind}/{folder.name}/works.csv"' in html and f'href="/{kind}/{folder.name}/works.json"' in html
    data_page = (site / "data" / "index.html").read_text(encoding="utf-8")
    for cluster in sorted((site / "data" / "cluster").glob("*.csv")):  # clusters have no page: the data page lists them
        assert f"/data/cluster/{cluster.name}" in data_page, cluster.name
    whole = read_csv(site / "data" / "tables" / "analogies.csv.gz")
    scale = SimilarityScale.from_json(json.loads((site / "data" / "similarity-scale.json").read_text(encoding="utf-8")))
    for work in ("D000", "D017"):
        html = (site / "work" / work / "index.html").read_text(encoding="utf-8")
        page_rows = []  # pages show a score as its percentile among all pairs; the files keep the score
        for field, group, body in re.findall(r'data-field="(\w+)" data-group="([^"]+)"[^>]*>(.*?)</div>', html, re.S):
            for rank, (other, pct) in enumerate(re.findall(r'href="/work/([^/]+)/".*?closer than ([\d.]+)%', body, re.S), 1):
                page_rows.append((field, group, str(rank), other, float(pct)))
        rows = [r for r in whole if r["id"] == work]  # the page makes these in the browser (test_downloads_browser)
        shown = {(field, group) for field, group, *_ in page_rows}
        assert page_rows and [(r["field"], r["group"], r["rank"], r["neighbour_id"], scale.percentile(float(r["similarity"])))
                              for r in rows if (r["field"], r["group"]) in shown] == page_rows
        assert 'href="/data/tables/analogies.csv.gz" data-kind="csv"' in html  # without scripts: the whole table
        assert f'href="/{urls.work_data_path(work)}" data-kind="json"' in html  # and the work's data file
        assert "this work's data file (its IIIF manifest" in html  # which the note says is its manifest


def test_readme_lists_exactly_the_columns_of_each_file(site):
    readme = (site / "data" / "README.txt").read_text(encoding="utf-8")
    assert "Licence: CC BY 4.0" in readme and "Credit: Example Museum" in readme
    page = (site / "data" / "index.html").read_text(encoding="utf-8")
    assert "CC BY 4.0" in page and "Example Museum" in page
    for section in readme.split("## ")[1:]:
        head, *body = section.strip().splitlines()
        files = [f.strip().split(" ")[0] for f in head.split(":", 1)[1].split(",")]
        columns = [line.split(":", 1)[0] for line in body if line.strip()]
        for pattern in files:
            matches = sorted(site.glob(re.sub(r"<[^>]+>", "*", pattern)))
            assert matches, pattern
            for path in matches[:3]:
                assert list(read_csv(path)[0]) == columns, path


def test_a_rebuild_writes_the_same_bytes(site, tmp_path):
    from atlas.build import build
    from atlas.core.config import load_config

    before = {p: p.read_bytes() for p in sorted(site.rglob("*.csv")) + sorted(site.rglob("*.json"))
              if "tables" in p.parts or p.name == "works.csv"} | {p: p.read_bytes() for p in site.rglob("*.gz")}
    build(load_config(site.parent.parent / "site.yaml"))
    after = {p: p.read_bytes() for p in before}
    assert before == after


def test_iso_years():
    assert [iso_year(y) for y in (1650, 800, 1, -1, -500, None)] == ["1650", "0800", "0001", "0000", "-0499", ""]


def test_downloads_are_counted_in_the_weight_report(site):
    """The build report's site_bytes and site_files (the scale issue's weight report) hold every download."""
    from atlas.site.weight import measure_site

    counts = json.loads((site.parent / "report.json").read_text(encoding="utf-8"))["counts"]
    on_disk = measure_site(site)
    downloads = [p for p in site.rglob("*") if p.is_file() and (p.suffix == ".csv" or "tables" in p.parts
                                                               or p.name in ("works.json", "README.txt"))]
    assert len(downloads) > 20 and on_disk.kind_bytes[".csv"] > 0 and on_disk.kind_bytes[".gz"] > 0
    assert counts["site_bytes"] == on_disk.bytes and counts["site_files"] == on_disk.files


def test_the_analogies_rows_read_off_the_arrays_equal_those_of_the_nested_analogies():
    """analogy_tuples' array path gives the nested path's rows: order, ranks past missing (-1) analogies,
    scores rounded as the pages round them, works absent from the table."""
    from atlas.analysis.analogy_table import AnalogyTable
    from atlas.site.downloads import TUPLE_BLOCK, analogy_tuples

    rng = np.random.default_rng(5)
    ids = [f"w{i}" for i in range(TUPLE_BLOCK + 37)]  # more than one block
    groups = [("medium", "Oil"), ("culture", "Z,q"), ("culture", "A"), ("medium", "Ink"), ("culture", "É")]
    indices = rng.integers(-1, len(ids), size=(len(groups), len(ids), 4)).astype(np.int32)
    scores = rng.random(indices.shape).astype(np.float32)
    table = AnalogyTable(ids, groups, indices, scores)
    wanted = ids[::-1] + ["not-in-table"]
    nested = {work: table[work] for work in ids}
    assert list(analogy_tuples(wanted, table)) == list(analogy_tuples(wanted, nested))
