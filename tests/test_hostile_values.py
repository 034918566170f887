"""Values that become paths, images outside the collection, YAML bombs, Unicode and control characters.

One small collection holding every kind of hostile value is built for real (once through the command
line, whose printed summary is checked, then once more in-process, to check that the URLs stay), and
the rules behind it are tested on their own below.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from atlas.build import build
from atlas.core.config import ConfigError, load_config
from atlas.core.records import Record
from atlas.ingest.dates import parse_date
from atlas.ingest.labels import normalise_labels
from atlas.site import urls
from atlas.site.ledger import Ledger, load_renames
from atlas.site.pairings import read_pairings_file
from atlas.site.search_index import shard_of, tokens

from .conftest import write_small_collection

ROOT = Path(__file__).resolve().parents[1]
LONG_ID = "L" + "o" * 298 + "ng"  # 300 characters
LONG_CULTURE = "Ancient " + "ü" * 292  # 300 characters, 592 bytes of UTF-8
CJK_TITLE = "Scroll 𠀋山水 of mountains"  # U+2000B: beyond the BMP, two UTF-16 units in JavaScript
EMOJI_TITLE = "Horse 🐎 at rest"
ESCAPING = {"esc-parent": "../outside.png", "esc-absolute": None, "esc\x1b[31mred": "images/link.png"}
CONTROL = "Title\x1b[2J with \x07 bell\r and\x9b csi"
DEVICES = ["CON", "nul.txt", "aux", "com1", "LPT9.png"]


def _rows(tmp: Path) -> list[dict]:
    """The collection's rows; writes the images they name (and those outside the collection)."""
    images = tmp / "collection" / "images"
    images.mkdir(parents=True)
    outside = tmp / "outside.png"
    Image.new("RGB", (24, 20), (255, 0, 0)).save(outside)
    (tmp / "elsewhere").mkdir()
    Image.new("RGB", (24, 20), (0, 255, 0)).save(tmp / "elsewhere" / "abs.png")
    os.symlink(outside, images / "link.png")
    ids = ["S0001", "S0002", LONG_ID, "Ab1", "aB1", *DEVICES, "ends.with.dot.", "ctl\x1bid",
           "cjk", "emoji"]
    rows = []
    for n, work_id in enumerate(ids):
        Image.new("RGB", (24 + n, 20), (10 * n % 255, 90, 160)).save(images / f"img{n}.png")
        rows.append({"id": work_id, "title": f"Work {n}", "artist": "Anon", "date": "-3000" if n % 2 else "300 B.C.",
                     "culture": ["Chinese", LONG_CULTURE, "Aux"][n % 3], "medium": ["Print", "Con"][n % 2],
                     "image": f"images/img{n}.png"})
    by_id = {r["id"]: r for r in rows}
    by_id["cjk"]["title"] = CJK_TITLE
    by_id["emoji"]["title"] = EMOJI_TITLE
    by_id["ctl\x1bid"].update(title=CONTROL, artist="Anon\x1b]0;pwned\x07", culture="Chinese\u200b")
    for work_id, image in ESCAPING.items():
        rows.append({"id": work_id, "title": "Escaping", "artist": "", "date": "", "culture": "Chinese",
                     "medium": "Print", "image": image or str(tmp / "elsewhere" / "abs.png")})
    return rows


def make_collection(tmp: Path) -> Path:
    rows = _rows(tmp)
    folder = tmp / "collection"
    write_small_collection(folder, rows, "Hostile values")
    return folder / "site.yaml"


