from pathlib import Path

import pytest

from atlas.site import urls

HOSTILE_IDS = ["S0001", "a/b", "../../etc/passwd", "..", "with space", "日本-1", "<script>x</script>", "~tilde", "a.b", "A", "a"]


@pytest.mark.parametrize("key", HOSTILE_IDS)
def test_slug_is_one_safe_segment_and_reversible(key):
    encoded = urls.slug(key)
    assert "/" not in encoded and "." not in encoded and " " not in encoded and "<" not in encoded
    assert urls.unslug(encoded) == key


def test_slugs_never_collide_and_keep_case():
    assert len({urls.slug(k) for k in HOSTILE_IDS}) == len(HOSTILE_IDS)


def test_page_paths_and_files():
    assert urls.page_path("work", "S0001") == "work/S0001/"
    assert urls.page_file("work", "S0001") == "work/S0001/index.html"
    assert urls.page_file("home") == "index.html"
    assert urls.page_file("404") == "404.html"
    assert urls.join_url("/atlas/", "work/S0001/") == "/atlas/work/S0001/"


def test_hostile_id_stays_inside_output(tmp_path: Path):
    for key in HOSTILE_IDS:
        target = urls.safe_join(tmp_path, urls.page_file("work", key))
        assert target.is_relative_to(tmp_path.resolve())


def test_safe_join_refuses_escapes(tmp_path: Path):
    for bad in ["../x", "/etc/passwd", "a/../../x"]:
        with pytest.raises(ValueError):
            urls.safe_join(tmp_path, bad)


def test_empty_id_has_no_url():
    with pytest.raises(ValueError):
        urls.slug("")
