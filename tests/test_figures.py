"""Issue 15 (figures): the baseline rule, the plain missing-weights sentence, the similarity percentile,
the parts' shares of a similarity, the monochrome detector, the weighed fallback and the map's clusters."""

from __future__ import annotations

import numpy as np

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
