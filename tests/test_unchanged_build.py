"""A build whose every input is unchanged and whose published site is intact stops early
(atlas.site.unchanged_build); a change to any kind of input, to the published site or to the cache does not.

Each change is followed by a build that must run (not stop early), then by one that renders every page again
from the same stage results (no page kept) and must write no file: what was kept equals what is rendered.
Where no stage adapts its stored result to the change (all but a changed image: the stored mean, the patched
neighbours and the adapted map are by design not what empty caches give, tests/test_near_reuse.py), the site
must also equal a build of the same inputs from empty caches (so the image changes last). Then a build stops early without touching a file.
"""

from __future__ import annotations

import csv
import random
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml
from PIL import Image, ImageOps

from atlas.build import build
from atlas.core.config import SiteConfig, load_config
from atlas.site import unchanged_build
from atlas.site.page_keys import PageKeys
from atlas.site.unchanged_build import SKIP_NOTE, LastBuild, input_digest
from atlas.site.writer import early_listing

from .conftest import write_small_collection

pytestmark = pytest.mark.slow  # a dozen small builds
PACKAGE_404 = Path(unchanged_build.__file__).parent.parent / "templates" / "404.html"


def make_collection(folder: Path, count: int = 14) -> Path:
    (folder / "img").mkdir(parents=True)
    (folder / "theme").mkdir()
    shutil.copy(PACKAGE_404, folder / "theme" / "404.html")  # the package's own: the same site as without it
    rng = random.Random(5)
    rows = []
    for i in range(count):
        Image.new("RGB", (40, 32), tuple(rng.randrange(256) for _ in range(3))).save(folder / "img" / f"{i}.png")
        rows.append({"id": f"U{i:02d}", "title": f"Work {i}", "artist": "Anon", "date": str(1700 + i),
                     "culture": ("Dutch", "Chinese")[i % 2], "medium": ("Oil", "Ink", "Wood")[i % 3],
                     "image": f"img/{i}.png"})
    (folder / "pairs.yaml").write_text(yaml.safe_dump([{"a": "U00", "b": "U01", "title": "Two", "commentary": "A."}]),
                                       encoding="utf-8")
    return write_small_collection(folder, rows, "Unchanged", theme={"templates": "theme"},
                                  pairings={"file": "pairs.yaml"})


def snapshot(site: Path) -> dict[str, tuple[int, int, bytes]]:
    return {p.relative_to(site).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(site.rglob("*")) if p.is_file()}


def files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def stopped(report) -> bool:
    return SKIP_NOTE in report.notes


def retitle(folder: Path) -> None:
    path = folder / "collection.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows[3]["title"] += " (retitled)"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def mirror_image(folder: Path) -> None:
    path = folder / "img" / "2.png"
    with Image.open(path) as img:
        ImageOps.flip(img.convert("RGB")).save(path)
    with Image.open(path) as img:  # a flat colour flips to itself: draw on it so the bytes do change
        img = img.convert("RGB")
        img.paste((255, 255, 255), (0, 0, 20, 16))
        img.save(path)


def edit_config(folder: Path) -> None:
    path = folder / "site.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["description"] = "A new description"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")


def edit_template(folder: Path) -> None:
    path = folder / "theme" / "404.html"
    path.write_text(path.read_text(encoding="utf-8").replace("This page is not", "That page is not"), encoding="utf-8")


def edit_curated(folder: Path) -> None:
    path = folder / "pairs.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("A.", "Another commentary."), encoding="utf-8")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("unchanged")
    first = build(load_config(make_collection(folder)))
    assert not stopped(first)
    return folder


def rebuild(folder: Path, **options):
    return build(load_config(folder / "site.yaml"), **options)


def test_an_unchanged_build_stops_early_and_touches_no_file(folder):
    config = load_config(folder / "site.yaml")
    before = snapshot(config.output_dir)
    report = rebuild(folder)
    assert stopped(report)
    assert snapshot(config.output_dir) == before  # same inodes, times and bytes
    assert report.counts["files_written"] == 0 and report.counts["files_unchanged"] == len(before)
    assert report.counts["works_published"] == 14
    stages = {d.stage: d for d in report.decisions}
    assert stages["map"].reused and "stopped early" in stages["map"].reason
    assert "pages" not in report.timings  # nothing after the embedding ran
    assert not stopped(rebuild(folder, full=True))  # --full builds everything again ...
    assert snapshot(config.output_dir) == before  # ... to the very same files (a build is its own fixed point)


@pytest.mark.parametrize("change", [retitle, edit_config, edit_template, edit_curated, mirror_image],
                         ids=["title", "config", "template", "curated-file", "image"])  # the image last: see above
