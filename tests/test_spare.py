"""The spare (atlas.site.writer): a publish parks the site it replaced beside the output, and the next build
stages into it, writing only what changed. What it finds there is never trusted: the staged tree must be
exactly this build's files, the published site must not change before the swap, and a file the published
site shares with the spare (a hard link) must never be written through."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from atlas.site import writer
from atlas.site.writer import publish, spare_path, start_staging

from .test_publish import tree

LEDGER = '{"format": 1, "pages": [], "works": {}}\n'


def version(marker: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A small site: some files every version shares, some that say which version they are."""
    return {"_atlas/ledger.json": LEDGER, "data/works.json": '[{"id": "w0"}]', "assets/site.css": "body{}",
            "index.html": f"<h1>{marker}</h1>", f"{marker}.txt": marker, **(extra or {})}


def put(output: Path, files: dict[str, str]) -> writer.SiteWriter:
    site = start_staging(output)
    for relative, text in sorted(files.items()):
        site.write_text(relative, text)
    publish(output, site)
    return site


def inodes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_ino for p in folder.rglob("*") if p.is_file()}


def test_a_rebuild_stages_in_the_spare_and_publishes_exactly_its_own_files(tmp_path):
    output = tmp_path / "site"
    put(output, version("one", {"work/gone/index.html": "soon gone"}))
    assert not spare_path(output).exists()  # nothing was replaced yet
    put(output, version("two", {"work/gone/index.html": "soon gone", "work/w0/index.html": "two"}))
    assert tree(spare_path(output)) == tree_of(version("one", {"work/gone/index.html": "soon gone"}))
    published_two = {p: (p_ino, (output / p).read_bytes()) for p, p_ino in inodes(output).items()}
    assert inodes(spare_path(output))["assets/site.css"] == published_two["assets/site.css"][0]  # one file, two names

    site = start_staging(output)
    assert not spare_path(output).exists() and site.stale  # the spare became this build's staging folder
    three = version("three", {"work/w0/index.html": "three", "work/new/index.html": "new"})
    three["assets/site.css"] = "body{color:red}"  # shared by the spare and the published site until now
    for relative, text in sorted(three.items()):
        site.write_text(relative, text)
    assert {p: (ino, (output / p).read_bytes()) for p, ino in inodes(output).items()} == published_two  # untouched
    publish(output, site)

    assert tree(output) == tree_of(three)  # "one.txt", "two.txt" and work/gone/ are not carried along
    assert not (output / "work" / "gone").exists()
    now = inodes(output)
    for shared in ("_atlas/ledger.json", "data/works.json"):  # the very file published before
        assert now[shared] == published_two[shared][0]
    spare = spare_path(output)  # the site it replaced, byte for byte: nothing shared was written through
    assert {p: (spare / p).read_bytes() for p in inodes(spare)} == {p: data for p, (_, data) in published_two.items()}
    assert site.counts.removed == 2 and site.counts.unchanged == 2  # two.txt and work/gone/ went


def tree_of(files: dict[str, str]) -> dict[str, str]:
    return {k: hashlib.sha256(v.encode("utf-8")).hexdigest() for k, v in files.items()}


def test_whatever_the_spare_holds_the_staged_site_is_exactly_the_builds(tmp_path):
    """Links, a file where a folder goes, a folder where a file goes, stray files: all cleared, nothing outside
    the staging folder written."""
    output, outside = tmp_path / "site", tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("the user's")
    put(output, version("one"))
    put(output, version("two"))
    spare = spare_path(output)
    (spare / "work").mkdir(exist_ok=True)
    os.symlink(outside, spare / "work" / "w0")  # a link where the build writes a folder
    (spare / "data" / "stray.json").write_text("stray")
    (spare / "pages").write_text("a file where a folder goes")
    (spare / "about.html").mkdir()  # a folder where a file goes
    (spare / "about.html" / "x").write_text("x")
    os.symlink(outside / "keep.txt", spare / "assets" / "site.css.link")

    three = version("three", {"work/w0/index.html": "w0", "pages/a.html": "a", "about.html": "about"})
    put(output, three)
    assert tree(output) == tree_of(three)
    assert sorted(p.name for p in outside.iterdir()) == ["keep.txt"] and (outside / "keep.txt").read_text() == "the user's"


def test_without_a_spare_each_build_stages_into_a_new_folder(tmp_path):
    """publish.spare: false, and the releases layout: the replaced site is removed, a spare left is removed."""
    output = tmp_path / "site"
    put(output, version("one"))
    put(output, version("two"))
    assert spare_path(output).is_dir()
    site = start_staging(output, reuse=False)
    assert not spare_path(output).exists() and not site.stale
    for relative, text in version("three").items():
        site.write_text(relative, text)
    publish(output, site, keep_spare=False)
    assert tree(output) == tree_of(version("three")) and not spare_path(output).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_nothing_is_written_after_finish(tmp_path):
    output = tmp_path / "site"
    put(output, version("one"))
    site = start_staging(output)
    site.write_text("index.html", "x")
    site.finish()
    with pytest.raises(ValueError, match="finished"):
        site.write_text("late.html", "late")


def test_a_listing_made_ahead_in_a_child_is_the_one_the_writer_makes_itself(tmp_path, monkeypatch):
    """atlas.site.writer.early_listing: the spare (cleaned of links by the child) and the published files, listed
    in a forked child while the build goes on, are what start_staging would list, and the build publishes alike."""
    output, outside = tmp_path / "site", tmp_path / "outside"
    outside.mkdir()
    put(output, version("one", {"work/a/index.html": "a"}))
    put(output, version("two", {"work/b/index.html": "b"}))
    os.symlink(outside, spare_path(output) / "work" / "link")  # removed by the listing, never followed
    early = writer.early_listing(output)
    early.pending.wait()  # listed in the child: the writer lists nothing itself
    with monkeypatch.context() as patch:
        patch.setattr(writer, "list_tree", lambda *a, **k: pytest.fail("listed again in the build's process"))
        site = start_staging(output, early=early)
    assert (site.stale, site._spare_folders) == writer.list_tree(site.root)  # the listing the writer uses
    assert site._published_files == writer.list_tree(output)[0]
    assert not (site.root / "work" / "link").exists() and outside.is_dir()
    three = version("three", {"work/b/index.html": "b", "work/c/index.html": "c"})
    for relative, text in sorted(three.items()):
        site.write_text(relative, text)
    publish(output, site)
    assert tree(output) == tree_of(three)


def test_a_spare_replaced_after_it_was_listed_ahead_is_listed_again(tmp_path):
    output = tmp_path / "site"
    put(output, version("one"))
    put(output, version("two"))
    early = writer.early_listing(output)
    early.pending.wait()  # the child has listed the spare
    spare = spare_path(output)
    os.rename(spare, tmp_path / "old-spare")
    shutil.copytree(tmp_path / "old-spare", spare)  # another folder (another inode) in its place
    (spare / "stray.txt").write_text("not in the early listing")
    site = start_staging(output, early=early)
    assert "stray.txt" in site.stale  # listed again, so the stray file is known and removed before the swap
    for relative, text in sorted(version("three").items()):
        site.write_text(relative, text)
    publish(output, site)
    assert tree(output) == tree_of(version("three"))
