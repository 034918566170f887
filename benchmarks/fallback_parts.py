"""Does weighing the fallback's parts (atlas.vectors.parts) help? Monochrome pairing, fonts and styles.

    python -m benchmarks.fallback_parts                      # AIC, fonts, WikiArt (100 works per style)
    python -m benchmarks.fallback_parts --tasks fonts --wikiart-per-style 300

Three tasks, each scored for every embedder against raw 32x32 pixels:

- aic: the 267 AIC paintings (../shared/data/aic-artwall). How often is a monochrome work's nearest work
  (over the whole collection) monochrome too, against the base rate (the share of other works that are)?
  Lower is better down to the base rate. Also nationality and medium precision@10 (how often the 10
  nearest share the work's label), so a fix for grey pairs that broke everything else would show.
- fonts: MosAIC's fonts task made from the fonts on this machine (/usr/share/fonts; Debian's
  fonts-dejavu-core, fonts-liberation and fonts-freefont-ttf give 38+ faces): every capital letter A-Z drawn
  in every face; for a letter in one face, is its best match among the 26 letters of another face the same
  letter? top-1, averaged over every ordered pair of faces. The weights are found on the glyphs without
  their letters (agreement between parts is unsupervised), so the letters stay held out.
- sample: the bundled sample (480 generated works, untrained ResNet-18 at 128 px as the tests build it):
  how often a top-1 analogy in another culture shows the same subject (tests/test_build.py's measure).
- wikiart: style precision@10 on a stratified subset of ../shared/data/wikiart-styles (as
  benchmarks/wikiart_features.py), and the monochrome pairing share.

Embedders: raw 32x32 RGB pixels; each fallback part alone (the network both on colour and on luminance);
the fallback as it was (five parts, equal weights: "before"); colour off for monochrome images only;
agreement weights only; both (issue 15's first fix); both with the network part on luminance ("now", what
a build does: atlas.vectors.luminance); and, on the tasks given to --tried, the variants tried and not
kept (benchmarks/mono_variants.py: the network on equalised luminance, a blur before LBP). Vectors are
prepared as the build prepares them (combine, centre, then weigh_parts). Network vectors and descriptors
are cached under --cache. Writes benchmarks/results/fallback_parts.json.

Monochrome pairing is measured twice: top-1 (is a monochrome work's nearest work monochrome?) and at 10
(the share of monochrome works among its 10 nearest), both against the base rate.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from atlas.analysis.quality import label_precision
from atlas.core.config import CollectionConfig, EmbeddingConfig
from atlas.core.records import Record
from atlas.ingest.monochrome import is_monochrome
from atlas.ingest.readers import read_collection
from atlas.vectors.descriptors import combine, descriptor_vectors
from atlas.vectors.embed import embed_records, hash_images
from atlas.vectors.matrix import centre_in_place
from atlas.vectors.network import resolve_weights
from atlas.vectors.parts import layout, weigh_parts
from benchmarks import mono_variants

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
PARTS = ["net", "lab", "hsv", "lbp", "hog"]
EQUAL = {"network": 0.2, "colour": 0.4, "texture": 0.2, "layout": 0.2}  # five equal parts, as before
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
GLYPH_PX = 128


# -- data --------------------------------------------------------------------------------------
def aic_records() -> tuple[list[Record], dict[str, list]]:
    data = SHARED / "aic-artwall"
    cfg = CollectionConfig(path=str(data / "collection.csv"), columns={"culture": "nationality", "medium": "medium"})
    records = read_collection(cfg, data).records
    return records, {"nationality": [r.culture_raw for r in records], "medium": [r.medium_raw for r in records]}


def wikiart_records(per_style: int) -> tuple[list[Record], dict[str, list]]:
    data = SHARED / "wikiart-styles"
    found = read_collection(CollectionConfig(path=str(data / "collection.csv"), columns={"culture": "style"}), data)
    by_style = defaultdict(list)
    for rec in found.records:
        by_style[rec.culture_raw].append(rec)
    records = [r for s in sorted(by_style) for r in by_style[s][:per_style]]
    return records, {"style": [r.culture_raw for r in records]}


def sample_records(folder: Path) -> tuple[list[Record], dict[str, list]]:
    """The bundled sample (480 generated works), labelled by the repository's site.yaml rules: the subject
    decides whether a cross-culture analogy shows the same thing (as tests/test_build.py measures it)."""
    import yaml

    from atlas.core.config import load_config
    from atlas.core.report import BuildReport
    from atlas.ingest.collection import read_records
    from atlas.ingest.labels import normalise_labels

    folder.mkdir(parents=True, exist_ok=True)
    site = yaml.safe_load((ROOT / "site.yaml").read_text(encoding="utf-8"))
    site.update(collection={"format": "sample", "path": str(folder / "sample")}, output=str(folder / "site"),
                cache=str(folder / "cache"), pairings={})
    (folder / "site.yaml").write_text(yaml.safe_dump(site), encoding="utf-8")
    config = load_config(folder / "site.yaml")
    records = sorted(read_records(config, BuildReport()), key=lambda r: r.id)
    works = normalise_labels(records, config.labels).records
    return works, {"culture": [w.culture for w in works], "subject": [w.extra.get("subject") for w in works]}


def cross_culture_subject(vectors: np.ndarray, cultures: list, subjects: list) -> float:
    """Share of top-1 analogies within another culture that show the work's subject."""
    sims = vectors @ vectors.T
    culture, subject = np.array([c or "" for c in cultures]), np.array(subjects)
    hits = total = 0
    for group in sorted({c for c in cultures if c}):
        cols, rows = np.flatnonzero(culture == group), np.flatnonzero((culture != group) & (culture != ""))
        best = cols[sims[np.ix_(rows, cols)].argmax(axis=1)]
        hits, total = hits + int((subject[best] == subject[rows]).sum()), total + len(rows)
    return round(hits / total, 4)