def test_each_kind_of_changed_input_builds_and_publishes_what_rendering_everything_gives(folder, tmp_path, change,
                                                                                         monkeypatch):
    change(folder)
    report = rebuild(folder)
    assert not stopped(report)
    assert report.counts["files_written"] > 0
    published = load_config(folder / "site.yaml").output_dir
    built = files(published)
    with monkeypatch.context() as patch:  # every page rendered again from the very same stage results
        patch.setattr(PageKeys, "unchanged", lambda self, path, key: False)
        patch.setattr(PageKeys, "fingerprinted", lambda self, path, found: "")
        patch.setattr(LastBuild, "unchanged", lambda self, inputs, site: None)
        again = rebuild(folder)
    assert again.counts["pages_kept"] == 0 and again.counts["files_written"] == 0
    assert files(published) == built
    if change is not mirror_image:
        fresh = tmp_path / "fresh"
        shutil.copytree(folder, fresh, ignore=shutil.ignore_patterns("out"))
        assert not stopped(rebuild(fresh))
        assert files(fresh / "out" / "site") == built
    before = snapshot(published)
    assert stopped(rebuild(folder)) and snapshot(published) == before


@pytest.mark.parametrize("damage", ["edit", "remove", "add"])
def test_a_touched_published_site_is_built_and_made_whole_again(folder, damage):
    site = load_config(folder / "site.yaml").output_dir
    good = files(site)
    page = site / "work" / "U05" / "index.html"
    if damage == "edit":
        page.write_bytes(page.read_bytes().replace(b"</html>", b"<!-- edited --></html>"))
    elif damage == "remove":
        page.unlink()
    else:
        (site / "extra.txt").write_text("a file the build did not make", encoding="utf-8")
    assert not stopped(rebuild(folder))
    assert files(site) == good
    assert stopped(rebuild(folder))


def test_a_damaged_cache_file_is_not_skipped_over(folder):
    config = load_config(folder / "site.yaml")
    thumb = sorted((config.cache_dir / "thumbs").rglob("*.jpg"))[0]
    thumb.write_bytes(b"garbage" * 10)
    report = rebuild(folder)
    assert not stopped(report)
    assert any("did not match their checksum" in note for note in report.notes)
    assert thumb.read_bytes() != b"garbage" * 10  # made again


def test_the_digest_follows_code_weights_vectors_and_the_records(tmp_path, monkeypatch):
    """Unit: each part of the inputs changes the digest (the builds above cover the files a site names)."""
    config = SiteConfig()
    model = SimpleNamespace(as_dict=lambda: {"identity": "file-abc"})
    embedded = SimpleNamespace(ids=["a"], vectors=np.zeros((1, 4), np.float32), model=model, device="cpu",
                               parts={}, monochrome={})

    def digest(**changes) -> str:
        parts = {"records": [], "problems": [], "digests": {"a": "d1"}, "tuning": None, **changes}
        return input_digest(config, parts["records"], parts["problems"], parts["digests"],
                            changes.get("embedded", embedded), parts["tuning"])

    same = digest()
    assert digest() == same
    assert digest(digests={"a": "d2"}) != same  # an image's bytes
    assert digest(tuning={"epochs": 2}) != same  # the record of fine-tuned weights
    weights = SimpleNamespace(**{**vars(embedded), "model": SimpleNamespace(as_dict=lambda: {"identity": "file-abd"})})
    assert digest(embedded=weights) != same  # other weights
    vectors = SimpleNamespace(**{**vars(embedded), "vectors": np.ones((1, 4), np.float32)})
    assert digest(embedded=vectors) != same  # a replaced vector in the embedding cache
    (tmp_path / "m.py").write_text("x = 1\n", encoding="utf-8")
    monkeypatch.setattr(unchanged_build, "PACKAGE", tmp_path)
    code = digest()
    (tmp_path / "m.py").write_text("x = 2\n", encoding="utf-8")
    assert digest() != code  # the code


def test_listings_made_in_forked_children_publish_the_same_site_and_stop_early_alike(tmp_path, monkeypatch):
    """A big site's staging listings and the cache's state are made in forked children (atlas.build
    BACKGROUND_LISTINGS_FROM, lowered here to every site): the rebuild publishes what a build that listed in its
    own process publishes, and the state the child recorded is the one the next build finds (it stops early)."""
    import atlas.build as build_module

    folder, fresh = tmp_path / "forked", tmp_path / "inline"
    folder.mkdir()
    make_collection(folder)
    build(load_config(folder / "site.yaml"))
    retitle(folder)
    rebuild(folder)  # parks the first site as the spare
    retitle(folder)
    shutil.copytree(folder, fresh, ignore=shutil.ignore_patterns("out"))
    started = []
    monkeypatch.setattr(build_module, "BACKGROUND_LISTINGS_FROM", 0)
    monkeypatch.setattr(build_module, "early_listing", lambda *a: started.append(a) or early_listing(*a))
    assert (folder / "out" / ".site.spare").is_dir()
    report = rebuild(folder)  # stages into the spare, listed by a child
    assert not stopped(report) and len(started) == 1 and report.counts["files_written"] > 0
    monkeypatch.undo()
    assert not stopped(rebuild(fresh))  # from empty caches, everything listed in the build's process
    assert files(folder / "out" / "site") == files(fresh / "out" / "site")
    before = snapshot(folder / "out" / "site")
    assert stopped(rebuild(folder)) and snapshot(folder / "out" / "site") == before
