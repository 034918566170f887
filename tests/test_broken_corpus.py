"""One collection holding every kind of bad input the build must survive, built end to end.

Each row is made by this test on real files: broken and awkward images, hostile ids and titles, a
mixed-encoding CSV, free-text and unreadable dates, empty and unknown cultures, a duplicate id. The
build must succeed, publish every valid record, and report each bad one by id with the right reason.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from atlas.build import build
from atlas.core.config import ConfigError, load_config
from atlas.site import urls
from atlas.site.work_json import read_work_json

from .test_images import png_header_only

CULTURES = ("Dutch", "Chinese")


def _picture(seed: int, size=(48, 40)) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8), mode="RGB")


def _awkward_images(folder: Path) -> dict[str, str]:
    """Files that are unusual but usable: each must be converted and published."""
    made = {}
    _picture(1).convert("CMYK").save(folder / "cmyk.jpg")
    made["cmyk"] = "cmyk.jpg"
    Image.fromarray((np.arange(48 * 40).reshape(40, 48) * 30).astype(np.uint16)).save(folder / "sixteen.png")
    made["sixteen-bit"] = "sixteen.png"
    palette = _picture(2).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    palette.info["transparency"] = 0
    palette.save(folder / "palette.png")
    made["palette-alpha"] = "palette.png"
    _picture(3).convert("L").save(folder / "grey.png")
    made["greyscale"] = "grey.png"
    frames = [_picture(4 + i) for i in range(3)]
    frames[0].save(folder / "anim.gif", save_all=True, append_images=frames[1:], duration=80)
    made["animated"] = "anim.gif"
    return made


def _broken_images(folder: Path) -> dict[str, tuple[str, str]]:
    """Files that cannot be used: {id: (file, words the reason must contain)}."""
    (folder / "empty.jpg").write_bytes(b"")
    buffer = io.BytesIO()
    _picture(9).save(buffer, "JPEG")
    (folder / "truncated.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 3])
    (folder / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    png_header_only(folder / "bomb.png", 20_000, 20_000)
    return {
        "missing": ("nowhere.jpg", "not found"),
        "empty": ("empty.jpg", "empty"),
        "truncated": ("truncated.jpg", "truncated"),
        "corrupt": ("corrupt.png", "corrupt"),
        "bomb": ("bomb.png", "decompression bomb"),
    }


HOSTILE_IDS = ["a/b", "../../escape", "with space", "日本-1", "<b>bold</b>", "dot.dot"]
EVIL_TITLE = '<img src=x onerror=alert(1)> "Swan" & <script>alert(2)</script>'
DATES = ["ca. 1650", "19th century", "1650-1700", "", "sometime around the flood", "n.d."]


def make_corpus(tmp: Path) -> tuple[Path, set[str], dict[str, str]]:
    """Write the corpus; returns (site.yaml, ids that must be published, {bad id: reason words})."""
    images = tmp / "images"
    images.mkdir()
    rows, valid = [], set()
    plain = [f"plain-{n}" for n in range(8)]
    for n, work_id in enumerate(plain + HOSTILE_IDS):
        _picture(100 + n).save(images / f"p{n}.png")
        rows.append([work_id, EVIL_TITLE if n == 0 else f"Work {n}", "<i>Anon</i>", DATES[n % len(DATES)],
                     CULTURES[n % 2], "Oil on canvas", f"images/p{n}.png"])
        valid.add(work_id)
    for n, (work_id, file) in enumerate(_awkward_images(images).items()):
        rows.append([work_id, f"Awkward {work_id}", "", "1700", CULTURES[n % 2], "Ink on paper", f"images/{file}"])
        valid.add(work_id)
    broken = _broken_images(images)
    for work_id, (file, _) in broken.items():
        rows.append([work_id, f"Broken {work_id}", "", "", "Dutch", "", f"images/{file}"])
    rows.append(["plain-1", "A second row with the same id", "", "", "Dutch", "", "images/p1.png"])
    _picture(300).save(images / "nolabel.png")
    rows.append(["no-culture", "No culture", "", "", "", "", "images/nolabel.png"])
    _picture(301).save(images / "atlantis.png")
    rows.append(["atlantis", "Unknown culture", "", "", "Atlantean", "Oil on canvas", "images/atlantis.png"])
    valid |= {"no-culture", "atlantis"}

    header = "id,title,artist,date,culture,medium,image\n"
    body = io.StringIO()
    csv.writer(body, lineterminator="\n").writerows(rows)
    data = (header + body.getvalue()).encode("utf-8")
    data += b"cp1252-row,Caf" + b"\xe9 \x96 Paris,,1800,Dutch,Oil on canvas,images/p2.png\n"
    (tmp / "collection.csv").write_bytes(data)  # UTF-8 with one cp1252 line, as spreadsheets make them
    valid.add("cp1252-row")

    config = {
        "title": "Broken <corpus>",
        "output": "out/site",
        "cache": "out/cache",
        "collection": {"format": "csv", "path": "collection.csv"},
        "labels": {"culture": {"min_group_size": 2}, "medium": {"min_group_size": 2}},
        "embedding": {"model": "resnet18", "weights": "none", "image_size": 32},
        "map": {"min_cluster_size": 3},
    }
    (tmp / "site.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return tmp / "site.yaml", valid, {k: v[1] for k, v in broken.items()}


@pytest.fixture(scope="module")
def corpus_build(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("broken-corpus")
    path, valid, broken = make_corpus(tmp)
    config = load_config(path)
    return config, build(config), valid, broken


def test_every_valid_record_is_published_inside_the_site(corpus_build):
    config, report, valid, _ = corpus_build
    site = config.output_dir.resolve()
    assert report.counts["works_published"] == len(valid)
    for work_id in valid:
        page = config.output_dir / urls.page_file("work", work_id)
        assert page.is_file(), work_id
        assert page.resolve().is_relative_to(site)
    assert not any(p.name == "escape" for p in config.output_dir.parent.parent.rglob("*"))


def test_each_bad_record_is_reported_with_its_reason(corpus_build):
    _, report, _, broken = corpus_build
    skipped = {p.record: p for p in report.skipped}
    for work_id, words in broken.items():
        assert work_id in skipped, work_id
        assert words in skipped[work_id].reason.lower(), (work_id, skipped[work_id].reason)
        assert skipped[work_id].file, work_id  # names the file
    duplicate = [p for p in report.skipped if p.record == "plain-1"]
    assert len(duplicate) == 1 and "duplicate id" in duplicate[0].reason and duplicate[0].line
    assert len(report.skipped) == len(broken) + 1


def test_messy_text_and_labels_are_warnings_not_losses(corpus_build):
    config, report, _, _ = corpus_build
    warnings = [(p.stage, p.record, p.reason) for p in report.warnings]
    assert any(stage == "read" and "cp1252" in reason for stage, _, reason in warnings)
    assert any(rec == "no-culture" and "no culture given" in reason for _, rec, reason in warnings)
    assert any("Atlantean" in reason and "min_group_size" in reason for _, _, reason in warnings)
    assert any("sometime around the flood" in reason and "not understood" in reason for _, _, reason in warnings)
    work = read_work_json((config.output_dir / urls.work_data_path("cp1252-row")).read_bytes())
    assert work["title"] == "Café – Paris"
    dated = {w: read_work_json((config.output_dir / urls.work_data_path(w)).read_bytes())
             for w in ("plain-0", "plain-1", "plain-2", "plain-5")}
    assert (dated["plain-0"]["date_begin"], dated["plain-0"]["date_end"]) == (1650, 1650)
    assert (dated["plain-1"]["date_begin"], dated["plain-1"]["date_end"]) == (1800, 1899)
    assert (dated["plain-2"]["date_begin"], dated["plain-2"]["date_end"]) == (1650, 1700)
    assert dated["plain-5"]["date"] == "n.d." and dated["plain-5"]["date_begin"] is None


def test_awkward_images_are_converted_and_published(corpus_build):
    config, _, _, _ = corpus_build
    for work_id in ("cmyk", "sixteen-bit", "palette-alpha", "greyscale", "animated"):
        thumb = config.output_dir / urls.thumb_path(min(config.thumbnails.sizes), work_id)
        with Image.open(thumb) as img:
            assert img.mode == "RGB" and img.size[0] > 0, work_id


def test_untrusted_text_is_escaped_everywhere(corpus_build):
    config, report, _, _ = corpus_build
    for page in config.output_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "<img src=x" not in text and "<script>alert" not in text and "<i>Anon</i>" not in text, page
    summary = report.summary()
    assert "bomb" in summary and "truncated" in summary and "duplicate id" in summary


def test_strict_turns_report_entries_into_a_failing_exit(corpus_build):
    config, _, _, _ = corpus_build
    from atlas.cli import main

    assert main(["build", "--config", str(config.root / "site.yaml"), "--strict"]) == 1
    assert main(["build", "--config", str(config.root / "site.yaml")]) == 0


def test_a_typo_in_site_yaml_names_the_key_the_line_and_the_fix(tmp_path):
    (tmp_path / "site.yaml").write_text("title: x\nneighbours:\n  k: 6\n  blok_size: 10\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "site.yaml")
    message = str(info.value)
    assert "blok_size" in message and "line 4" in message and "block_size" in message
    (tmp_path / "site.yaml").write_text("neighbours:\n  k: six\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "site.yaml")
    assert "neighbours.k" in str(info.value) and "line 2" in str(info.value)
