"""Issue 15 (figures): the baseline rule, the plain missing-weights sentence, the similarity percentile,
the parts' shares of a similarity, the monochrome detector, the weighed fallback and the map's clusters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from atlas.analysis.probes import run_probes
from atlas.core.config import EmbeddingConfig, ProbesConfig
from atlas.core.records import Record


def _works(n: int, culture, years) -> list[Record]:
    return [Record(id=f"W{i:03d}", culture=culture(i), date_begin=years(i), date_end=years(i)) for i in range(n)]


def test_a_probe_below_its_baseline_is_reported_but_its_guesses_are_withheld():
    """Culture is written into the vectors (the probe beats always guessing the commonest class); the year is
    noise with a few far outliers, so a regressor's mean-seeking guesses lose to always guessing the median."""
    rng = np.random.default_rng(0)
    n = 300
    culture = [["A", "B", "C"][i % 3] for i in range(n)]
    centres = {c: rng.normal(size=16) * 3 for c in "ABC"}
    vectors = np.stack([centres[c] + rng.normal(size=16) for c in culture]).astype(np.float32)
    works = _works(n, lambda i: culture[i], lambda i: 1500 + (600 if i % 10 == 0 else int(rng.integers(0, 5))))
    probes = run_probes(works, vectors, ProbesConfig())

    good, date = probes.classifiers["culture"], probes.date
    assert good["top1"] > good["majority_baseline"] and good["beats_baseline"] and good["guesses_shown"]
    assert date["available"] and date["mae"] >= date["baseline_mae"]
    assert date["beats_baseline"] is False and "not shown" in date["verdict"]
    assert probes.public()["date"]["mae"] == date["mae"]  # still reported in full for the model page
    assert all("culture" in g for g in probes.guesses.values())
    assert not any("date" in g for g in probes.guesses.values())  # withheld from pages and Surprises


def test_surprises_get_no_date_rows_from_a_probe_below_its_baseline():
    from atlas.analysis.surprises import date_surprises

    rng = np.random.default_rng(1)
    works = _works(200, lambda i: "A" if i % 2 else "B",
                   lambda i: 1500 + (700 if i % 9 == 0 else int(rng.integers(0, 3))))
    probes = run_probes(works, rng.normal(size=(200, 8)).astype(np.float32), ProbesConfig())
    assert not probes.date["beats_baseline"]
    assert date_surprises(probes.guesses, 10) == {"older": [], "younger": []}


def test_missing_weights_are_one_plain_sentence_without_the_exception(tmp_path):
    from atlas.vectors.fallback import fallback_info
    from atlas.vectors.network import resolve_weights

    missing = tmp_path / "gone.pth"
    weights = resolve_weights("resnet18", str(missing), "untrained", tmp_path)
    text = weights.info.explanation
    assert "gone.pth" in text and "randomly initialised network" in text
    assert "to fix this" in text and "embedding.weights" in text and text.count(". ") == 0
    assert str(tmp_path) not in text  # no machine path, no exception text
    cfg = EmbeddingConfig(model="resnet50", weights="imagenet", on_missing_weights="fallback")
    info = fallback_info(cfg, "pretrained weights could not be downloaded (URLError: <urlopen error [Errno -2]>)")
    assert "URLError" not in info.explanation and "URLError" in info.warning  # the raw reason stays in the report
    assert info.explanation.startswith("The pretrained resnet50 weights could not be downloaded")
    assert "colour, texture and layout" in info.explanation


# -- similarity a visitor can read -----------------------------------------------------------------
def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_percentile_is_the_share_of_all_pairs_scoring_at_or_below():
    from atlas.analysis.similarity_scale import similarity_scale

    vectors = _unit(np.random.default_rng(2).normal(size=(400, 6)))
    scale = similarity_scale(vectors)
    upper = np.triu_indices(400, k=1)
    every = (vectors @ vectors.T)[upper]
    assert scale.pairs == len(every) == 400 * 399 // 2 and not scale.sampled
    for score in (-0.6, -0.05, 0.0, 0.4, 0.8):
        assert abs(scale.percentile(score) - 100 * np.mean(every <= score)) <= 0.15
    assert scale.percentile(1.0) == 100.0 and scale.percentile(-1.0) == 0.0
    sampled = similarity_scale(vectors, exact_rows=200)  # a seeded sample of works stands for a large collection
    assert sampled.sampled and sampled.pairs == 200 * 199 // 2
    assert abs(sampled.percentile(0.4) - scale.percentile(0.4)) < 3.0


