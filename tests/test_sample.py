"""The bundled sample collection: shape of the CSV, images, determinism, the cache fast path, labels.

Generating the sample takes a few seconds, so one copy is shared by the whole module and only the
determinism test generates a second one.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
from pathlib import Path

import pytest
from PIL import Image

import atlas.ingest.sample
from atlas.ingest.sample import (
    CULTURES,
    MEDIA,
    SAMPLE_LABEL_RULES,
    SAMPLE_VERSION,
    SIZE,
    SUBJECTS,
    generate_sample,
)

COLUMNS = ["id", "title", "artist", "date", "culture", "medium", "subject", "image"]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_sample(tmp_path_factory.mktemp("sample") / "out")


@pytest.fixture(scope="module")
def rows(sample: Path) -> list[dict[str, str]]:
    with sample.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == COLUMNS
        return list(reader)


def _group(kind: str, raw: str) -> str | None:
    """The group SAMPLE_LABEL_RULES puts a raw label in (exact match), or None."""
    return next((g for g, raws in SAMPLE_LABEL_RULES[kind].items() if raw in raws), None)


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_public_lists_are_big_enough() -> None:
    assert len(CULTURES) >= 6 and len(MEDIA) >= 4
    assert SUBJECTS == ["boat", "bird", "flower", "face", "mountain", "vase", "horse", "house"]
    assert isinstance(SAMPLE_VERSION, int)


def test_csv_shape(sample: Path, rows: list[dict[str, str]]) -> None:
    assert sample.name == "collection.csv"
    assert 380 <= len(rows) <= 480
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == len(ids)
    assert all(r["image"] == f"images/{r['id']}.jpg" for r in rows)
    assert all(r["title"] and r["artist"] and r["date"] for r in rows)
    assert sample.read_bytes().startswith(b"id,title,artist,date,culture,medium,subject,image\n")


def test_every_combination_present(rows: list[dict[str, str]]) -> None:
    seen = {(_group("culture", r["culture"]), _group("medium", r["medium"]), r["subject"]) for r in rows}
    assert set(itertools.product(CULTURES, MEDIA, SUBJECTS)) <= seen


def test_labels_are_messy_but_covered(rows: list[dict[str, str]]) -> None:
    for kind, groups in (("culture", CULTURES), ("medium", MEDIA)):
        assert set(SAMPLE_LABEL_RULES[kind]) == set(groups)
        raws = {r[kind] for r in rows}
        uncovered = sorted(raw for raw in raws if _group(kind, raw) is None)
        assert not uncovered, f"{kind} labels not in SAMPLE_LABEL_RULES: {uncovered}"
        assert len(raws) > len(groups)  # several raw spellings per group: normalisation has work
    for kind in ("culture", "medium"):  # no raw label may sit in two groups
        flat = [raw for raws in SAMPLE_LABEL_RULES[kind].values() for raw in raws]
        assert len(flat) == len(set(flat))


def test_images_exist_and_open(sample: Path, rows: list[dict[str, str]]) -> None:
    for r in rows:
        with Image.open(sample.parent / r["image"]) as im:
            assert im.format == "JPEG" and im.size == (SIZE, SIZE) and im.mode == "RGB"
    assert len(list((sample.parent / "images").glob("*.jpg"))) == len(rows)


def test_deterministic(sample: Path, tmp_path: Path) -> None:
    again = generate_sample(tmp_path / "again")
    assert _digests(again.parent) == _digests(sample.parent)


def test_fast_path_writes_nothing(sample: Path) -> None:
    folder = sample.parent
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}
    assert generate_sample(folder) == sample
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()} == before


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shrink the sample to one culture and medium (16 works) for the tests that regenerate it."""
    monkeypatch.setattr(atlas.ingest.sample, "CULTURES", ["Dutch"])
    monkeypatch.setattr(atlas.ingest.sample, "MEDIA", ["Print"])


def test_interrupted_run_is_redone(small: None, tmp_path: Path) -> None:
    """Without VERSION (written last) the folder counts as unfinished and is generated again."""
    (tmp_path / "collection.csv").write_text("id\n", encoding="utf-8")  # a half-written earlier run
    csv_path = generate_sample(tmp_path)
    assert csv_path.read_text(encoding="utf-8").startswith(",".join(COLUMNS))
    assert (tmp_path / "VERSION").read_text(encoding="utf-8").split() == [str(SAMPLE_VERSION), "0"]


def test_other_seed_regenerates(small: None, tmp_path: Path) -> None:
    generate_sample(tmp_path, seed=0)
    first = _digests(tmp_path)
    generate_sample(tmp_path, seed=1)
    second = _digests(tmp_path)
    assert first.keys() == second.keys()
    assert first["images/S0001.jpg"] != second["images/S0001.jpg"]
    assert (tmp_path / "VERSION").read_text(encoding="utf-8").split() == [str(SAMPLE_VERSION), "1"]
