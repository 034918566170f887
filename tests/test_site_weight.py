"""The site's weight: the build's size and file count equal the files on disk, host limits warn, and the
optional pre-compressed siblings decompress to the very files they stand beside."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import brotli
import pytest
from PIL import Image

from atlas.build import build
from atlas.core.config import ConfigError, load_config
from atlas.site.weight import host_warnings, measure_site

from .conftest import write_small_collection


def small_site(tmp_path: Path, **publish) -> Path:
    images = tmp_path / "images"
    images.mkdir()
    rows = []
    for n in range(6):
        Image.new("RGB", (40, 30), (40 * n, 90, 200 - 20 * n)).save(images / f"w{n}.png")
        rows.append({"id": f"w{n}", "title": f"Work {n}", "culture": "AB"[n % 2], "medium": "XY"[n // 3],
                     "image": f"images/w{n}.png"})
    return write_small_collection(tmp_path, rows, "Weight", publish=publish)


def disk_total(folder: Path) -> tuple[int, int]:
    sizes = [p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    return sum(sizes), len(sizes)


@pytest.mark.slow
def test_reported_weight_equals_the_files_on_disk_and_limits_warn(tmp_path):
    config = load_config(small_site(tmp_path, max_files=10, precompress=["gz", "br"]))
    report = build(config)
    site_bytes, site_files = disk_total(config.output_dir)
    assert (report.counts["site_bytes"], report.counts["site_files"]) == (site_bytes, site_files)
    weight = measure_site(config.output_dir)
    assert (weight.bytes, weight.files) == (site_bytes, site_files)
    assert sum(weight.folder_bytes.values()) == sum(weight.kind_bytes.values()) == site_bytes
    warned = [p.reason for p in report.warnings if p.stage == "publish"]
    assert len(warned) == 1 and f"{site_files:,} files" in warned[0] and "publish.max_files" in warned[0]
    # every sibling decompresses to its file; the count says how many were written
    siblings = [p for p in sorted(config.output_dir.rglob("*.gz")) + sorted(config.output_dir.rglob("*.br"))
                if p.with_suffix("").exists()]  # data/tables/analogies.csv.gz is a download, gzip only, not a sibling
    assert (config.output_dir / "data" / "tables" / "analogies.csv.gz").is_file()
    assert len(siblings) == report.counts["precompressed_files"] > 0
    for sibling in siblings:
        original = sibling.with_suffix("").read_bytes()
        unpack = gzip.decompress if sibling.suffix == ".gz" else brotli.decompress
        assert unpack(sibling.read_bytes()) == original
    assert (config.output_dir / "index.html.gz").is_file()


def test_measure_site_groups_by_folder_and_kind(tmp_path):
    for relative, size in {"index.html": 10, "work/a/index.html": 20, "thumb/a.jpg": 300, "data/w.json": 4}.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_bytes(b"x" * size)
    os.symlink(tmp_path / "thumb/a.jpg", tmp_path / "link.jpg")  # a link is not a file the host stores twice
    weight = measure_site(tmp_path)
    assert (weight.bytes, weight.files) == (334, 4)
    assert weight.as_dict()["folders"] == {".": {"bytes": 10, "files": 1}, "data": {"bytes": 4, "files": 1},
                                           "thumb": {"bytes": 300, "files": 1}, "work": {"bytes": 20, "files": 1}}
    assert weight.kind_bytes[".html"] == 30 and weight.kind_files[".html"] == 2


def test_host_warnings_only_past_a_limit():
    assert host_warnings(999, 10, 1000, 10) == []
    assert host_warnings(1001, 11, 0, 0) == []  # 0 = no limit
    assert len(host_warnings(1001, 11, 1000, 10)) == 2


def test_precompress_takes_only_gz_and_br(tmp_path):
    path = small_site(tmp_path, precompress=["zstd"])
    with pytest.raises(ConfigError, match="publish.precompress takes gz and br"):
        load_config(path)
