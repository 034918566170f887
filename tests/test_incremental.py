"""Incremental, resumable, atomic builds of the sample, into the same output folder again and again.

The first build here reuses the session build's cached vectors (copied, so that build stays untouched),
then each test changes something and rebuilds into the same output, checking what was reused, what was
recomputed and which output files were rewritten (by inode and nanosecond mtime, not just by bytes).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image, ImageOps

import atlas.build as build_module
from atlas.build import build, stage_folder
from atlas.core.config import load_config
from atlas.site import urls
from atlas.site.search_index import SEARCH_DIR, shard_of, tokens

from .conftest import ROOT, sample_config


def snapshot(site: Path) -> dict[str, tuple[int, int, bytes]]:
    """{relative path: (inode, mtime_ns, bytes)} of every published file."""
    out = {}
    for path in sorted(site.rglob("*")):
        if path.is_file():
            st = path.stat()
            out[path.relative_to(site).as_posix()] = (st.st_ino, st.st_mtime_ns, path.read_bytes())
    return out


def decisions(config) -> dict[str, dict]:
    return json.loads((config.output_dir.parent / "report.json").read_text(encoding="utf-8"))["stages"]


@pytest.fixture(scope="module")
def workspace(sample_build, tmp_path_factory):
    """A fresh folder with the sample, a copy of the session build's embedding cache, and a first build."""
    built, _ = sample_build
    tmp = tmp_path_factory.mktemp("incremental")
    shutil.copytree(built.cache_dir / "embeddings", tmp / "cache" / "embeddings")
    config = load_config(sample_config(tmp))
    first = build(config)
    assert first.counts["images_embedded_now"] == 0
    return config


def rebuild(workspace):
    config = load_config(sample_config(workspace.root))
    return build(config)


def sample_csv(config) -> Path:
    return config.resolve(config.collection.path) / "collection.csv"


def edit_row(config, work_id: str, **changes) -> dict:
    path = sample_csv(config)
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    row = next(r for r in rows if r["id"] == work_id)
    row.update(changes)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return row


def _row(config, work_id: str) -> dict:
    with open(sample_csv(config), encoding="utf-8", newline="") as fh:
        return next(r for r in csv.DictReader(fh) if r["id"] == work_id)


def test_no_change_rebuild_embeds_nothing_and_rewrites_no_file(workspace):
    before = snapshot(workspace.output_dir)
    report = rebuild(workspace)
    assert report.counts["images_embedded_now"] == 0
    assert report.counts["files_written"] == 0 and report.counts["files_removed"] == 0
    assert report.counts["files_unchanged"] == len(before)
    assert snapshot(workspace.output_dir) == before  # same inodes and mtimes: not one file rewritten
    stages = decisions(workspace)
    for stage in ("images", "embed", "thumbnails", "neighbours", "culture", "map", "pages"):
        assert stages[stage]["reused"], (stage, stages[stage])
    assert "none of its inputs changed" in stages["map"]["reason"]


def test_a_metadata_change_rewrites_only_the_files_that_show_it(workspace):
    new_title = "Retitled boat, checked by the incremental test"
    old_title = _row(workspace, "S0001")["title"]
    edit_row(workspace, "S0001", title=new_title)
    before = snapshot(workspace.output_dir)
    report = rebuild(workspace)
    after = snapshot(workspace.output_dir)
    stages = decisions(workspace)
    assert report.counts["images_embedded_now"] == 0
    for stage in ("embed", "neighbours", "culture", "map"):
        assert stages[stage]["reused"], (stage, stages[stage])
    changed = sorted(name for name in after if after[name][:2] != before.get(name, (None, None))[:2])
    assert urls.page_file("work", "S0001") in changed
    assert len(changed) == report.counts["files_written"] < len(after) / 4
    # the search shards of the old and new title's words change; every other rewritten file shows the title
    shards = {SEARCH_DIR + shard_of(t) + ".json" for t in tokens(old_title) + tokens(new_title)}
    for name in changed:
        assert name in shards or new_title.encode() in after[name][2], name
    for name in set(after) - set(changed):
        assert after[name][2] == before[name][2]


