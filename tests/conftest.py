"""Shared fixtures: one real build of the sample collection, reused by the end-to-end tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"

# The embedder the tests use: an untrained ResNet-18 at 128 px (no weights can be downloaded here, and it
# is fast on two CPU cores). The same-subject test below is scored for this embedder.
TEST_EMBEDDING = {"model": "resnet18", "weights": "none", "image_size": 128, "batch_size": 64}


def sample_config(tmp: Path, **overrides) -> Path:
    """A site.yaml in `tmp` that builds the sample with the repository's label rules."""
    base = yaml.safe_load((ROOT / "site.yaml").read_text(encoding="utf-8"))
    base.update(
        output=str(tmp / "site"),
        cache=str(tmp / "cache"),
        base_url="/atlas/",
        collection={"format": "sample", "path": str(tmp / "sample")},
        embedding=TEST_EMBEDDING,
    )
    if base.get("pairings", {}).get("file"):  # the repository's pairings.yaml, not one beside this site.yaml
        base["pairings"] = dict(base["pairings"], file=str(ROOT / base["pairings"]["file"]))
    # Pre-render 120 of the sample's ~4,600 top-1 pairs (the rest open in the pair viewer): all of them
    # add ~250 MB of card images and minutes to every build here. tests/test_pairings.py checks "all".
    base["pairings"] = dict(base.get("pairings", {}), budget=120)
    base.update(overrides)
    path = tmp / "site.yaml"
    path.write_text(yaml.safe_dump(base, sort_keys=False), encoding="utf-8")
    return path


def write_small_collection(folder: Path, rows: list[dict], title: str, **sections) -> Path:
    """collection.csv of `rows` and a site.yaml that builds it in seconds (untrained ResNet-18 at 64 px, groups
    of one, PCA map, studies off unless a section turns them on). Returns the site.yaml path."""
    import csv

    with open(folder / "collection.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    config = {
        "title": title,
        "output": "out/site",
        "cache": "out/cache",
        "collection": {"format": "csv", "path": "collection.csv"},
        "labels": {"culture": {"min_group_size": 1}, "medium": {"min_group_size": 1}},
        "embedding": {"model": "resnet18", "weights": "none", "image_size": 64},
        "map": {"layout": "pca", "min_cluster_size": 3},
        "thumbnails": {"sizes": [64, 128]},
        "probes": {"enabled": False},
        "heatmaps": {"enabled": False},
        "patterns": {"enabled": False},
    }
    for name, values in sections.items():
        config[name] = {**config.get(name, {}), **values}
    (folder / "site.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return folder / "site.yaml"


@pytest.hookimpl(tryfirst=True)  # before pytest's own hook deselects by -m
def pytest_collection_modifyitems(items):
    """Every test that needs `sample_build` (directly or through another fixture) is `slow`: the first one of a
    run pays for the whole build (~14 s here), so a fast run (-m "not slow ...") must leave them all out."""
    for item in items:
        if "sample_build" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory):
    """(config, report) of a full build of the sample into a temporary folder."""
    from atlas.build import build
    from atlas.core.config import load_config

    tmp = tmp_path_factory.mktemp("sample-build")
    config = load_config(sample_config(tmp))
    report = build(config)
    return config, report


@pytest.fixture(scope="module")
def browser():
    """One headless Debian chromium per test module, driven by Playwright (browser tests only)."""
    from playwright import sync_api

    from .browser_support import find_chromium

    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=find_chromium(), args=["--no-sandbox"])
        yield chromium
        chromium.close()
