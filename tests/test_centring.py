"""Vectors centred on a stored mean: one new work moves no other vector; past the drift threshold, or with
--full, the build recentres on the current mean and stores it."""

from __future__ import annotations

import numpy as np

from atlas.vectors.centring import MEAN_DRIFT, centre_on_stored_mean, drift
from atlas.vectors.embed import centre


def raw(rng, n, dim=16, offset=2.0):
    return (rng.standard_normal((n, dim)) + offset).astype(np.float32)


def test_a_new_work_leaves_every_other_vector_as_it_was(tmp_path):
    rng = np.random.default_rng(0)
    first = raw(rng, 500)
    centred, line = centre_on_stored_mean(first.copy(), tmp_path, "m")
    assert "current mean, now stored (no stored mean)" in line
    np.testing.assert_array_equal(centred, centre(first))  # a first build is centred as before
    grown = np.concatenate([first, raw(rng, 1)])
    again, line = centre_on_stored_mean(grown.copy(), tmp_path, "m")
    assert "stored mean" in line and "drift" in line
    np.testing.assert_array_equal(again[:500], centred)  # not one old vector moved
    fresh = centre(grown)
    assert not np.array_equal(fresh[:500], centred)  # recentring would have moved them all


def test_drift_past_the_threshold_or_full_recentres(tmp_path):
    rng = np.random.default_rng(1)
    centre_on_stored_mean(raw(rng, 300), tmp_path, "m")
    shifted = raw(rng, 300, offset=3.0)  # a collection whose centre moved a long way
    _, line = centre_on_stored_mean(shifted.copy(), tmp_path, "m")
    assert "current mean" in line and f"> {MEAN_DRIFT}" in line
    _, line = centre_on_stored_mean(shifted.copy(), tmp_path, "m")
    assert "centred on the stored mean" in line  # the new mean was stored
    _, line = centre_on_stored_mean(shifted.copy(), tmp_path, "m", full=True)
    assert "--full" in line
    _, line = centre_on_stored_mean(shifted.copy(), tmp_path, "another model")
    assert "no stored mean" in line  # another model's mean is never used


def test_drift_is_the_mean_shift_over_the_spread():
    vectors = np.array([[1, 0], [-1, 0]], np.float32)  # spread around 0: 1
    assert drift(vectors, np.array([0.5, 0], np.float32), np.zeros(2, np.float32)) == 0.5
