"""The collection's vectors as one memory-mapped matrix, so a large build never holds them whole, or twice.

At a million works, 2,048-d float32 vectors are 8 GB. Stacking the cached per-image vectors in memory,
then selecting the published rows, then centring them would hold two or three such copies at once.
Instead each matrix is a .npy file under the cache, opened with numpy's open_memmap, and filled and
centred a block of rows at a time. Later stages read it through the page cache: the kernel keeps what
fits in memory and drops (and re-reads) what does not, so the build's own memory is a few blocks.

The file is unlinked as soon as it is mapped. It lives exactly as long as the arrays that view it, is
never seen by another build sharing the cache, and leaves nothing behind when a build is killed.
"""

from __future__ import annotations

import os
import tempfile
from itertools import pairwise
from pathlib import Path

import numpy as np

BLOCK_ROWS = 8192  # rows per block when copying or centring: 64 MB of 2,048-d float32


def new_matrix(folder: Path, rows: int, dim: int) -> np.ndarray:
    """A zero-filled float32 (rows, dim) matrix backed by an anonymous file in `folder`."""
    if rows == 0 or dim == 0:
        return np.zeros((rows, dim), np.float32)  # a zero-length file cannot be mapped
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, prefix="vectors-", suffix=".npy")
    os.close(fd)
    try:
        mapped = np.lib.format.open_memmap(name, mode="w+", dtype=np.float32, shape=(rows, dim))
    finally:
        _unlink(name)
    return mapped.view(np.ndarray)  # a plain array (numpy's memmap subclass leaks into every result)


def keep_rows(matrix: np.ndarray, keep: list[int]) -> np.ndarray:
    """`matrix` restricted to the rows `keep` (increasing), moved up in place: no second matrix."""
    if any(b <= a for a, b in pairwise(keep)):
        raise ValueError("keep_rows needs increasing row numbers")
    for new, old in enumerate(keep):
        if new != old:
            matrix[new] = matrix[old]
    return matrix[: len(keep)]


def select_rows(matrix: np.ndarray, order: list[int], folder: Path) -> np.ndarray:
    """A new memory-mapped matrix of `matrix`'s rows in `order` (any order), copied a block at a time."""
    out = new_matrix(folder, len(order), matrix.shape[1])
    for start in range(0, len(order), BLOCK_ROWS):
        out[start : start + BLOCK_ROWS] = matrix[order[start : start + BLOCK_ROWS]]
    return out


def centre_in_place(matrix: np.ndarray) -> np.ndarray:
    """Subtract the rows' mean vector from every row, then scale each row to unit length, in place.

    The mean is summed in float64 a block at a time, so it does not depend on how numpy would pair up a
    float32 sum over the whole matrix, and the result is the same for a memory-mapped or an in-memory
    matrix. Rows that become zero (a work identical to the mean) stay zero.
    """
    if len(matrix) == 0:
        return matrix
    return centre_on(matrix, row_mean(matrix))


def row_mean(matrix: np.ndarray) -> np.ndarray:
    """The rows' mean vector, summed in float64 a block at a time (float32 result)."""
    total = np.zeros(matrix.shape[1], np.float64)
    for start in range(0, len(matrix), BLOCK_ROWS):
        total += matrix[start : start + BLOCK_ROWS].sum(axis=0, dtype=np.float64)
    return (total / max(len(matrix), 1)).astype(np.float32)


def centre_on(matrix: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Subtract `mean` from every row, then scale each row to unit length, in place, a block at a time."""
    for start in range(0, len(matrix), BLOCK_ROWS):
        block = matrix[start : start + BLOCK_ROWS]
        block -= mean
        normalise_rows_in_place(block)
    return matrix


def normalise_rows_in_place(matrix: np.ndarray) -> np.ndarray:
    """Scale every row to unit length, a block of rows at a time; zero rows stay zero."""
    for start in range(0, len(matrix), BLOCK_ROWS):
        block = matrix[start : start + BLOCK_ROWS]
        block /= np.maximum(np.linalg.norm(block, axis=1, keepdims=True), 1e-12)
    return matrix


def _unlink(name: str) -> None:
    try:
        os.unlink(name)
    except OSError:
        pass  # a platform that cannot unlink an open file: the file stays in the folder, harmless