def test_a_negative_cosine_reads_as_a_percentile_on_pages():
    from atlas.analysis.similarity_scale import SimilarityScale
    from atlas.site.similarity_views import similarity_text

    scale = SimilarityScale([round(x, 3) for x in np.linspace(-0.5, 0.9, 1001)], 10, False)
    assert similarity_text(scale, -0.05) == "closer than 32.1% of all pairs"
    assert similarity_text(None, -0.05) == "similarity -0.05"


# -- why this match --------------------------------------------------------------------------------
def _fallback_vectors(rng, n: int = 60):
    """A joined vector of five centred, unit parts, as atlas.vectors.descriptors.combine makes it."""
    from atlas.vectors.descriptors import combine
    from atlas.vectors.parts import layout

    widths = [32, 24, 16, 12, 20]
    names = ["net", "lab", "hsv", "lbp", "hog"]
    return combine([rng.normal(size=(n, w)) for w in widths]), layout(names, widths)


def test_the_parts_shares_sum_to_the_score_before_and_after_weighing():
    from atlas.analysis.match_parts import pair_shares, part_shares
    from atlas.vectors.parts import weigh_parts

    rng = np.random.default_rng(3)
    vectors, parts = _fallback_vectors(rng)
    a, b = vectors[4], vectors[9]
    shares = part_shares(a, b, parts)
    assert list(shares) == ["network", "colour", "texture", "layout"]
    assert abs(sum(shares.values()) - float(a @ b)) < 1e-6  # the cosine, exactly split
    mono = np.zeros(len(vectors), dtype=bool)
    mono[[4, 7]] = True
    weighing = weigh_parts(vectors, parts, mono)
    assert abs(sum(weighing.weights.values()) - 1.0) < 1e-3 and weighing.monochrome == 2
    ids = [f"W{i}" for i in range(len(vectors))]
    for x, y in ((4, 9), (4, 7), (2, 9)):
        found = pair_shares(ids, vectors, parts, [(ids[x], ids[y])])[(ids[x], ids[y])]
        assert abs(sum(found.values()) - float(vectors[x] @ vectors[y])) < 1e-3  # rounded to 4 places
        assert (found["colour"] == 0.0) == (x in (4, 7) or y in (4, 7))  # colour only between colour images


def test_weighing_turns_colour_off_for_monochrome_rows_without_rescaling_them():
    from atlas.vectors.parts import weigh_parts

    rng = np.random.default_rng(4)
    vectors, parts = _fallback_vectors(rng, n=80)
    mono = np.arange(80) % 4 == 0
    weigh_parts(vectors, parts, mono, weights={"network": 0.4, "colour": 0.2, "texture": 0.2, "layout": 0.2})
    colour = np.concatenate([np.arange(p.start, p.stop) for p in parts if p.family == "colour"])
    assert np.all(vectors[mono][:, colour] == 0)
    assert np.allclose(np.linalg.norm(vectors[~mono], axis=1), 1.0, atol=1e-5)
    assert np.allclose(np.linalg.norm(vectors[mono], axis=1), np.sqrt(0.8), atol=1e-5)  # shorter, not rescaled
    net = parts[0]
    assert np.allclose(np.linalg.norm(vectors[:, net.start : net.stop], axis=1), np.sqrt(0.4), atol=1e-5)


