import numpy as np

from atlas.analysis.culture import (
    culture_similarity,
    normalised_similarity,
    strongest_links,
)


def test_normalised_similarity_matches_the_formula():
    rng = np.random.default_rng(0)
    d = rng.uniform(0.5, 2.0, size=(4, 4))
    d = (d + d.T) / 2
    np.fill_diagonal(d, 0)
    s = normalised_similarity(d)
    for a in range(4):
        denominator = sum(1 / d[a, c] for c in range(4) if c != a)
        for b in range(4):
            expected = 0.0 if a == b else (1 / d[a, b]) / denominator
            assert abs(s[a, b] - expected) < 1e-12
        assert abs(s[a].sum() - 1) < 1e-12


def test_culture_similarity_from_vectors():
    # Two tight cultures near each other, one far away: the near pair must be most similar.
    rng = np.random.default_rng(1)
    centres = {"A": [1, 0, 0], "B": [0.9, 0.1, 0], "C": [0, 0, 1]}
    vectors, labels = [], []
    for name, centre in centres.items():
        for _ in range(5):
            vectors.append(np.array(centre) + rng.normal(0, 0.01, 3))
            labels.append(name)
    labels.append(None)  # a work without a culture is ignored
    vectors.append(np.zeros(3))
    result = culture_similarity(np.array(vectors), labels)
    assert result.labels == ["A", "B", "C"]
    assert result.counts == [5, 5, 5]
    sim = np.array(result.similarity)
    assert sim[0, 1] > 0.8 and sim[1, 0] > 0.8
    assert strongest_links(result, top=1)["A"][0][0] == "B"
    assert np.allclose(sim.sum(axis=1), 1, atol=1e-5)
    assert np.allclose(np.diag(sim), 0)


def test_empty_collection():
    assert culture_similarity(np.zeros((0, 3)), []).labels == []
