"""SiteWriter resolves each folder once, from its parent's (atlas.site.writer.SiteWriter._folder): a folder that
is a link out of the site is still refused, however deep, in the staging tree and in the published one."""

from __future__ import annotations

import os

import pytest

from atlas.site.writer import SiteWriter


def test_nested_files_are_written_and_kept_under_their_folders(tmp_path):
    published = tmp_path / "site"
    (published / "work" / "A").mkdir(parents=True)
    (published / "work" / "A" / "index.html").write_bytes(b"<p>a</p>")
    writer = SiteWriter(tmp_path / "staging", published=published)
    (tmp_path / "staging").mkdir()
    writer.keep("work/A/index.html")
    writer.write_bytes("work/B/index.html", b"<p>b</p>")
    assert (tmp_path / "staging" / "work" / "A" / "index.html").stat().st_ino == \
        (published / "work" / "A" / "index.html").stat().st_ino  # linked, not rewritten
    assert (tmp_path / "staging" / "work" / "B" / "index.html").read_bytes() == b"<p>b</p>"


@pytest.mark.parametrize("depth", ["work", "work/A"])
def test_a_linked_folder_leading_out_is_refused(tmp_path, depth):
    outside = tmp_path / "outside"
    (outside / "A").mkdir(parents=True)
    (outside / "A" / "index.html").write_bytes(b"secret")
    (outside / "index.html").write_bytes(b"secret")
    published = tmp_path / "site"
    (published / depth).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(outside / ("A" if depth == "work/A" else ""), published / depth)
    staging = tmp_path / "staging"
    staging.mkdir()
    writer = SiteWriter(staging, published=published)
    writer.write_bytes("other/C/index.html", b"fine")  # beside the link: written
    with pytest.raises(ValueError, match="outside the output folder"):
        writer.keep("work/A/index.html")
    assert (outside / "A" / "index.html").read_bytes() == b"secret"


def test_a_linked_folder_in_staging_is_removed_not_written_through(tmp_path):
    """A staging folder may be a reused spare (atlas.site.writer): a link found in it is removed when the writer
    lists it, so the file is written inside the staging folder and nothing outside is touched."""
    staging, outside = tmp_path / "staging", tmp_path / "outside"
    staging.mkdir()
    (outside / "x").mkdir(parents=True)
    (staging / "data").mkdir()
    os.symlink(outside, staging / "data" / "tables")
    writer = SiteWriter(staging)
    assert not (staging / "data" / "tables").is_symlink()
    writer.write_bytes("data/tables/x/file.csv", b"here")
    assert (staging / "data" / "tables" / "x" / "file.csv").read_bytes() == b"here"
    assert not (staging / "data" / "tables").is_symlink() and not (outside / "x" / "file.csv").exists()