def test_a_family_whose_neighbours_agree_with_no_other_gets_less_weight():
    """Network, texture and layout see one shared structure; colour is noise of its own."""
    from atlas.vectors.descriptors import combine
    from atlas.vectors.parts import layout, weigh_parts

    rng = np.random.default_rng(5)
    shared = rng.normal(size=(300, 8))
    blocks = [shared @ rng.normal(size=(8, 24)) + 0.5 * rng.normal(size=(300, 24)) for _ in range(3)]
    vectors = combine([blocks[0], rng.normal(size=(300, 24)), blocks[1], blocks[2]])
    parts = layout(["net", "lab", "lbp", "hog"], [24] * 4)
    weighing = weigh_parts(vectors, parts, np.zeros(300, dtype=bool))
    assert weighing.weights["colour"] < 0.5 * min(weighing.weights[f] for f in ("network", "texture", "layout"))


def test_weights_are_kept_with_the_stored_mean_so_a_new_work_moves_no_other_vector(tmp_path):
    """While the stored mean is kept the family weights are too: the old works' weighed rows are unchanged
    when a work joins; when the mean is measured again, so are the weights."""
    from atlas.vectors.descriptors import combine
    from atlas.vectors.parts import layout, weigh_parts_kept

    rng = np.random.default_rng(7)
    shared = rng.normal(size=(301, 8))
    blocks = [shared @ rng.normal(size=(8, 24)) + 0.5 * rng.normal(size=(301, 24)) for _ in range(3)]
    joined = combine([blocks[0], rng.normal(size=(301, 24)), blocks[1], blocks[2]]).astype(np.float32)
    parts = layout(["net", "lab", "lbp", "hog"], [24] * 4)
    old, grown = joined[:300].copy(), joined.copy()
    first = weigh_parts_kept(old, parts, np.zeros(300, dtype=bool), tmp_path, "features", keep=False)
    kept = weigh_parts_kept(grown, parts, np.zeros(301, dtype=bool), tmp_path, "features", keep=True)
    assert kept.weights == first.weights
    np.testing.assert_array_equal(grown[:300], old)  # every old work's row exactly as before
    fresh = weigh_parts_kept(joined.copy(), parts, np.zeros(301, dtype=bool), tmp_path, "features", keep=False)
    assert fresh.agreement  # measured again, not read back
    other = weigh_parts_kept(joined.copy(), parts, np.zeros(301, dtype=bool), tmp_path, "other model", keep=True)
    assert other.agreement  # another model's weights are never used


# -- monochrome ------------------------------------------------------------------------------------
AIC = Path(__file__).resolve().parents[2] / "shared" / "data" / "aic-artwall"