def font_files() -> list[Path]:
    """Every TrueType/OpenType face under /usr/share/fonts that draws all capitals, sorted by path."""
    from PIL import ImageFont

    faces = []
    for path in sorted(Path("/usr/share/fonts").rglob("*")):
        if path.suffix.lower() in (".ttf", ".otf"):
            try:
                font = ImageFont.truetype(str(path), 96)
            except OSError:
                continue
            if all(font.getbbox(c)[2] > font.getbbox(c)[0] for c in LETTERS):
                faces.append(path)
    return faces


def font_records(folder: Path) -> tuple[list[Record], dict[str, list]]:
    """A glyph image per (face, capital), black on white, centred by its ink box; labels letter and face."""
    from PIL import Image, ImageDraw, ImageFont

    folder.mkdir(parents=True, exist_ok=True)
    records, letters, faces = [], [], []
    for f, path in enumerate(font_files()):
        font = ImageFont.truetype(str(path), 96)
        for letter in LETTERS:
            out = folder / f"{f:02d}-{letter}.png"
            if not out.exists():
                image = Image.new("L", (GLYPH_PX, GLYPH_PX), 255)
                left, top, right, bottom = font.getbbox(letter)
                xy = ((GLYPH_PX - (right - left)) / 2 - left, (GLYPH_PX - (bottom - top)) / 2 - top)
                ImageDraw.Draw(image).text(xy, letter, font=font, fill=0)
                image.save(out)
            records.append(Record(id=f"{f:02d}-{letter}", image_path=out))
            letters.append(letter)
            faces.append(path.stem)
    return records, {"letter": letters, "face": faces}


# -- vectors -----------------------------------------------------------------------------------
def raw_pixels(records: list[Record]) -> np.ndarray:
    from PIL import Image

    from atlas.ingest.images import open_rgb

    rows = [np.asarray(open_rgb(r.image_path).resize((32, 32), Image.Resampling.BILINEAR), np.float32).ravel()
            for r in records]
    return centre_in_place(np.stack(rows))


def fallback_parts(records: list[Record], cache: Path, image_size: int, model: str = "resnet50",
                   tried: bool = False) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """({part: raw vectors}, monochrome flags) for the records, in order; every image must embed.

    "net" is the untrained network on colour (the fallback before issue 15's luminance change),
    "net_luminance" the fallback's network part as a build now makes it (Weights.network_part); with
    `tried`, also the variants tried and not kept (benchmarks/mono_variants.py)."""
    digests, problems = hash_images(records)
    cfg = EmbeddingConfig(model=model, weights="none", image_size=image_size)
    weights = resolve_weights(model, "none", "fail", ROOT)
    net = embed_records(records, digests, cfg, cache, ROOT, weights=weights)
    grey = embed_records(records, digests, cfg, cache, ROOT, weights=weights.network_part())
    found, bad = descriptor_vectors(records, digests, PARTS[1:] + ["tint"], cache)
    assert not problems and not bad and net.ids == grey.ids == [r.id for r in records], "every image should embed"
    raw = {"net": net.vectors, "net_luminance": grey.vectors}
    raw |= {n: np.stack([found[n][digests[r.id]] for r in records]) for n in PARTS[1:]}
    if tried:
        order = [digests[r.id] for r in records]
        raw["net_equalised"] = mono_variants.cached(
            cache, f"net-equalised-{model}-{image_size}", order,
            lambda: mono_variants.equalised_network(records, model, image_size))
        raw["lbp_blur"] = mono_variants.cached(cache, "lbp-blur", order, lambda: mono_variants.blurred_lbp(records))
    mono = np.array([is_monochrome(float(found["tint"][digests[r.id]][0])) for r in records])
    return raw, mono


