"""Keyed sets of files (atlas.site.keyed_sets): the all-analogies table and the IIIF manifests (which carry each
work's JSON record, atlas.site.work_files) are carried over
unmade when what they read did not change, and made again when it did, when the published file was edited or
removed, and under --full; what is kept equals what a build from empty caches makes."""

from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image

from atlas.build import build
from atlas.core.config import load_config
from atlas.site.page_keys import PageKeys
from atlas.site.unchanged_build import LastBuild

from .conftest import write_small_collection
from .test_page_keys import files, retitle

pytestmark = pytest.mark.slow  # a few small builds
TABLE = "data/tables/analogies.csv.gz"


def make_collection(folder: Path, count: int = 12) -> Path:
    (folder / "img").mkdir(parents=True)
    rows = []
    for i in range(count):
        Image.new("RGB", (40, 32), ((37 * i) % 256, (91 * i) % 256, (53 * i) % 256)).save(folder / "img" / f"{i}.png")
        rows.append({"id": f"S{i:02d}", "title": f"Work {i}", "artist": "Anon", "date": str(1800 + i),
                     "culture": ("Dutch", "Chinese")[i % 2], "medium": ("Oil", "Ink")[i % 2 == 0 and i % 3 == 0],
                     "image": f"img/{i}.png"})
    return write_small_collection(folder, rows, "Sets")


def inodes(site: Path) -> dict[str, int]:
    return {p.relative_to(site).as_posix(): p.stat().st_ino for p in sorted(site.rglob("*")) if p.is_file()}


def sets_kept(report) -> int:
    """The build report's count of keyed sets' files kept (atlas.site.page_keys.PageKeys.line)."""
    found = [re.search(r"([\d,]+) data files kept", note) for note in report.notes]
    return next(int(m.group(1).replace(",", "")) for m in found if m)


def manifest(site: Path, work_id: str) -> str:
    return f"iiif/{work_id}/manifest.json"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sets")
    build(load_config(make_collection(folder)))
    return folder


def rebuild(folder: Path, **options):
    return build(load_config(folder / "site.yaml"), **options)


def test_a_title_change_keeps_the_analogies_table_and_other_manifests_and_equals_a_fresh_build(folder, tmp_path):
    site = folder / "out" / "site"
    before = inodes(site)
    assert TABLE in before and manifest(site, "S03") in before
    retitle(folder, "S03", "Work 3 (retitled)")
    report = rebuild(folder)
    after = inodes(site)
    assert after[TABLE] == before[TABLE]  # carried over unmade: the analogies hold no title
    assert after[manifest(site, "S03")] != before[manifest(site, "S03")]  # its manifest holds its title
    assert "Work 3 (retitled)" in (site / manifest(site, "S03")).read_text(encoding="utf-8")
    assert all(after[manifest(site, f"S{i:02d}")] == before[manifest(site, f"S{i:02d}")] for i in range(12) if i != 3)
    assert not any(path.startswith("data/work/") for path in after)  # the record rides in the manifest
    assert sets_kept(report) >= 11 + 1  # the other works' manifests (with their records), and the table
    fresh = tmp_path / "fresh"
    shutil.copytree(folder, fresh, ignore=shutil.ignore_patterns("out"))
    build(load_config(fresh / "site.yaml"))
    assert files(fresh / "out" / "site") == files(site)  # every kept file is what empty caches give


def test_an_image_change_makes_again_what_reads_its_analogies_and_keeps_equal_what_making_all_gives(
        folder, monkeypatch):
    site = folder / "out" / "site"
    path = folder / "img" / "4.png"
    with Image.open(path) as img:
        img = img.convert("RGB")
        img.paste((255, 255, 255), (0, 0, 20, 16))
        img.save(path)
    before = inodes(site)
    rebuild(folder)
    built, after = files(site), inodes(site)
    assert after[TABLE] != before[TABLE]  # its analogies moved
    assert after[manifest(site, "S04")] != before[manifest(site, "S04")]  # its record: (in 12 works every list holds it)
    with monkeypatch.context() as patch:  # every set made again from the very same stage results
        patch.setattr(PageKeys, "unchanged", lambda self, path, key: False)
        patch.setattr(PageKeys, "fingerprinted", lambda self, path, found: "")
        patch.setattr(LastBuild, "unchanged", lambda self, inputs, site: None)
        again = rebuild(folder)
    assert sets_kept(again) == 0 and again.counts["files_written"] == 0
    assert files(site) == built


@pytest.mark.parametrize("damage", ["edit", "remove"])
def test_an_edited_or_removed_kept_file_is_made_again(folder, damage):
    site = folder / "out" / "site"
    good = files(site)
    for path in (TABLE, manifest(site, "S05")):
        if damage == "edit":
            (site / path).write_bytes((site / path).read_bytes() + b" ")
        else:
            (site / path).unlink()
    rebuild(folder)
    assert files(site) == good
    assert gzip.decompress((site / TABLE).read_bytes()).startswith("\ufeffid,field".encode("utf-8"))


def test_full_makes_every_set_again(folder):
    site = folder / "out" / "site"
    retitle(folder, "S07", "Work 7 (retitled)")  # so that the build runs past the early stop
    before = inodes(site)
    report = rebuild(folder, full=True)
    assert sets_kept(report) == 0
    assert inodes(site)[TABLE] == before[TABLE]  # made again, found byte-equal, linked: same file
