"""Parallel rendering writes exactly the site a serial render writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from atlas.core.workers import AUTO_MIN_WORKS, worker_count


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_worker_count_is_serial_for_small_sites_unless_asked():
    assert worker_count(0, AUTO_MIN_WORKS - 1) == 1
    assert worker_count(0, AUTO_MIN_WORKS) >= 1
    assert worker_count(3, 10) == 3


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="parallel rendering needs fork")
def test_parallel_render_is_byte_identical_to_serial(sample_build, tmp_path):
    """Rebuild the session's sample (embeddings and thumbnails cached) with 2 render processes."""
    import dataclasses

    from atlas.build import build

    config, _ = sample_build
    assert config.render.workers == 0  # the 480-work sample renders serially by default
    parallel = dataclasses.replace(
        config, output=str(tmp_path / "site"), render=dataclasses.replace(config.render, workers=2)
    )
    report = build(parallel)
    serial_files, parallel_files = tree(config.output_dir), tree(parallel.output_dir)
    assert report.counts["pages"] > 480
    assert serial_files.keys() == parallel_files.keys()
    different = [name for name in serial_files if serial_files[name] != parallel_files[name]]
    assert different == []
