"""Cross-cultural works: a work whose neighbours are all from another culture comes first."""

from __future__ import annotations

import numpy as np

from atlas.analysis.surprises import cross_cultural, date_surprises
from atlas.core.records import Record


def test_a_work_among_another_culture_is_the_most_cross_cultural():
    rng = np.random.default_rng(0)
    centres = {"A": np.eye(8)[0], "B": np.eye(8)[1]}
    works, rows = [], []
    for i in range(40):
        culture = "A" if i < 20 else "B"
        works.append(Record(id=f"W{i:02d}", culture=culture))
        rows.append(centres[culture] + 0.05 * rng.normal(size=8))
    works.append(Record(id="STRAY", culture="A"))  # looks like B
    rows.append(centres["B"] + 0.05 * rng.normal(size=8))
    vectors = np.stack(rows).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    top = cross_cultural(works, vectors, k=5, limit=3)
    assert top[0]["id"] == "STRAY" and top[0]["share"] == 1.0 and top[0]["others"] == [["B", 5]]
    assert all(r["share"] <= top[0]["share"] for r in top)


def test_date_surprises_split_by_direction():
    guesses = {
        "a": {"date": {"year": 1500, "catalogue": 1700.0, "error": -200.0}},
        "b": {"date": {"year": 1800, "catalogue": 1700.0, "error": 100.0}},
        "c": {"date": {"year": 1650, "catalogue": 1700.0, "error": -50.0}},
        "d": {},
    }
    out = date_surprises(guesses, limit=5)
    assert [r["id"] for r in out["older"]] == ["a", "c"]
    assert [r["id"] for r in out["younger"]] == ["b"]
