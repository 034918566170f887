"""The synthetic collection builds with the ordinary reader, and its injected vectors and thumbnails are
the ones the build uses (nothing is embedded or resized again)."""

from __future__ import annotations

import json

import pytest

from benchmarks.synthetic import MODEL, generate


@pytest.mark.slow  # ~8 s here: a whole build
def test_synthetic_collection_builds_from_injected_cache(tmp_path):
    from atlas.build import build
    from atlas.core.config import load_config

    model = dict(MODEL, model="resnet18", image_size=32)
    config = load_config(generate(tmp_path, 120, inject=True, model=model, thumbs=True))
    thumbs_before = sorted(p.name for p in (tmp_path / "build" / "cache" / "thumbs").rglob("*.jpg"))
    report = build(config)
    assert report.counts["records_read"] == 120
    assert report.counts["works_published"] == 120
    assert report.counts["images_embedded_now"] == 0 and report.counts["embeddings_reused"] == 120
    assert sorted(p.name for p in (tmp_path / "build" / "cache" / "thumbs").rglob("*.jpg")) == thumbs_before
    assert report.counts["cultures"] >= 10 and report.counts["media"] >= 5  # skewed groups, small ones included
    works = json.loads((config.output_dir / "data" / "works.json").read_text(encoding="utf-8"))
    sizes = sorted((sum(w["culture"] == c for w in works) for c in {w["culture"] for w in works}), reverse=True)
    assert sizes[0] > 4 * sizes[-1], "culture sizes are skewed: a few big groups, many small"
