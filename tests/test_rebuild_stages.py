"""The stages before "pages" decide "reuse" cheaply on a rebuild (issue 20), and decide it as before.

Each shortcut here replaces a per-work pass that a one-title rebuild paid at 10,000 works (benchmarks/README.md,
"Session 10: stages of a rebuild"); each test checks the shortcut gives what the slow path gave, and that
a damaged file behind it is still found and not trusted.
"""

from __future__ import annotations

import hashlib

import numpy as np
from PIL import Image

import atlas.ingest.larger_images as larger_module
from atlas.analysis.analogy_table import AnalogyTable
from atlas.core.cache import DigestIndex
from atlas.core.checked import start_corrupt_log
from atlas.core.records import Record
from atlas.ingest.larger_images import make_larger_images
from atlas.site.pairings import top1_pairs


def test_top1_pairs_from_the_arrays_equal_the_nested_lists_with_ties():
    """Read off the table's arrays, the top-1 pairs and their best score are those of the nested lists,
    a pair found in two groups with different scores included (scores in quarter steps: many ties)."""
    rng = np.random.default_rng(7)
    ids = [f"w{i:02d}" for i in range(30)]
    groups = [("culture", "A"), ("culture", "B"), ("medium", "Oil")]
    indices = rng.integers(-1, 8, size=(len(groups), len(ids), 3)).astype(np.int32)  # few targets: repeats
    scores = (rng.integers(0, 4, indices.shape) / 4).astype(np.float32)
    scores[indices < 0] = np.nan
    table = AnalogyTable(ids, groups, indices, scores)
    nested = {i: table[i] for i in ids}
    found = top1_pairs(table)
    assert found == top1_pairs(nested)
    assert len(found) > 20


def _image(folder, name: str, size: tuple[int, int]) -> Record:
    path = folder / f"{name}.png"
    Image.new("RGB", size, (120, 80, 40)).save(path)
    return Record(id=name, title=name, image_path=path)


def test_source_sizes_are_remembered_by_digest_and_a_damaged_file_is_not_trusted(tmp_path, monkeypatch):
    records = [_image(tmp_path, "big", (900, 500)), _image(tmp_path, "small", (90, 50))]
    digests = {r.id: hashlib.sha256(r.image_path.read_bytes()).hexdigest() for r in records}
    first = make_larger_images(records, digests, 128, tmp_path / "cache")
    assert sorted(first.files) == ["big"] and first.dims == {"big": (900, 500)}

    def no_image(path):
        raise AssertionError(f"{path} opened again")

    monkeypatch.setattr(larger_module, "_source_size", no_image)  # the rebuild reads no image header
    again = make_larger_images(records, digests, 128, tmp_path / "cache")
    assert again.files == first.files and again.dims == first.dims and again.made == 0

    monkeypatch.undo()
    stored = tmp_path / "cache" / "image-sizes.json"
    stored.write_bytes(stored.read_bytes().replace(b"900", b"100"))  # a wrong size: the checksum no longer fits
    log = start_corrupt_log()
    third = make_larger_images(records, digests, 128, tmp_path / "cache")
    assert log.paths("image sizes") == [str(stored)]
    assert third.files == first.files and third.dims == first.dims  # measured again, not read from the damage


def test_the_digest_index_is_written_only_when_a_file_was_hashed(tmp_path):
    image = tmp_path / "images" / "a.png"
    image.parent.mkdir()
    Image.new("RGB", (8, 8)).save(image)
    link = tmp_path / "linked"
    link.symlink_to(image.parent)
    index = DigestIndex(tmp_path / "digests.json")
    digest = index.digest(link / "a.png")
    assert digest == hashlib.sha256(image.read_bytes()).hexdigest() and index.hashed == 1
    assert list(index.entries) == [str(image.resolve())]  # keyed by the real path, the folder's link followed
    index.save()

    again = DigestIndex(tmp_path / "digests.json")
    assert again.digest(image) == digest and again.hashed == 0
    (tmp_path / "digests.json").write_text("{}")  # were it written again, the entry would be back
    again.save()
    assert (tmp_path / "digests.json").read_text() == "{}"


