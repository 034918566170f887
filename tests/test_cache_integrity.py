"""A damaged cache is never trusted: every artefact is checked against its checksum, rebuilt, and reported.

A tiny real collection (12 PNG images) is built once; then garbage is written into, or a single bit is
flipped in, each kind of cached artefact, and the rebuild must report each kind, make it again (the same
bytes as before), and publish exactly the site of the clean build: no garbage is ever copied into it.
An image replaced while it is being embedded or thumbnailed leaves nothing cached under a digest that
does not match the bytes it was made from, and a Problem.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import atlas.ingest.thumbnails as thumbnails_module
import atlas.vectors.embed as embed_module
from atlas.build import build, stage_folder
from atlas.core.cache import file_digest
from atlas.core.checked import (
    CHANGED_WHILE_READ,
    SUFFIX,
    CacheFileDamaged,
    checksum_path,
    corrupt_log,
    read_checked,
    start_corrupt_log,
    write_checked,
)
from atlas.core.config import load_config
from atlas.core.records import Record
from atlas.site.writer import SiteWriter
from atlas.vectors.descriptors import descriptor_store, descriptor_vectors
from atlas.vectors.embed import hash_images

from .conftest import write_small_collection

CULTURES = ("Dutch", "Chinese", "Dutch", "Chinese")
MEDIA = ("Oil on canvas", "Ink on paper")
N = 12


def picture(seed: int) -> Image.Image:
    """A distinct small picture per seed: a colour ramp with noise (shapes vary a little)."""
    rng = np.random.default_rng(seed)
    w, h = 72 + seed % 3 * 8, 60 + seed % 2 * 12
    base = rng.integers(0, 256, 3)
    ramp = np.linspace(0, 1, w)[None, :, None] * rng.integers(-120, 120, 3)
    arr = np.clip(base + ramp + rng.normal(0, 25, (h, w, 3)), 0, 255).astype(np.uint8)
    return Image.fromarray(arr, mode="RGB")


def make_collection(tmp: Path) -> Path:
    """12 rows, 12 PNGs; heat maps and probes on, patterns off, PCA map, thumbnails of 64 and 128 px."""
    images = tmp / "images"
    images.mkdir(parents=True)
    rows = []
    for n in range(N):
        picture(n).save(images / f"w{n}.png")
        rows.append({"id": f"w{n}", "title": f"Work {n}", "artist": "Anon", "date": str(1600 + 10 * n),
                     "culture": CULTURES[n % 4], "medium": MEDIA[n // 6], "image": f"images/w{n}.png"})
    path = write_small_collection(tmp, rows, "Integrity", labels={"culture": {"min_group_size": 2},
                                  "medium": {"min_group_size": 2}}, embedding={"device": "cpu"},
                                  probes={"enabled": True}, heatmaps={"enabled": True, "size": 96})
    # share cards are made only for a site with a public address (atlas.site.pair_pages): this one has one
    path.write_text(path.read_text(encoding="utf-8") + "site_url: https://integrity.example.org\n", encoding="utf-8")
    return path


def site_hashes(site: Path) -> dict[str, str]:
    """{relative path: sha256} of every published file."""
    return {p.relative_to(site).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(site.rglob("*")) if p.is_file()}


def artefacts(config, kind: str) -> list[Path]:
    """The cached files of one kind, sorted (their checksum sidecars left out)."""
    cache = config.cache_dir
    where = {
        "vectors": (cache / "embeddings", "*.npy"),
        "activation grids": (cache / "activations", "*.npy"),
        "thumbnails": (cache / "thumbs", "*.jpg"),
        "heat maps": (cache / "heatmaps", "*.png"),
        "sprite sheets": (cache / "sprites", "*.jpg"),
        "pair cards": (cache / "cards", "*.jpg"),
        "stage results": (stage_folder(config), "*.json"),
    }[kind]
    found = sorted(where[0].rglob(where[1]))
    assert found, f"the build cached no {kind}"
    return found


def of_image(paths: list[Path], digest: str) -> Path:
    """The one file among `paths` cached under an image digest."""
    (found,) = [p for p in paths if p.stem == digest]
    return found


def garbage(path: Path) -> bytes:
    """Random bytes of the file's own length: the size gives nothing away."""
    data = np.random.default_rng(len(path.name)).integers(0, 256, path.stat().st_size, dtype=np.uint8).tobytes()
    path.write_bytes(data)
    return data


