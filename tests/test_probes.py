"""The study pages on the real sample build: probes, the model page, guesses, heat maps, patterns, surprises."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from atlas.analysis.probes import run_probes, work_year
from atlas.core.config import ProbesConfig
from atlas.core.records import Record
from atlas.site import urls
from atlas.site.work_json import read_work_json


def site_of(sample_build) -> Path:
    return sample_build[0].output_dir


def load(site: Path, name: str):
    return json.loads((site / "data" / name).read_text(encoding="utf-8"))


class DataKeys(HTMLParser):
    """{data-key: (data-format, text)} of the model page's figures."""

    def __init__(self):
        super().__init__()
        self.found: dict[str, tuple[str, str]] = {}
        self._open: tuple[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-key" in attrs:
            self._open = (attrs["data-key"], attrs["data-format"])

    def handle_data(self, data):
        if self._open:
            key, fmt = self._open
            self.found[key] = (fmt, data)
            self._open = None


def lookup(data: dict, key: str):
    """'culture.per_class.2.recall' -> data['classifiers']['culture']['per_class'][2]['recall']."""
    parts = key.split(".")
    node = data["date"] if parts[0] == "date" else data["classifiers"][parts[0]]
    for part in parts[1:]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def shown(value, fmt: str) -> str:
    if fmt == "pct":
        return f"{value * 100:.1f}%"
    if fmt == "years":
        return f"{value:.1f}"
    return str(value)


def test_probes_beat_the_majority_baseline_on_the_sample(sample_build):
    probes = load(site_of(sample_build), "probes.json")
    for name in ("culture", "medium"):
        p = probes["classifiers"][name]
        assert p["available"] and p["train"] + p["test"] == 480
        assert p["top1"] >= p["majority_baseline"] + 0.4, (name, p["top1"], p["majority_baseline"])
        assert p["top3"] >= p["top1"]
        assert sum(map(sum, p["confusion"])) == p["test"]
        assert sum(c["test"] for c in p["per_class"]) == p["test"]
    date = probes["date"]
    assert date["available"] and date["mae"] < date["baseline_mae"]
    assert sum(row["test"] for row in date["by_period"]) == date["test"]


def test_model_page_shows_exactly_the_json_numbers(sample_build):
    site = site_of(sample_build)
    probes = load(site, "probes.json")
    parser = DataKeys()
    parser.feed((site / "model" / "index.html").read_text(encoding="utf-8"))
    assert len(parser.found) > 50  # summary figures, per-class rows, confusion cells, periods
    for key, (fmt, text) in parser.found.items():
        assert text == shown(lookup(probes, key), fmt), key
    for required in ("culture.top1", "culture.top3", "culture.majority_baseline", "date.mae", "medium.top1"):
        assert required in parser.found
    caveats = (site / "model" / "index.html").read_text(encoding="utf-8")
    assert "Classes are nearly balanced" in caveats and "Label noise" in caveats


def test_artwork_pages_show_the_cross_fitted_guess_beside_the_catalogue(sample_build):
    site = site_of(sample_build)
    guesses = load(site, "guesses.json")
    assert len(guesses) == 480
    for work_id in ("S0001", "S0250", "S0480"):
        page = (site / urls.page_file("work", work_id)).read_text(encoding="utf-8")
        g = guesses[work_id]
        culture = g["culture"]
        assert f"looks {culture['guess']}, {culture['p'] * 100:.0f}%" in page
        assert f"(catalogue: {culture['catalogue']}" in page
        assert f"about {g['date']['year']} \u00b1 {g['date']['pm']}" in page
        assert culture["held_out"] and g["date"]["held_out"]
    right = np.mean([g["culture"]["guess"] == g["culture"]["catalogue"] for g in guesses.values()])
    assert right > 0.6  # out-of-fold guesses: well above the 1-in-6 of a random culture


def test_heat_maps_exist_for_every_work_and_differ(sample_build):
    """Each artwork page holds its work's activation grid as a data: URI (no heat-map file per work), laid over
    its large thumbnail; the grids of two works differ."""
    import base64
    import io
    import re

    site = site_of(sample_build)
    works = load(site, "works.json")
    assert not (site / "heatmaps").exists()
    grids = []
    for w in (works[0], works[200]):
        page = (site / urls.page_file("work", w["id"])).read_text(encoding="utf-8")
        (figure,) = re.findall(r'<figure class="heatmap".*?</figure>', page, re.S)
        base, uri = re.findall(r'<img class="heat-base" src="([^"]+)".*?<img class="heat-grid" src="data:image/png;base64,([^"]+)"', figure, re.S)[0]
        assert "/thumbs/" in base and base.endswith(f"/{urls.slug(w['id'])}.jpg")  # the large thumbnail
        grids.append(np.asarray(Image.open(io.BytesIO(base64.b64decode(uri))), dtype=np.int16))
    a, b = grids
    assert a.shape == b.shape and a.shape[2] == 4 and 2 <= a.shape[0] <= 16  # one RGBA pixel per cell
    assert np.abs(a - b).mean() > 5


def test_heat_maps_are_reused_from_the_cache(sample_build):
    from atlas.core.cache import file_digest
    from atlas.vectors.heatmaps import make_heatmaps

    config = sample_build[0]
    images = sorted((config.resolve(config.collection.path) / "images").glob("*.jpg"))[:3]
    works = [Record(id=p.stem, image_path=p) for p in images]
    digests = {w.id: file_digest(w.image_path) for w in works}
    paths, problems, _ = make_heatmaps(works, digests, config.embedding, config.heatmaps, config.cache_dir, config.root)
    assert not problems and set(paths) == {w.id for w in works}
    before = {p: p.stat().st_mtime_ns for p in paths.values()}
    again, _, made = make_heatmaps(works, digests, config.embedding, config.heatmaps, config.cache_dir, config.root)
    assert made == 0 and {p: p.stat().st_mtime_ns for p in again.values()} == before


def test_pattern_pages_list_members_by_date(sample_build):
    site = site_of(sample_build)
    patterns = load(site, "patterns.json")
    assert patterns, "the sample has tight visual motifs"
    assert any(len(p["cultures"]) >= 2 for p in patterns)
    for p in patterns:
        years = []
        for work_id in p["members"]:
            record = read_work_json((site / urls.work_data_path(work_id)).read_bytes())
            years.append(work_year(Record(id=work_id, date_begin=record["date_begin"], date_end=record["date_end"])))
        dated = [y for y in years if y is not None]
        assert dated == sorted(dated)
        page = (site / urls.page_file("pattern", p["id"])).read_text(encoding="utf-8")
        members, _, suggested = page.partition('class="pattern-suggestions"')  # then the nearest non-members
        links = re.findall(r'href="/atlas/work/([^/]+)/"', members)
        assert [urls.unslug(s) for s in links] == p["members"]
        assert [urls.unslug(s) for s in re.findall(r'href="/atlas/work/([^/]+)/"', suggested)] == p["suggestions"]


def test_surprises_are_the_largest_errors_and_most_cross_cultural(sample_build):
    site = site_of(sample_build)
    surprises, guesses = load(site, "surprises.json"), load(site, "guesses.json")
    errors = sorted(g["date"]["error"] for g in guesses.values())
    assert [r["error"] for r in surprises["older"]] == errors[: len(surprises["older"])]
    assert [r["error"] for r in surprises["younger"]] == errors[::-1][: len(surprises["younger"])]
    shares = [r["share"] for r in surprises["cross_cultural"]]
    assert shares == sorted(shares, reverse=True) and shares[0] > 0.5
    page = (site / "surprises" / "index.html").read_text(encoding="utf-8")
    for row in surprises["older"][:3] + surprises["cross_cultural"][:3]:
        assert f'href="/atlas/{urls.page_path("work", row["id"])}"' in page


def test_culture_graph_is_on_the_chord_page(sample_build):
    site = site_of(sample_build)
    graph = load(site, "culture-graph.json")
    page = (site / "chord" / "index.html").read_text(encoding="utf-8")
    assert 'class="force-graph"' in page
    for node in graph["nodes"]:
        assert f'href="/atlas/{urls.page_path("culture", node["name"])}"' in page


def test_probes_on_random_labels_stay_near_chance():
    """A probe must not find structure that is not there: shuffled labels score near the baseline."""
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(300, 32)).astype(np.float32)
    works = [Record(id=f"W{i:03d}", culture=["A", "B", "C"][i % 3], date_begin=1500 + i % 7, date_end=1500 + i % 7)
             for i in range(300)]
    probes = run_probes(works, vectors, ProbesConfig())
    culture = probes.classifiers["culture"]
    assert culture["top1"] < culture["majority_baseline"] + 0.15
    assert probes.classifiers["medium"]["available"] is False


@pytest.mark.parametrize("label", ["subject"])
def test_extra_label_columns_are_probed(sample_build, label):
    from atlas.build import read_records
    from atlas.core.report import BuildReport

    config = sample_build[0]
    records = sorted(read_records(config, BuildReport()), key=lambda r: r.id)[::4]
    rng = np.random.default_rng(1)
    subjects = sorted({r.extra[label] for r in records})
    centres = {s: rng.normal(size=16) for s in subjects}
    vectors = np.stack([centres[r.extra[label]] + 0.3 * rng.normal(size=16) for r in records]).astype(np.float32)
    probes = run_probes(records, vectors, ProbesConfig(labels=[label]))
    assert probes.classifiers[label]["top1"] > 0.9
    assert probes.classifiers[label]["classes"] == subjects
