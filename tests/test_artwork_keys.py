"""Artwork page fingerprints (atlas.site.artwork_keys): the analogies' views are checked against each work's shown
digest stored in the page keys' manifest, not digested again on every page.

A page whose row holds a work whose stored shown digest differs from this build's must not be kept by its
fingerprint (its key is made and compared instead), and every other page must be; `--full` stores fingerprints and
shown digests too, so the rebuild after it keeps pages by fingerprint again.
"""

from __future__ import annotations

import json

import pytest

from atlas.build import build, stage_folder
from atlas.core.checked import read_checked, write_checked
from atlas.core.config import load_config
from atlas.site.page_keys import KIND, MANIFEST, PageKeys
from atlas.site.unchanged_build import RECORD

from .test_page_keys import make_collection, retitle, shows

pytestmark = pytest.mark.slow  # a few small builds


def keyed_build(config, **options) -> tuple[dict, PageKeys]:
    """Build, and return the report's counts and the build's PageKeys (to count the pages kept unbuilt)."""
    keys = []
    real_save = PageKeys.save
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PageKeys, "save", lambda self: keys.append(self) or real_save(self))
        report = build(config, **options)
    return report.counts, keys[0]


def test_a_changed_shown_digest_unkeeps_by_fingerprint_exactly_the_pages_showing_that_work(tmp_path):
    folder = tmp_path / "c"
    config = load_config(make_collection(folder))
    build(config)
    manifest = stage_folder(config) / MANIFEST
    stored = json.loads(read_checked(manifest, KIND))
    assert sorted(stored["works"]) == [f"K{i:03d}" for i in range(30)]
    stored["works"]["K007"] = "0" * 64  # as if the last build had shown K007 otherwise
    write_checked(manifest, json.dumps(stored).encode("utf-8"))
    (stage_folder(config) / RECORD).unlink()  # the manifest is not in the cache's state the early stop checks

    showing = shows(config.output_dir, "K007")
    assert 1 < len(showing) < 30
    counts, keys = keyed_build(load_config(folder / "site.yaml"))
    assert keys.fingerprints_kept == 30 - len(showing)  # those pages had their keys made and compared ...
    assert counts["pages_kept"] == 30 and counts["files_written"] == 0  # ... which had not changed


def test_after_full_a_title_change_keeps_the_other_pages_by_their_fingerprint(tmp_path):
    folder = tmp_path / "c"
    config = load_config(make_collection(folder))
    build(config)
    build(load_config(folder / "site.yaml"), full=True)
    expected = shows(config.output_dir, "K011") | {"K011"}
    retitle(folder, "K011", "Another title")
    counts, keys = keyed_build(load_config(folder / "site.yaml"))
    assert counts["pages_rendered_keyed"] == len(expected)
    assert keys.fingerprints_kept == 30 - len(expected)