def test_jpeg_size_from_the_frame_header_equals_pillows():
    """Baseline and progressive thumbnails of many shapes (as thumbnail_bytes writes them), and odd JPEGs."""
    import io

    from atlas.ingest.thumbnails import jpeg_size, thumbnail_bytes

    rng = np.random.default_rng(3)
    for w, h in [(1, 1), (480, 7), (9, 480), (333, 250), (2000, 1999)]:
        picture = Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
        for data in (thumbnail_bytes(picture, 480, 75), _jpeg(picture, progressive=True), _jpeg(picture.convert("L"))):
            with Image.open(io.BytesIO(data)) as image:
                assert jpeg_size(data) == image.size


def _jpeg(picture: Image.Image, **options) -> bytes:
    import io

    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=80, **options)
    return out.getvalue()


def test_pattern_suggestions_scored_in_blocks_are_the_nearest_works_outside_each_pattern():
    """_suggested picks, for every pattern, the n works of highest cosine to its centre outside it (scored in
    float64), ties in row order: rows repeated so that many scores tie exactly, and a work with the same
    vector as another must come right after it whatever row of the block product it fell in."""
    import dataclasses

    from atlas.analysis import curated_patterns
    from atlas.analysis.patterns import Pattern

    rng = np.random.default_rng(11)
    base = rng.normal(size=(25, 8)).astype(np.float32)
    vectors = base[rng.integers(0, 25, 300)]  # 300 works, 25 distinct vectors: ties everywhere
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"w{i:03d}" for i in range(300)]
    index = {w: i for i, w in enumerate(ids)}
    fields = {f.name for f in dataclasses.fields(Pattern)}
    template = {name: None for name in fields}
    patterns = [Pattern(**{**template, "id": f"p{j}", "members": [ids[i] for i in rng.choice(300, 12, replace=False)]})
                for j in range(40)]  # more than SCORED_AT_ONCE: two blocks
    for n in (0, 5, 400):
        found = curated_patterns._suggested(patterns, vectors, index, n)
        for p, got in zip(patterns, found):
            if n == 0:
                assert got is p
                continue
            rows = np.array([index[m] for m in p.members])
            centre = vectors[rows].mean(axis=0)
            centre /= np.linalg.norm(centre)
            scores = np.einsum("ij,j->i", vectors.astype(np.float64), centre.astype(np.float64))
            scores[rows] = -np.inf
            order = np.lexsort((np.arange(300), -scores))
            expected = [ids[i] for i in order[:n] if np.isfinite(scores[i])]
            assert got.suggestions == expected, p.id


def test_the_journey_graph_read_back_equals_the_one_made_and_a_damaged_file_is_made_again(tmp_path):
    from atlas.site import journey_plan

    rng = np.random.default_rng(2)
    ids = [f"w{i:02d}" for i in range(40)]
    groups = [("culture", "A"), ("culture", "B"), ("medium", "Oil")]
    indices = rng.integers(-1, 40, size=(3, 40, 4)).astype(np.int32)
    scores = rng.random(indices.shape).astype(np.float32)
    scores[indices < 0] = np.nan
    table = AnalogyTable(ids, groups, indices, scores)
    works = [Record(id=w, title=w, culture="AB"[i % 2], medium="Oil") for i, w in enumerate(ids)]
    made = journey_plan.journey_graph(works, table, 3)  # no folder: made, never stored

    def same(graph):
        return (np.array_equal(graph.offsets, made.offsets) and np.array_equal(graph.targets, made.targets)
                and np.array_equal(graph.scores, made.scores) and graph.group_names == made.group_names
                and all(np.array_equal(graph.groups[f], made.groups[f]) for f in made.groups))

    assert same(journey_plan.journey_graph(works, table, 3, tmp_path))
    stored = tmp_path / "journey-graph.npz"
    assert stored.is_file() and same(journey_plan._load_graph(stored, _key_of(stored)))
    assert same(journey_plan.journey_graph(works, table, 3, tmp_path))  # read back
    assert journey_plan._load_graph(stored, "another key") is None  # other inputs: made again
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 1
    stored.write_bytes(bytes(data))
    log = start_corrupt_log()
    assert same(journey_plan.journey_graph(works, table, 3, tmp_path))
    assert log.paths("journey graph") == [str(stored)]


