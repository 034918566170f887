"""atlas.vectors.matrix: the build's vectors live in memory-mapped files that nobody else sees."""

from __future__ import annotations

import numpy as np
import pytest

from atlas.core.records import Record
from atlas.vectors import matrix as vector_matrix
from atlas.vectors.embed import hash_images
from atlas.vectors.matrix import centre_in_place, keep_rows, new_matrix, select_rows
from tests.test_embed import embed, make_records, write_image


def is_file_backed(array: np.ndarray) -> bool:
    """True when some base of `array` is a numpy memmap (the array's bytes are a mapped file)."""
    while array is not None:
        if isinstance(array, np.memmap):
            return True
        array = array.base if isinstance(array.base, np.ndarray) else None
    return False


def test_a_new_matrix_is_mapped_from_a_file_that_is_already_unlinked(tmp_path):
    matrix = new_matrix(tmp_path / "work", 1000, 64)
    assert matrix.shape == (1000, 64) and matrix.dtype == np.float32 and type(matrix) is np.ndarray
    assert is_file_backed(matrix)
    assert list((tmp_path / "work").iterdir()) == [], "the file must be gone from the folder at once"
    matrix[999] = 1.0
    assert matrix[999].sum() == 64 and matrix[:999].sum() == 0


def test_an_empty_matrix_needs_no_file(tmp_path):
    assert new_matrix(tmp_path / "work", 0, 64).shape == (0, 64)
    assert not (tmp_path / "work").exists()


def test_centre_in_place_matches_the_in_memory_formula_across_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(vector_matrix, "BLOCK_ROWS", 7)  # many blocks, and a short last one
    rng = np.random.default_rng(0)
    raw = (rng.random((50, 16)) + 2.0).astype(np.float32)  # a large shared component, like pooled ReLU features
    matrix = new_matrix(tmp_path, 50, 16)
    matrix[:] = raw
    out = centre_in_place(matrix)
    assert out is matrix
    expected = raw - raw.astype(np.float64).mean(axis=0)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.allclose(out, expected, atol=1e-6)
    assert abs(float(out.mean(axis=0) @ out.mean(axis=0))) < 1e-3


def test_keep_rows_moves_rows_up_in_place_and_select_rows_reorders(tmp_path, monkeypatch):
    monkeypatch.setattr(vector_matrix, "BLOCK_ROWS", 3)
    matrix = new_matrix(tmp_path, 6, 2)
    matrix[:] = np.arange(12, dtype=np.float32).reshape(6, 2)
    kept = keep_rows(matrix, [0, 2, 5])
    assert kept.tolist() == [[0, 1], [4, 5], [10, 11]]
    assert np.shares_memory(kept, matrix)
    with pytest.raises(ValueError):
        keep_rows(matrix, [2, 1])
    chosen = select_rows(kept, [2, 0, 1, 2], tmp_path)
    assert chosen.tolist() == [[10, 11], [0, 1], [4, 5], [10, 11]]
    assert is_file_backed(chosen) and not np.shares_memory(chosen, kept)


def test_embedded_vectors_are_file_backed_and_right_after_a_broken_image(tmp_path):
    """The embed stage fills a mapped matrix; a record that fails is squeezed out without moving the others'
    vectors to the wrong rows, and identical images share a vector."""
    records = make_records(tmp_path / "img", n=4)
    clean = embed(records, tmp_path)
    bad = tmp_path / "img" / "bad.jpg"
    bad.write_bytes(b"not an image" * 50)
    twin = Record(id="twin", image_path=write_image(tmp_path / "img" / "twin.png", seed=2))  # same bytes as w2
    mixed = [records[0], Record(id="bad", image_path=bad), records[1], twin, records[2], records[3]]
    digests, _ = hash_images(mixed)
    result = embed(mixed, tmp_path)
    assert result.ids == ["w0", "w1", "twin", "w2", "w3"] and digests["twin"] == digests["w2"]
    assert is_file_backed(result.vectors)
    row = {i: j for j, i in enumerate(clean.ids)}
    for j, work in enumerate(result.ids):
        assert np.array_equal(result.vectors[j], clean.vectors[row["w2" if work == "twin" else work]]), work
    assert list((tmp_path / "cache" / "work").iterdir()) == []
