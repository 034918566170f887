"""The analogies table made in a forked child while the pages render (atlas.site.background): the same bytes as
made in the build's process, the child really is another process, and a failing child is made up for."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from atlas.build import build
from atlas.core.config import load_config
from atlas.site import downloads
from atlas.site.background import Background

from .test_cache_integrity import make_collection


def test_the_job_runs_in_another_process_and_its_bytes_come_back():
    here = os.getpid()
    job = Background(lambda: f"{os.getpid()}".encode() * 1000, "a test job")
    data = job.result()
    assert data != f"{here}".encode() * 1000  # made in the child, whose process id is another
    assert int(data[: len(data) // 1000]) != here


def test_a_failing_child_is_made_up_for_in_the_parent(caplog):
    here = os.getpid()

    def make() -> bytes:
        if os.getpid() != here:
            raise RuntimeError("the child's disk is gone")
        return b"made by the parent"

    with caplog.at_level(logging.WARNING, logger="atlas.site.background"):
        assert Background(make, "the test table").result() == b"made by the parent"
    assert "the test table: the background process failed (the child's disk is gone)" in caplog.text


def test_a_build_with_the_table_made_in_a_child_publishes_the_same_bytes(tmp_path: Path, monkeypatch):
    path = make_collection(tmp_path)
    config = load_config(path)
    build(config)  # the table made in the build's process (12 works: below BACKGROUND_FROM)
    table = config.output_dir / "data/tables/analogies.csv.gz"
    inline = table.read_bytes()
    started = []
    original = downloads.start_analogies

    def start(ctx, least=None):
        started.append(original(ctx, least=0))
        return started[-1]

    monkeypatch.setattr("atlas.build.start_analogies", start)
    build(load_config(path, {"output": str(tmp_path / "second")}))
    assert started == [True]  # a new output: the table is made, so the child was started
    assert (tmp_path / "second/data/tables/analogies.csv.gz").read_bytes() == inline
    csv = tmp_path / "collection.csv"  # a title changed: the pages are made again, the analogies are the same
    csv.write_text(csv.read_text(encoding="utf-8").replace("Work 3,", "Work 3 (retitled),"), encoding="utf-8")
    build(load_config(path, {"output": str(tmp_path / "second")}))
    assert started == [True, False]  # the table is kept, so no child was started
    assert (tmp_path / "second/data/tables/analogies.csv.gz").read_bytes() == inline