def _key_of(stored) -> str:
    import io

    return str(np.load(io.BytesIO(stored.read_bytes()))["key"])


def test_row_hashes_are_made_once_for_a_read_only_matrix_and_again_for_a_writable_one():
    from atlas.analysis.neighbour_stage import row_digests as neighbour_rows
    from atlas.core import near_reuse

    vectors = np.random.default_rng(0).normal(size=(50, 6)).astype(np.float32)
    writable = near_reuse.row_digests(vectors)
    vectors[3] += 1  # changed in place: a writable matrix is hashed again
    again = near_reuse.row_digests(vectors)
    assert again[3].digest() != writable[3].digest() and again[4].digest() == writable[4].digest()
    vectors.flags.writeable = False
    assert near_reuse.row_digests(vectors) is near_reuse.row_digests(vectors)  # kept for the read-only matrix
    expected = [int.from_bytes(hashlib.blake2b(row.tobytes(), digest_size=8).digest(), "little") for row in vectors]
    assert neighbour_rows(vectors).tolist() == expected  # the neighbours stage's stored digests are unchanged
    near = near_reuse.Near([f"w{i}" for i in range(50)], vectors, lambda old, change: old,
                           per_work={"culture": ["A"] * 50})
    assert near.rows() is near.rows() and len(set(near.rows())) == 50


def test_part_digests_are_those_of_the_plain_json_form():
    """part_digest encodes JsonData as it meets it; the digests must be the ones key_digest(plain(value))
    gave, or every stored stage result would be computed again once for nothing."""
    from pathlib import Path

    from atlas.analysis.neighbours import SearchSummary
    from atlas.core.cache import key_digest
    from atlas.core.stage_cache import part_digest
    from atlas.core.typed import plain

    searches = (SearchSummary("culture", "A", "exact", "cpu", 12, ""), SearchSummary("medium", "Oil", "ann", "cpu", 3, "x"))
    values = [searches, searches[0], {"guesses": {"w1": {"culture": "A"}, "w2": {}}}, [("a", "b"), ("c", None)],
              {"years": [1600, None, -20]}, {"path": Path("x/y"), "n": np.float32(0.5)}, "text", 3, None]
    for value in values:
        assert part_digest(value) == key_digest(plain(value)), value
    array = np.arange(6, dtype=np.int32).reshape(2, 3)
    assert part_digest(array) != part_digest(array.astype(np.int64)) and part_digest(array) == part_digest(array.copy())


def test_the_budgets_top1_pairs_from_the_arrays_equal_the_sorted_nested_lists():
    """best_top1 on an AnalogyTable (array path) chooses the very pairs the nested lists and a full sort
    by (-score, pair) chose, for budgets below, at and above the number of pairs; ids not in row order."""
    from atlas.site.pairings import best_top1

    rng = np.random.default_rng(9)
    ids = [f"w{i:02d}" for i in rng.permutation(40)]  # rows not in id order: ties must fall by id
    groups = [("culture", "A"), ("culture", "B"), ("medium", "Oil"), ("medium", "Ink")]
    indices = rng.integers(-1, 12, size=(len(groups), len(ids), 3)).astype(np.int32)
    scores = (rng.integers(0, 5, indices.shape) / 8).astype(np.float32)  # few values: many ties
    scores[indices < 0] = np.nan
    table = AnalogyTable(ids, groups, indices, scores)
    nested = {i: table[i] for i in ids}
    candidates = top1_pairs(nested)
    ranked = sorted(candidates, key=lambda p: (-candidates[p], p))
    for budget in (0, 1, 7, len(ranked), len(ranked) + 5):
        expected = set(ranked[: budget or len(ranked)])
        assert best_top1(table, budget) == (expected, len(ranked)), budget
        assert best_top1(nested, budget) == (expected, len(ranked)), budget