def flip_bit(path: Path) -> bytes:
    """One bit flipped in the middle of the file (inside a JPEG's picture data or an array's numbers)."""
    data = bytearray(path.read_bytes())
    data[len(data) * 2 // 3] ^= 0x10
    path.write_bytes(bytes(data))
    return bytes(data)


def corrupt_notes(report) -> dict[str, str]:
    """{kind: its note} of the notes that report damaged cache files."""
    found = {}
    for note in report.notes:
        if " did not match their checksum" in note:
            kind = note.split(" cached ", 1)[1].split(" did not match", 1)[0]
            found[kind] = note
    return found


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """(config, {site file: sha256}, report) of a first, clean build of the tiny collection."""
    tmp = tmp_path_factory.mktemp("integrity")
    config = load_config(make_collection(tmp))
    report = build(config)
    assert report.counts["works_published"] == N and corrupt_notes(report) == {}
    return config, site_hashes(config.output_dir), report


def damage_one_of_each(config, damage) -> dict[str, list[tuple[Path, bytes, bytes]]]:
    """Damage files of every kind, each kind on other images so that one repair cannot hide another
    (re-embedding an image rewrites its activation grid). Returns {kind: [(file, bytes before, after)]}."""
    digests = {f"w{n}": file_digest(config.root / "images" / f"w{n}.png") for n in range(N)}
    heat = artefacts(config, "heat maps")
    chosen = {
        "vectors": [of_image(artefacts(config, "vectors"), digests["w0"])],
        "activation grids": [of_image(artefacts(config, "activation grids"), digests["w1"])],
        "heat maps": [of_image(heat, digests["w2"])],
        "thumbnails": [p for p in artefacts(config, "thumbnails") if p.stem == digests["w3"]],
        "sprite sheets": artefacts(config, "sprite sheets")[:1],
        "pair cards": artefacts(config, "pair cards")[:1],
        "stage results": [p for p in artefacts(config, "stage results") if p.name == "map.json"],
    }
    of_image(heat, digests["w1"]).unlink()  # so that w1's heat map is drawn again and needs its grid
    damaged = {}
    for kind, paths in chosen.items():
        damaged[kind] = []
        for path in paths:
            before = path.read_bytes()
            damaged[kind].append((path, before, damage(path)))
    return damaged


@pytest.mark.parametrize("damage", [garbage, flip_bit], ids=["garbage", "one-bit"])
def test_every_damaged_artefact_is_reported_rebuilt_and_never_published(clean, damage):
    config, clean_site, clean_report = clean
    damaged = damage_one_of_each(config, damage)
    report = build(load_config(config.root / "site.yaml"))

    notes = corrupt_notes(report)
    assert set(notes) == set(damaged), report.notes
    for kind, files in damaged.items():
        paths = [str(path) for path, _, _ in files]
        assert notes[kind].startswith(f"{len(files)} cached {kind} "), notes[kind]
        assert notes[kind].split("(first: ", 1)[1][:-1] in paths, notes[kind]
        for path, before, _ in files:
            again = read_checked(path, kind)
            assert again is not None, f"{kind}: {path} was not made again"
            if path.suffix == ".npy":  # an array computed again (in another batch): the same numbers
                assert np.allclose(np.load(path), np.load(_bytes_file(before, path)), atol=1e-5), path
            elif path.suffix == ".jpg":  # pictures are deterministic: the very same bytes
                assert again == before, f"{kind}: {path} was made again differently"
    # w0's vector, embedded again alone, may differ in its last bits: the stages that read the vectors
    # then ran again, so map.json was rewritten (its byte-identity is checked where only it is damaged)
    assert not decisions(config)["map"]["reused"]
    assert report.counts["works_published"] == N
    assert [p.as_dict() for p in report.problems] == [p.as_dict() for p in clean_report.problems]
    published = site_hashes(config.output_dir)
    assert published == clean_site  # the same site, file for file
    garbage_hashes = {hashlib.sha256(after).hexdigest() for files in damaged.values() for _, _, after in files}
    assert not garbage_hashes & set(published.values())  # no damaged file was copied into the site


def decisions(config) -> dict[str, dict]:
    """The stage decisions of the last build, from its report.json."""
    return json.loads((config.output_dir.parent / "report.json").read_text(encoding="utf-8"))["stages"]


def _bytes_file(data: bytes, like: Path) -> Path:
    """`data` written next to `like` under another name, to load it with np.load."""
    out = like.with_name(like.name + ".before.npy")
    out.write_bytes(data)
    return out


def test_garbage_in_every_thumbnail_makes_no_work_disappear(clean):
    """The issue's case: garbage in all cached thumbnails once published nothing, with exit status 0."""
    config, clean_site, _ = clean
    thumbs = artefacts(config, "thumbnails")
    for path in thumbs:
        garbage(path)
    report = build(load_config(config.root / "site.yaml"))
    assert report.counts["works_published"] == N
    assert corrupt_notes(report)["thumbnails"].startswith(f"{len(thumbs)} cached thumbnails ")
    assert all(read_checked(p, "thumbnails") is not None for p in thumbs)
    assert site_hashes(config.output_dir) == clean_site


def test_a_damaged_checksum_counts_as_damage_and_a_stage_result_is_remade_identically(clean):
    config, clean_site, _ = clean
    card = artefacts(config, "pair cards")[0]
    checksum_path(card).write_text("0" * 64 + "\n")
    stage = stage_folder(config) / "map.json"
    before = stage.read_bytes()
    flip_bit(stage)
    report = build(load_config(config.root / "site.yaml"))
    assert set(corrupt_notes(report)) == {"pair cards", "stage results"}
    assert read_checked(card, "pair cards") is not None
    assert not decisions(config)["map"]["reused"] and "corrupt" in decisions(config)["map"]["reason"]
    assert read_checked(stage, "stage results") == before
    assert site_hashes(config.output_dir) == clean_site


def test_an_old_cache_without_checksums_is_recomputed_once_and_not_reported(clean):
    config, clean_site, _ = clean
    sidecars = sorted(config.cache_dir.rglob(f"*{SUFFIX}"))
    assert len(sidecars) > 50
    for sidecar in sidecars:
        sidecar.unlink()
    report = build(load_config(config.root / "site.yaml"))
    assert corrupt_notes(report) == {}  # missing checksums are not damage
    assert report.counts["images_embedded_now"] == N  # nothing unchecked was trusted
    assert site_hashes(config.output_dir) == clean_site
    assert all(p.is_file() for p in sidecars)  # every artefact has its checksum again
    again = build(load_config(config.root / "site.yaml"))
    assert again.counts["images_embedded_now"] == 0 and again.counts["files_written"] == 0


def test_a_damaged_cache_file_is_not_copied_into_the_site(tmp_path):
    """The site writer carries over unchanged published files; it must check the cache file it copies."""
    source = tmp_path / "cache" / "thumb.jpg"
    write_checked(source, b"good bytes")
    published = tmp_path / "site"
    published.mkdir()
    (published / "t.jpg").write_bytes(b"good bytes")
    writer = SiteWriter(tmp_path / "staging", published=published)
    writer.copy_file("t.jpg", source, "thumbnails")
    assert (tmp_path / "staging" / "t.jpg").read_bytes() == b"good bytes"

    source.write_bytes(b"bad! bytes")
    writer = SiteWriter(tmp_path / "staging-2", published=published)
    with pytest.raises(CacheFileDamaged, match="no longer matches its checksum"):
        writer.copy_file("t.jpg", source, "thumbnails")
    assert not (tmp_path / "staging-2" / "t.jpg").exists()
    assert (published / "t.jpg").read_bytes() == b"good bytes"


def test_damaged_descriptor_parts_are_reported_and_computed_again(tmp_path):
    folder = tmp_path / "img"
    folder.mkdir()
    records = []
    for n in range(3):
        picture(n).save(folder / f"w{n}.png")
        records.append(Record(id=f"w{n}", image_path=folder / f"w{n}.png"))
    digests, _ = hash_images(records)
    first, problems = descriptor_vectors(records, digests, ["lab", "hog"], tmp_path / "cache")
    assert problems == []
    victim = next(descriptor_store(tmp_path / "cache", "hog").rglob(f"{digests['w1']}.npy"))
    flip_bit(victim)
    log = start_corrupt_log()
    again, problems = descriptor_vectors(records, digests, ["lab", "hog"], tmp_path / "cache")
    assert problems == [] and log.paths("descriptor parts") == [str(victim)]
    assert np.array_equal(again["hog"][digests["w1"]], first["hog"][digests["w1"]])
    assert read_checked(victim, "descriptor parts") is not None
    assert corrupt_log() is log


# --- an image replaced while the build reads it ----------------------------------------------------


def replace_after_first_read(monkeypatch, module, victim: Path, seed: int) -> None:
    """Wrap `module.open_rgb`: once it has read `victim`, the file is rewritten with other pixels."""
    real = module.open_rgb
    done = []

    def open_then_replace(path, *args, **kwargs):
        image = real(path, *args, **kwargs)
        if Path(path) == victim and not done:
            done.append(path)
            picture(seed).save(victim, format="PNG")
        return image

    monkeypatch.setattr(module, "open_rgb", open_then_replace)


def cached_under(config, digest: str) -> list[Path]:
    """Every cache file named after `digest` (vectors, grids, thumbnails, heat maps, descriptors)."""
    return [p for p in config.cache_dir.rglob(f"{digest}*") if p.is_file()]


def test_an_image_replaced_while_it_is_read_caches_nothing_and_is_reported(tmp_path, monkeypatch):
    config = load_config(make_collection(tmp_path))
    embedded, thumbnailed = config.root / "images" / "w4.png", config.root / "images" / "w7.png"
    old = {p: file_digest(p) for p in (embedded, thumbnailed)}
    replace_after_first_read(monkeypatch, embed_module, embedded, seed=104)
    replace_after_first_read(monkeypatch, thumbnails_module, thumbnailed, seed=107)

    report = build(config)
    new = {p: file_digest(p) for p in (embedded, thumbnailed)}
    assert all(old[p] != new[p] for p in old)
    problems = {(p.stage, p.record): p.reason for p in report.problems}
    assert problems == {("embed", "w4"): CHANGED_WHILE_READ, ("thumbnails", "w7"): CHANGED_WHILE_READ}
    assert report.counts["works_published"] == N - 2
    # w4: read for its vector, then replaced: nothing is cached under the digest the build started with
    assert cached_under(config, old[embedded]) == []
    # w7: its vector and grid came from the bytes its old digest names (checked after embedding); its
    # thumbnails, made after the file changed, were not kept
    assert {p.parent.parent.parent.name for p in cached_under(config, old[thumbnailed])} == {"embeddings", "activations"}
    for digest in new.values():  # nothing was made from the new bytes yet
        assert cached_under(config, digest) == []

    monkeypatch.undo()
    again = build(load_config(config.root / "site.yaml"))
    assert again.problems == [] and again.counts["works_published"] == N
    assert {p.parent.parent.parent.name for p in cached_under(config, new[embedded])} >= {"embeddings", "thumbs"}
    shutil.rmtree(config.root / "out")