def _painted(tint: tuple[float, float, float] | None, seed: int = 0) -> np.ndarray:
    """A 128 px picture of smooth shapes: grey plus one tint (tint=(r, g, b) added to every pixel, as a
    toned print's paper and toner shift every grey alike), or full colour (tint=None)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:128, 0:128] / 127.0
    light = 0.2 + 0.6 * (0.5 + 0.5 * np.sin(6 * xx + 3 * yy + rng.uniform(0, 6)))
    if tint is None:
        return np.clip(np.stack([light, np.roll(light, 40, axis=0), 1 - light], axis=2), 0, 1)
    return np.clip(np.stack([light + t for t in tint], axis=2), 0, 1)


def test_monochrome_detector_on_generated_pictures():
    from atlas.ingest.monochrome import is_monochrome, tint_spread

    assert is_monochrome(tint_spread(_painted((0.0, 0.0, 0.0))))  # grey
    assert tint_spread(_painted((0.08, 0.03, -0.05))) > 0  # sepia: one tint, not grey
    assert is_monochrome(tint_spread(_painted((0.08, 0.03, -0.05))))
    assert not is_monochrome(tint_spread(_painted(None)))


@pytest.mark.realdata
def test_monochrome_detector_on_the_aic_catalogue_photographs():
    """The AIC set's black-and-white plates (greyscale files and two toned prints) are monochrome; colour
    paintings are not, down to a dark portrait in a black dress and a pale beach."""
    from atlas.ingest.monochrome import image_is_monochrome

    if not AIC.is_dir():
        pytest.skip("../shared/data/aic-artwall is absent (the project's real data, beside the repository)")
    images = AIC / "images"
    for name in ("887", "16389", "93784", "48776", "90064"):  # three greyscale files, two toned prints
        assert image_is_monochrome(images / f"{name}.jpg"), name
    for name in ("75974", "14598", "880", "13487"):
        assert not image_is_monochrome(images / f"{name}.jpg"), name
    found = sum(image_is_monochrome(p) for p in sorted(images.glob("*.jpg")))
    assert 38 <= found <= 42  # 39 greyscale files and two toned prints of 267


# -- a whole build with the fallback ---------------------------------------------------------------
@pytest.mark.slow
def test_a_fallback_build_shows_percentiles_shares_and_the_plain_sentence(tmp_path):
    """Twelve works, four of them grey photographs, and weights that cannot be had: the build weighs the
    fallback's parts, pair pages say what the two works share and where their score falls among all pairs,
    and the about page explains the missing weights without the exception."""
    import json

    from PIL import Image

    from atlas.build import build
    from atlas.core.config import load_config

    from .conftest import write_small_collection

    (tmp_path / "images").mkdir()
    rows = []
    for n in range(12):
        picture = _painted((0.0, 0.0, 0.0) if n % 3 == 0 else None, seed=n)
        Image.fromarray((picture * 255).astype(np.uint8)).save(tmp_path / "images" / f"w{n}.png")
        rows.append({"id": f"w{n}", "title": f"Work {n}", "artist": "Anon", "date": str(1600 + 10 * n),
                     "culture": "AB"[n % 2], "medium": "Oil", "image": f"images/w{n}.png"})
    site_yaml = write_small_collection(tmp_path, rows, "Fallback", embedding={
        "weights": "missing.pth", "on_missing_weights": "fallback", "device": "cpu"})
    report = build(load_config(site_yaml))
    site = tmp_path / "out" / "site"
    assert any(n.startswith("fallback parts weighed") and "4 of 12 works are monochrome" in n for n in report.notes)
    scale = json.loads((site / "data" / "similarity-scale.json").read_text(encoding="utf-8"))
    assert scale["pairs"] == 66 and len(scale["scores"]) == 1001
    pages = [p.read_text(encoding="utf-8") for p in (site / "pair").rglob("index.html")]  # pre-rendered pair pages
    pages = [p for p in pages if "What they share" in p]
    assert pages and all("of all pairs of works in this collection" in p for p in pages)
    cards = [p.read_text(encoding="utf-8") for p in (site / "work").rglob("index.html")]  # artwork pages' cards too
    assert cards and all('<details class="why-match">' in p for p in cards)
    about = (site / "about" / "index.html").read_text(encoding="utf-8")
    assert "The weights file missing.pth named in the configuration could not be read" in about
    assert "weights file not found" not in about


# -- map clusters ----------------------------------------------------------------------------------
def test_a_map_without_islands_still_gets_a_useful_number_of_labelled_clusters():
    """Structureless vectors (HDBSCAN finds one blob or only noise): Ward's clusters are used instead, as many
    as the silhouette prefers up to sqrt(n / 2), none below the minimum size; a cluster whose works share no
    over-represented value is named after its most central work."""
    from atlas.analysis.clusters import cluster_map
    from atlas.core.config import MapConfig

    n = 200
    vectors = _unit(np.random.default_rng(6).normal(size=(n, 12)))
    ids, titles = [f"w{i:03d}" for i in range(n)], [f"Work {i}" for i in range(n)]
    cmap = cluster_map(ids, vectors, [None] * n, [None] * n, MapConfig(layout="pca"), [None] * n, titles)
    assert cmap.method.startswith("Ward") and 2 <= len(cmap.clusters) <= 10
    assert all(c.size >= 8 for c in cmap.clusters)
    assert all(c.label == f"Cluster {c.id + 1}: around \u201c{titles[ids.index(c.representatives[0])]}\u201d"
               for c in cmap.clusters)