def test_one_changed_image_is_the_only_one_embedded_again(workspace):
    image = workspace.resolve(workspace.collection.path) / "images" / "S0002.jpg"
    with Image.open(image) as img:
        ImageOps.mirror(img.convert("RGB")).save(image, quality=90)
    report = rebuild(workspace)
    assert report.counts["images_embedded_now"] == 1
    assert report.counts["embeddings_reused"] == report.counts["works_published"] - 1
    stages = decisions(workspace)
    assert stages["embed"]["reason"].startswith("1 images embedded")
    assert stages["images"]["reason"].startswith("1 files hashed")
    assert stages["thumbnails"]["reason"].startswith("1 images needed")
    # the collection's vectors changed, so the stages that read them say so
    assert not stages["neighbours"]["reused"] and "vectors" in stages["neighbours"]["reason"]
    assert 0 < report.counts["files_written"] and report.counts["files_unchanged"] > 0
    assert "embed" in report.timings and "reused:" in report.summary()


def test_a_corrupt_stage_cache_is_reported_and_recomputed(workspace):
    # earlier tests changed a work, so the map may be adapted to it (atlas.core.near_reuse); a corrupt stage
    # file is computed whole, so compare with a whole computation
    build(load_config(sample_config(workspace.root)), full=True)
    before = snapshot(workspace.output_dir)
    stage_file = stage_folder(workspace) / "map.json"
    stage_file.write_bytes(stage_file.read_bytes()[:100])  # truncated mid-way
    report = rebuild(workspace)
    stages = decisions(workspace)
    assert not stages["map"]["reused"] and "corrupt" in stages["map"]["reason"]
    assert any("map.json" in note and "corrupt" in note for note in report.notes)
    assert snapshot(workspace.output_dir) == before  # recomputed to the very same result
    assert decisions(workspace)["map"] and rebuild(workspace).counts["files_written"] == 0


def test_a_failed_build_leaves_the_published_site_untouched(workspace, monkeypatch):
    before = snapshot(workspace.output_dir)

    def broken_chord(ctx):
        raise RuntimeError("template exploded half-way through the pages")

    monkeypatch.setattr(build_module, "PAGE_GROUPS", (*build_module.PAGE_GROUPS[:6], broken_chord))
    monkeypatch.setattr(build_module.LastBuild, "unchanged", lambda *args: None)  # so that it gets to the pages
    with pytest.raises(RuntimeError, match="exploded"):
        rebuild(workspace)
    assert snapshot(workspace.output_dir) == before
    monkeypatch.undo()
    report = rebuild(workspace)  # the half-written staging folder is cleared, nothing else changes
    assert report.counts["files_written"] == 0
    assert snapshot(workspace.output_dir) == before


def test_sigkill_during_embedding_resumes_to_the_same_site(sample_build, tmp_path):
    """Kill -9 a real build once some batches are cached; the rebuild continues and matches a clean build."""
    built, _ = sample_build
    config_path = sample_config(tmp_path)
    store = tmp_path / "cache" / "embeddings"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "atlas", "build", "--config", str(config_path)],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while _cached(store) == 0 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    saved = _cached(store)
    assert proc.returncode == -signal.SIGKILL, "the build finished before it could be killed"
    assert 0 < saved < 480, saved
    assert not (tmp_path / "site").exists()  # nothing half-built was published

    config = load_config(config_path)
    report = build(config)
    assert report.counts["images_embedded_now"] == 480 - saved  # only what was not yet on disk
    assert _tree(config.output_dir) == _tree(built.output_dir)  # same as the uninterrupted build


def _cached(store: Path) -> int:
    return sum(1 for p in store.rglob("*.npy")) if store.exists() else 0


def _tree(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}