# (row name, {fallback part: raw vectors used for it}, colour off for monochrome, weights or None = agreement)
NOW = {"net": "net_luminance"}  # what a build does now: the network part on luminance
FIRST_FIX = "colour off + agreement (issue 15's first fix)"
FALLBACKS = [
    ("fallback before (equal parts)", {}, False, EQUAL),
    ("colour off for monochrome only", {}, True, EQUAL),
    ("agreement weights only", {}, False, None),
    (FIRST_FIX, {}, True, None),
    ("fallback now (first fix + network on luminance)", NOW, True, None),
]
TRIED = [
    ("first fix + network on equalised luminance", {"net": "net_equalised"}, True, None),
    ("first fix + blur before LBP", {"lbp": "lbp_blur"}, True, None),
    ("now + blur before LBP", NOW | {"lbp": "lbp_blur"}, True, None),
]
ALONE = {"net": "network on colour alone (untrained)", "net_luminance": "network on luminance alone",
         "net_equalised": "network on equalised luminance alone", "lbp_blur": "lbp after blur alone"}


def embedders(raw: dict[str, np.ndarray], mono: np.ndarray, pixels: np.ndarray) -> dict[str, tuple[np.ndarray, dict]]:
    """{name: (vectors, weighing)} for every embedder compared."""
    out = {"raw 32x32 pixels": (pixels, {})}
    for name, part in raw.items():
        out[ALONE.get(name, f"{name} alone")] = (centre_in_place(combine([part])), {})
    tried = [row for row in TRIED if all(v in raw for v in row[1].values())]
    for name, choice, colour_off, weights in FALLBACKS + tried:
        chosen = [raw[choice.get(n, n)] for n in PARTS]
        vectors = centre_in_place(combine(chosen))
        flags = mono if colour_off else np.zeros(len(mono), dtype=bool)
        weighing = weigh_parts(vectors, layout(PARTS, [c.shape[1] for c in chosen]), flags, weights)
        out[name] = (vectors, weighing.to_json())
    return out


# -- measures ----------------------------------------------------------------------------------
def top1(vectors: np.ndarray) -> np.ndarray:
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    return sims.argmax(axis=1)


def mono_share(vectors: np.ndarray, mono: np.ndarray) -> float | None:
    """Share of monochrome works whose nearest work is monochrome."""
    if mono.sum() < 2:
        return None
    return round(float(mono[top1(vectors)][mono].mean()), 4)


def mono_share_at(vectors: np.ndarray, mono: np.ndarray, k: int = 10) -> float | None:
    """Share of monochrome works among the k nearest works of each monochrome work: the same question as
    mono_share, over ten answers per work instead of one, so less at the mercy of a few works."""
    if mono.sum() < 2:
        return None
    sims = vectors[mono] @ vectors.T
    sims[np.arange(int(mono.sum())), np.flatnonzero(mono)] = -np.inf
    nearest = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    return round(float(mono[nearest].mean()), 4)


def font_top1(vectors: np.ndarray, letters: list[str], faces: list[str]) -> float:
    """A letter in one face, best match among the letters of another face: right when it is the same letter."""
    sims = vectors @ vectors.T
    face_ids = np.unique(faces, return_inverse=True)[1]
    letters_arr = np.array(letters)
    hits = []
    for g in range(face_ids.max() + 1):
        cols = np.flatnonzero(face_ids == g)
        rows = np.flatnonzero(face_ids != g)
        best = cols[sims[np.ix_(rows, cols)].argmax(axis=1)]
        hits.append(letters_arr[best] == letters_arr[rows])
    return round(float(np.concatenate(hits).mean()), 4)