def published_urls(site: Path) -> dict[str, str]:
    """id -> page URL of every published work, as data/works.json lists them."""
    return {w["id"]: w["url"] for w in json.loads((site / "data" / "works.json").read_text(encoding="utf-8"))}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The collection built twice: by `python -m atlas build` (its output kept), then in-process."""
    tmp = tmp_path_factory.mktemp("hostile")
    site_yaml = make_collection(tmp)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = subprocess.run([sys.executable, "-m", "atlas", "build", "--config", str(site_yaml)], check=False, cwd=site_yaml.parent,
                         env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    config = load_config(site_yaml)
    first = published_urls(config.output_dir)
    first_files = sorted(p.relative_to(config.output_dir).as_posix() for p in config.output_dir.rglob("*"))
    report = build(config)
    return {"tmp": tmp, "config": config, "site": config.output_dir, "stdout": run.stdout, "report": report,
            "first_urls": first, "first_files": first_files}


def test_build_succeeds_and_publishes_every_work_once(built):
    report, site = built["report"], built["site"]
    pages = published_urls(site)
    expected = {"S0001", "S0002", LONG_ID, "Ab1", "aB1", *DEVICES, "ends.with.dot.", "ctl\x1bid", "cjk", "emoji"}
    assert set(pages) == expected
    assert report.counts["works_published"] == len(expected)
    for url in pages.values():
        assert (site / url.lstrip("/") / "index.html").is_file()
    assert len({u.lower() for u in pages.values()}) == len(pages)  # Ab1 and aB1 have two pages on any host
    assert pages["S0001"] == "/work/S0001/" and pages["Ab1"] == "/work/Ab1/"  # ordinary ids keep their URL
    cultures = {c.name for c in (site / "culture").iterdir() if c.is_dir()}
    assert "Chinese" in cultures and "~41ux" in cultures  # 'Chinese\u200b' folded into Chinese; Aux not a device


def test_every_output_path_is_portable(built):
    site = built["site"]
    paths = [p.relative_to(site).as_posix() for p in site.rglob("*")]
    for path in paths:
        for part in path.split("/"):
            assert len(part.encode("utf-8")) <= 120, path
            assert part.split(".", 1)[0].upper() not in urls.DEVICE_NAMES, path
            assert not part.endswith((".", " ")), path
    assert len({p.lower() for p in paths}) == len(paths), "two output paths differ only in case"


def test_images_outside_the_collection_are_problems_never_published(built):
    report, site = built["report"], built["site"]
    outside = {p.record: p.reason for p in report.skipped if "outside the image folder" in p.reason}
    assert set(outside) == set(ESCAPING)
    assert "allow_outside_paths" in outside["esc-parent"]
    assert not set(ESCAPING) & set(published_urls(site))
    thumbs = list((site / "thumbs" / "64").iterdir())
    assert len(thumbs) == len(published_urls(site))  # the red and green images outside were never thumbnailed
    for thumb in thumbs:
        with Image.open(thumb) as im:
            assert im.convert("RGB").getpixel((5, 5)) not in ((255, 0, 0), (254, 0, 0), (0, 255, 0))


def test_printed_summary_has_no_raw_control_characters(built):
    out = built["stdout"]
    assert "esc\\x1b[31mred" in out  # the escaping record is named, escaped
    bad = [hex(ord(ch)) for ch in out if (ord(ch) < 32 and ch != "\n") or 0x7F <= ord(ch) < 0xA0]
    assert not bad


def test_second_build_keeps_every_url_and_the_ledger_records_the_exceptions(built):
    site = built["site"]
    assert published_urls(site) == built["first_urls"]
    files = sorted(p.relative_to(site).as_posix() for p in site.rglob("*"))
    assert files == built["first_files"]
    ledger = json.loads((site / urls.ledger_path()).read_text(encoding="utf-8"))
    names = ledger["names"]["work"]
    assert names["aB1"].startswith("aB1~~") and names["CON"] == "~43ON" and LONG_ID in names
    assert "Ab1" not in names and "S0001" not in names  # plain segments are not recorded
    assert LONG_CULTURE in ledger["names"]["culture"]
    # the pair viewer's script reads the same exceptions
    assert json.loads((site / urls.path_names_path()).read_text(encoding="utf-8"))["work"] == names
    assert 'data-names="/data/path_names.json"' in (site / "pair" / "index.html").read_text(encoding="utf-8")


def test_map_captions_point_at_the_pages(built):
    site = built["site"]
    for captions in (site / "data" / "map").glob("captions-*.json"):
        for segment in json.loads(captions.read_text(encoding="utf-8"))["slug"]:
            assert (site / "work" / segment / "index.html").is_file()


def test_search_finds_a_title_beyond_the_bmp(built):
    site = built["site"]
    docs = json.loads((site / "data" / "search" / "docs-0.json").read_text(encoding="utf-8"))
    for word, title in (("𠀋山水", CJK_TITLE), ("🐎", EMOJI_TITLE)):
        token = tokens(word)[0]
        shard = json.loads((site / "data" / "search" / f"{urls.encode(shard_of(token))}.json").read_text(encoding="utf-8"))
        hits = [n for t, numbers in shard.items() if t.startswith(token) for n in numbers]
        assert [docs[n]["title"] for n in hits] == [title]
        assert (site / docs[hits[0]]["url"].lstrip("/") / "index.html").is_file()


# -- path segments, unit by unit --------------------------------------------------------------------------
def test_slug_rules_keep_ordinary_values_and_fix_the_rest():
    assert [urls.slug(k) for k in ("S0001", "Chinese", "Print", "a.b")] == ["S0001", "Chinese", "Print", "a~2Eb"]
    assert urls.slug("CON") == "~43ON" and urls.unslug("~43ON") == "CON"
    assert urls.slug("lpt1") == "~6Cpt1" and urls.slug("nul.txt") == "nul~2Etxt"
    long = urls.slug("日" * 300)
    assert len(long) <= urls.MAX_SEGMENT and "~~" in long and urls.SEGMENT.match(long)
    assert urls.slug("日" * 300) != urls.slug("日" * 299 + "本")
    with pytest.raises(ValueError):
        urls.unslug(long)


def test_case_collisions_are_planned_stably():
    plan = urls.plan_paths({"work": ["aB1", "Ab1", "x"]})
    assert plan.segment("work", "Ab1") == "Ab1" and plan.segment("work", "aB1").startswith("aB1~~")
    # a key an earlier build published keeps its plain segment when a new one collides with it
    later = urls.plan_paths({"work": ["aB1", "Ab1"]}, published={"work": {"aB1"}})
    assert later.segment("work", "aB1") == "aB1" and later.segment("work", "Ab1").startswith("Ab1~~")
    # recorded segments win, even when the key that collided with them has gone
    kept = urls.plan_paths({"work": ["aB1"]}, recorded=plan.special)
    assert kept.segment("work", "aB1") == plan.segment("work", "aB1")
    assert plan.parse_page_path(plan.page_path("pair", ("aB1", "Ab1"))) == ("pair", ("aB1", "Ab1"))


def test_damaged_ledger_names_are_ignored(tmp_path):
    site = tmp_path / "site"
    (site / "_atlas").mkdir(parents=True)
    names = {"work": {"a": "../../etc", "b": "CON", "c": "fine~~0123"}, "bogus": {"x": "y"}}
    (site / "_atlas" / "ledger.json").write_text(json.dumps({"format": 1, "pages": [], "works": {}, "names": names}))
    assert Ledger.load(site).names == {"work": {"c": "fine~~0123"}}


# -- YAML, labels, dates, search tokens ----------------------------------------------------------------------
BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8))


def test_alias_bomb_fails_fast_naming_the_file(tmp_path):
    checks = [("site.yaml", lambda p: load_config(p), ConfigError),
              ("pairings.yaml", lambda p: read_pairings_file(p), ValueError),
              ("renames.yaml", lambda p: load_renames(p), ValueError)]
    for name, read, error in checks:
        path = tmp_path / name
        path.write_text(("- " + BOMB.replace("\n", "\n  ")) if name == "pairings.yaml" else BOMB, encoding="utf-8")
        start = time.perf_counter()
        with pytest.raises(error) as caught:
            read(path)
        assert time.perf_counter() - start < 1.0
        message = str(caught.value)
        assert str(path) in message and "alias" in message and "\n" not in message.strip()


def test_aliases_within_bounds_still_work(tmp_path):
    path = tmp_path / "renames.yaml"
    path.write_text("old1: &new S0001\nold2: *new\n", encoding="utf-8")
    assert load_renames(path) == {"old1": "S0001", "old2": "S0001"}


def test_labels_are_nfc_and_whitespace_folded():
    raw = ["Me\u0301xico", "M\u00e9xico", " M\u00e9xico\u00a0", "M\u00e9xico\u200b", "Chinese\u3000 Qing", "Chinese Qing"]
    records = [Record(id=f"r{n}", culture_raw=value, medium_raw="Print") for n, value in enumerate(raw)]
    result = normalise_labels(records, load_config_labels())
    assert result.groups["culture"] == {"Chinese Qing": 2, "M\u00e9xico": 4}


def load_config_labels():
    from atlas.core.config import LabelRules, LabelsConfig

    return LabelsConfig(culture=LabelRules(min_group_size=1), medium=LabelRules(min_group_size=1))


@pytest.mark.parametrize("text, span", [
    ("-3000", (-3000, -3000)), ("3000 BCE", (-3000, -3000)), ("300 B.C.", (-300, -300)), ("300 BC", (-300, -300)),
    ("c. 200 B.C.E.", (-200, -200)), ("300BC", (-300, -300)), ("-300 - -200", (-300, -200)),
    ("-50", (-50, -50)), ("1650-70", (1650, 1670)), ("1650 - 70", (1650, 1670)),
])
def test_bce_dates(text, span):
    assert parse_date(text) == span


SEARCH_TEXTS = ["Scroll 𠀋山水", "𠀋", "𠀋x", "Horse 🐎🐴 at rest", "café Ōkubo", "İstanbul ΣΊΣΥΦΟΣ", "a_b-c", "ＦＵＬＬ width",
                "x\U0002A6D6y", "ǅemal ß", "١٢٣ arabic digits", "e\u0301cole", "👩\u200d🚀 astronaut", "©1650"]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_python_and_javascript_tokenize_alike():
    script = ("const s = require(process.argv[1]); const texts = JSON.parse(process.argv[2]);"
              "console.log(JSON.stringify(texts.map((t) => s.tokens(t).map((k) => [k, s.shardName(k, 2), s.isShort(k, 2)]))));")
    run = subprocess.run(["node", "-e", script, str(ROOT / "atlas" / "assets" / "search.js"), json.dumps(SEARCH_TEXTS)],
                         capture_output=True, text=True, timeout=60, check=True)
    from_js = json.loads(run.stdout)
    from_python = [[[k, urls.encode(shard_of(k)), len(k) < 2] for k in tokens(t)] for t in SEARCH_TEXTS]
    assert from_js == from_python
