"""atlas.ingest.thumbnails.make_thumbnails: sizes, aspect, determinism, caching and broken images."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from atlas.core.records import Record
from atlas.ingest.thumbnails import make_thumbnails
from atlas.vectors.embed import hash_images

SIZES = [32, 96]
QUALITY = 80


def write_image(path: Path, width: int, height: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), mode="RGB").save(path)
    return path


@pytest.fixture
def records(tmp_path) -> list[Record]:
    folder = tmp_path / "img"
    folder.mkdir()
    shapes = {"landscape": (300, 200), "portrait": (150, 400), "square": (128, 128), "small": (20, 12)}
    return [
        Record(id=name, image_path=write_image(folder / f"{name}.png", w, h, seed), source_line=seed + 2)
        for seed, (name, (w, h)) in enumerate(shapes.items())
    ]


def thumbs(records, cache: Path, sizes=SIZES):
    digests, problems = hash_images(records)
    assert problems == []
    files, dims, problems, _ = make_thumbnails(records, digests, sizes, QUALITY, cache)
    return files, dims, problems


def test_every_size_is_written_with_the_longest_side_and_aspect_kept(records, tmp_path):
    files, dims, problems = thumbs(records, tmp_path / "cache")
    assert problems == []
    assert set(files) == {r.id for r in records}
    for rec in records:
        with Image.open(rec.image_path) as original:
            ow, oh = original.size
        assert set(files[rec.id]) == set(SIZES)
        for size, path in files[rec.id].items():
            assert path.is_file() and path.is_relative_to(tmp_path / "cache")
            with Image.open(path) as thumb:
                assert thumb.format == "JPEG" and thumb.mode == "RGB"
                w, h = thumb.size
            if max(ow, oh) > size:
                assert max(w, h) == size, (rec.id, size, (w, h))
            else:  # never enlarged
                assert (w, h) == (ow, oh)
            # aspect kept: the short side is the scaled short side, to within rounding
            scale = max(w, h) / max(ow, oh)
            assert abs(min(w, h) - min(ow, oh) * scale) <= 1, (rec.id, size, (w, h))
            assert (w >= h) == (ow >= oh)
        with Image.open(files[rec.id][max(SIZES)]) as largest:
            assert dims[rec.id] == largest.size


def test_thumbnails_are_byte_identical_across_caches(records, tmp_path):
    files_a, dims_a, _ = thumbs(records, tmp_path / "cache-a")
    files_b, dims_b, _ = thumbs(records, tmp_path / "cache-b")
    assert dims_a == dims_b
    for rec in records:
        for size in SIZES:
            a, b = files_a[rec.id][size], files_b[rec.id][size]
            assert a != b
            assert a.read_bytes() == b.read_bytes()


def test_second_call_does_not_rewrite(records, tmp_path):
    files, dims, _ = thumbs(records, tmp_path / "cache")
    stamps = {p: p.stat().st_mtime_ns for sizes in files.values() for p in sizes.values()}
    # Make any rewrite visible even on a coarse-mtime filesystem.
    for p in stamps:
        old = stamps[p] - 10_000_000_000
        os.utime(p, ns=(old, old))
        stamps[p] = old
    digests, _ = hash_images(records)
    files_again, dims_again, problems, made = make_thumbnails(records, digests, SIZES, QUALITY, tmp_path / "cache")
    assert problems == [] and made == 0
    assert files_again == files and dims_again == dims
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps


def test_a_missing_size_is_added_and_the_others_kept(records, tmp_path):
    files, _, _ = thumbs(records, tmp_path / "cache", sizes=[32])
    small = files["landscape"][32]
    before = small.read_bytes()
    files2, dims2, _ = thumbs(records, tmp_path / "cache", sizes=[32, 64])
    assert files2["landscape"][32] == small and small.read_bytes() == before
    with Image.open(files2["landscape"][64]) as t:
        assert max(t.size) == 64
    assert dims2["landscape"] == (64, round(64 * 200 / 300))


def test_same_image_bytes_share_one_cached_file(records, tmp_path):
    twin = tmp_path / "img" / "twin.png"
    twin.write_bytes(records[0].image_path.read_bytes())
    files, _, _ = thumbs(records + [Record(id="twin", image_path=twin)], tmp_path / "cache")
    assert files["twin"] == files[records[0].id]


def test_a_broken_image_is_a_problem_not_an_exception(records, tmp_path):
    bad = tmp_path / "img" / "bad.jpg"
    good = write_image(tmp_path / "img" / "cut.jpg", 64, 64, 9)
    bad.write_bytes(good.read_bytes()[:300])  # a JPEG cut short
    broken = [
        Record(id="bad", image_path=bad, source_line=11),
        Record(id="junk", image_path=tmp_path / "img" / "junk.png", source_line=12),
    ]
    broken[1].image_path.write_bytes(b"\x00\x01 not an image" * 50)
    files, dims, problems = thumbs(records[:2] + broken, tmp_path / "cache")
    assert set(files) == {records[0].id, records[1].id}
    assert set(dims) == set(files)
    by_id = {p.record: p for p in problems}
    assert set(by_id) == {"bad", "junk"}
    assert by_id["bad"].stage == "thumbnails"
    assert "truncated or corrupt" in by_id["bad"].reason
    assert "not a recognised image format" in by_id["junk"].reason
    assert by_id["bad"].file == str(bad) and by_id["bad"].line == 11
    # Nothing half-made was left in the cache for them.
    digests, _ = hash_images(broken)
    names = {p.name for p in (tmp_path / "cache").rglob("*") if p.is_file()}
    assert not any(d in name for d in digests.values() for name in names)


def test_thumbnails_are_written_without_an_fsync_each_and_pass_their_checksum(records, tmp_path, monkeypatch):
    """No fsync per file (four per work were most of the stage's time): each file is still whole and matches
    its checksum, and a cut-short one (what a power loss could leave) is made again on the next build."""
    from atlas.core.checked import read_checked

    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    files, _, problems = thumbs(records, tmp_path / "cache")
    assert problems == [] and synced == []
    for sizes in files.values():
        for path in sizes.values():
            assert read_checked(path, "thumbnails") is not None
    victim = files["portrait"][SIZES[-1]]
    good = victim.read_bytes()
    victim.write_bytes(good[: len(good) // 2])
    again, _, problems = thumbs(records, tmp_path / "cache")
    assert problems == [] and again["portrait"][SIZES[-1]].read_bytes() == good


def test_thumbnails_are_progressive_the_same_bytes_twice_and_the_same_pixels_as_baseline():
    """Issue 20: progressive JPEG saves bytes without changing a pixel, and the site stays deterministic; a tiny
    image, where progressive costs bytes, stays baseline."""
    import io

    from atlas.ingest.thumbnails import thumbnail_bytes

    rng = np.random.default_rng(5)
    image = Image.fromarray(np.clip(np.cumsum(rng.normal(0, 6, (480, 640, 3)), axis=1) + 128, 0, 255).astype(np.uint8))
    data = thumbnail_bytes(image, 600, 82)
    assert data == thumbnail_bytes(image.copy(), 600, 82)
    with Image.open(io.BytesIO(data)) as made:
        assert made.info.get("progressive") or made.info.get("progression")
        assert made.size == (600, 450)
        pixels = np.asarray(made.convert("RGB"))
    baseline = io.BytesIO()
    small = image.copy()
    small.thumbnail((600, 600), Image.Resampling.LANCZOS)
    small.save(baseline, format="JPEG", quality=82, optimize=True, progressive=False)
    assert np.array_equal(pixels, np.asarray(Image.open(baseline).convert("RGB")))
    assert len(data) < len(baseline.getvalue())
    tiny = thumbnail_bytes(image.resize((12, 9)), 600, 82)
    with Image.open(io.BytesIO(tiny)) as made:
        assert not (made.info.get("progressive") or made.info.get("progression"))


def test_forked_workers_give_what_one_process_gives(records, tmp_path, monkeypatch):
    """A large collection's thumbnails are made by forked workers (atlas.core.workers.AUTO_MIN_WORKS): the same
    files, sizes, problems and order as one process, a broken image included."""
    import atlas.core.workers as workers

    junk = tmp_path / "img" / "junk.png"
    junk.write_bytes(b"not an image" * 20)
    works = records + [Record(id="junk", image_path=junk, source_line=9)]
    digests = {**hash_images(records)[0], "junk": "0" * 64}
    one = make_thumbnails(works, digests, SIZES, QUALITY, tmp_path / "one")
    monkeypatch.setattr(workers, "AUTO_MIN_WORKS", 1)
    monkeypatch.setattr(workers.os, "cpu_count", lambda: 2)
    forked = make_thumbnails(works, digests, SIZES, QUALITY, tmp_path / "forked")
    assert forked[1] == one[1] and forked[3] == one[3] == len(records)
    assert [(p.record, p.reason) for p in forked[2]] == [(p.record, p.reason) for p in one[2]] and one[2]
    assert list(forked[0]) == list(one[0]) == [r.id for r in records]
    for work, paths in one[0].items():
        for size, path in paths.items():
            assert forked[0][work][size].read_bytes() == path.read_bytes()