def run_task(task: str, args) -> dict:
    start = time.perf_counter()
    if task == "aic":
        records, labels = aic_records()
    elif task == "wikiart":
        records, labels = wikiart_records(args.wikiart_per_style)
    elif task == "sample":
        records, labels = sample_records(args.cache / "sample-collection")
    else:
        records, labels = font_records(args.cache / "glyphs")
    raw, mono = fallback_parts(records, args.cache / task, {"fonts": GLYPH_PX, "sample": 128}.get(task, 224),
                               "resnet18" if task == "sample" else "resnet50", task in args.tried)
    rows, made = [], embedders(raw, mono, raw_pixels(records))
    for name, (vectors, weighing) in made.items():
        row = {"embedder": name, "weighing": weighing}
        if task == "fonts":
            row["letter_top1"] = font_top1(vectors, labels["letter"], labels["face"])
        elif task == "sample":
            row["mono_to_mono_top1"] = mono_share(vectors, mono)
            row["cross_culture_same_subject"] = cross_culture_subject(vectors, labels["culture"], labels["subject"])
        else:
            row["mono_to_mono_top1"] = mono_share(vectors, mono)
            row["mono_to_mono_at10"] = mono_share_at(vectors, mono)
            for label, values in labels.items():
                row[f"{label}_precision@10"] = label_precision(vectors, values, 10, queries=len(records))["precision"]
        rows.append(row)
    n, m = len(records), int(mono.sum())
    paired = {label: paired_change(made[FIRST_FIX][0], made[FALLBACKS[-1][0]][0], values)
              for label, values in labels.items() if task in ("aic", "wikiart")}
    return {"works": n, "monochrome": m, "mono_base_rate": round((m - 1) / (n - 1), 4) if m > 1 else None,
            "rows": rows, "now_minus_first_fix_precision@10": paired, "seconds": round(time.perf_counter() - start, 1)}


def paired_change(before: np.ndarray, after: np.ndarray, labels: list) -> dict:
    """precision@10 after minus before, over the same queries (every labelled work), with the standard error
    of that mean difference: whether a change of a few thousandths is more than the works' own spread."""
    known = np.array([v is not None for v in labels])
    coded = np.unique([str(v) for v in labels], return_inverse=True)[1]
    hits = []
    for vectors in (before, after):
        sims = vectors[known] @ vectors.T
        sims[np.arange(int(known.sum())), np.flatnonzero(known)] = -np.inf
        nearest = np.argsort(-sims, axis=1, kind="stable")[:, :10]
        hits.append((coded[nearest] == coded[known][:, None]).mean(axis=1))
    diff = hits[1] - hits[0]
    return {"difference": round(float(diff.mean()), 4), "standard_error": round(float(diff.std(ddof=1) / np.sqrt(len(diff))), 4)}


def print_table(task: str, result: dict) -> None:
    keys = [k for k in result["rows"][0] if k not in ("embedder", "weighing")]
    print(f"\n{task}: {result['works']} works, {result['monochrome']} monochrome"
          + (f" (base rate {result['mono_base_rate']:.3f})" if result["mono_base_rate"] is not None else "")
          + f", {result['seconds']} s\n")
    print("| embedder | " + " | ".join(keys) + " |")
    print("|---|" + "---:|" * len(keys))
    for row in result["rows"]:
        cells = ["" if row[k] is None else f"{row[k]:.3f}" for k in keys]
        print(f"| {row['embedder']} | " + " | ".join(cells) + " |")
    for label, change in result.get("now_minus_first_fix_precision@10", {}).items():
        print(f"{label} precision@10, now minus first fix: {change['difference']:+.4f} "
              f"(standard error {change['standard_error']:.4f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", nargs="+", default=["aic", "fonts", "wikiart"], choices=["aic", "fonts", "wikiart", "sample"])
    parser.add_argument("--wikiart-per-style", type=int, default=100)
    parser.add_argument("--tried", nargs="*", default=["aic"],
                        help="tasks on which the variants tried and not kept are measured too")
    parser.add_argument("--cache", type=Path, default=ROOT / "build" / "bench-cache")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "fallback_parts.json")
    args = parser.parse_args()
    out = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() else {}
    for task in args.tasks:
        out[task] = run_task(task, args)
        print_table(task, out[task])
    out["machine"] = {"cpus": os.cpu_count(), "platform": platform.platform()}
    out["command"] = "python -m benchmarks.fallback_parts --tasks " + " ".join(args.tasks) + (
        f" --wikiart-per-style {args.wikiart_per_style}" if "wikiart" in args.tasks else "") + (
        " --tried " + " ".join(args.tried) if args.tried != ["aic"] else "")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
