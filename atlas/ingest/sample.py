"""A bundled sample collection, drawn by code, so the atlas can be built and tested with no downloads.

Every work is one of eight subjects (boat, bird, flower, ...) drawn as a large, dark silhouette in one
culture's palette and border motif and with one medium's texture. The same subject keeps the same
silhouette across cultures and media, so real visual analogies exist: even an untrained CNN finds, for
most works, a neighbour of the same subject in every other culture. The metadata is deliberately messy
(several raw spellings per culture, museum-style free-text dates) so label normalisation and date
parsing have real work to do; SAMPLE_LABEL_RULES maps every raw label written here to its group.

Generation is deterministic (same seed -> byte-identical files) and cached: out_dir/VERSION records
SAMPLE_VERSION and the seed and is written last, so an interrupted run is simply redone.
"""

from __future__ import annotations

import csv
import functools
import itertools
import math
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

SAMPLE_VERSION: int = 1  # bump whenever the drawing or the metadata changes
SIZE = 160  # output side in px; drawn at 2x and downsampled for smooth edges
_S = SIZE * 2
VARIANTS = 2  # works per (culture, medium, subject)
JPEG_QUALITY = 88
COLUMNS = ["id", "title", "artist", "date", "culture", "medium", "subject", "image"]

CULTURES: list[str] = ["Chinese", "Japanese", "Dutch", "British", "Persian", "Mexican"]
MEDIA: list[str] = ["Painting", "Ceramic", "Textile", "Print", "Drawing"]
SUBJECTS: list[str] = ["boat", "bird", "flower", "face", "mountain", "vase", "horse", "house"]

# Raw culture labels, several per group, the way different departments and donors wrote them.
_CULTURE_RAW: dict[str, list[str]] = {
    "Chinese": ["China", "Chinese", "China, Jiangxi province", "Chinese, for export market", "china"],
    "Japanese": ["Japan", "Japanese", "Japan, Edo period", "JAPAN"],
    "Dutch": ["Netherlands", "Dutch", "Holland", "Netherlandish", "The Netherlands, Delft"],
    "British": ["England", "United Kingdom", "British", "British, London", "Great Britain"],
    "Persian": ["Iran", "Persian", "Persia", "Iran, Isfahan", "Iran (Persia)"],
    "Mexican": ["Mexico", "Mexican", "New Spain", "Mexico, Puebla", "Mexican (New Spain)"],
}

# Raw medium strings per medium group and culture: realistic catalogue wording.
_MEDIUM_RAW: dict[str, dict[str, list[str]]] = {
    "Painting": {
        "Chinese": ["Hanging scroll; ink and color on silk", "Album leaf; ink and color on silk"],
        "Japanese": ["Hanging scroll; ink and color on silk", "Ink and color on paper"],
        "Dutch": ["Oil on canvas", "Oil on panel", "Oil on oak panel"],
        "British": ["Oil on canvas", "Watercolor on paper"],
        "Persian": ["Opaque watercolor and gold on paper", "Ink, opaque watercolor and gold on paper"],
        "Mexican": ["Oil on canvas", "Oil on copper"],
    },
    "Ceramic": {
        "Chinese": ["Porcelain painted in underglaze blue", "Stoneware with celadon glaze"],
        "Japanese": ["Porcelain with overglaze enamels (Imari ware)", "Stoneware (Seto ware)"],
        "Dutch": ["Tin-glazed earthenware (Delftware)", "Delftware"],
        "British": ["Creamware", "Soft-paste porcelain", "Earthenware, transfer-printed"],
        "Persian": ["Fritware, painted in blue under transparent glaze", "Stonepaste; polychrome painted"],
        "Mexican": ["Tin-glazed earthenware (Talavera poblana)", "Earthenware, burnished"],
    },
    "Textile": {
        "Chinese": ["Silk tapestry (kesi)", "Silk embroidery on satin"],
        "Japanese": ["Silk; resist-dyed and embroidered", "Silk brocade"],
        "Dutch": ["Wool, tapestry weave", "Linen damask"],
        "British": ["Wool and silk; tapestry weave", "Cotton, embroidered with wool (crewelwork)"],
        "Persian": ["Silk tapestry", "Wool and cotton; knotted pile"],
        "Mexican": ["Cotton, embroidered with silk", "Wool, tapestry weave (sarape)"],
    },
    "Print": {
        "Chinese": ["Woodblock print; ink and color on paper", "Woodblock print; ink on paper"],
        "Japanese": ["Woodblock print; ink and color on paper", "Woodblock print (nishiki-e)"],
        "Dutch": ["Etching", "Engraving", "Etching and drypoint"],
        "British": ["Engraving", "Mezzotint", "Hand-colored etching"],
        "Persian": ["Lithograph", "Lithograph; ink on paper"],
        "Mexican": ["Relief etching on paper", "Linocut", "Lithograph"],
    },
    "Drawing": {
        "Chinese": ["Ink on paper", "Brush and ink on paper"],
        "Japanese": ["Brush and ink on paper", "Ink on paper"],
        "Dutch": ["Pen and brown ink", "Black chalk", "Pen and brown ink, brown wash"],
        "British": ["Graphite on paper", "Pen and brown ink", "Red chalk"],
        "Persian": ["Ink on paper", "Ink and gold on paper"],
        "Mexican": ["Pen and black ink", "Graphite on paper", "Red chalk"],
    },
}


def _label_rules() -> dict[str, dict[str, list[str]]]:
    """{"culture"|"medium": {group: [raw, ...]}}, derived from the tables above so it cannot drift."""
    media: dict[str, list[str]] = {}
    for medium, per_culture in _MEDIUM_RAW.items():
        media[medium] = sorted({raw for raws in per_culture.values() for raw in raws})
    return {"culture": {c: list(raws) for c, raws in _CULTURE_RAW.items()}, "medium": media}


SAMPLE_LABEL_RULES: dict[str, dict[str, list[str]]] = _label_rules()

_ERAS: dict[str, tuple[int, int]] = {  # years each culture's works are dated in
    "Chinese": (1400, 1890), "Japanese": (1610, 1865), "Dutch": (1600, 1720),
    "British": (1700, 1880), "Persian": (1500, 1800), "Mexican": (1650, 1900),
}
_ARTISTS: dict[str, list[str]] = {  # invented names, plausible per culture
    "Chinese": ["Lu Wenqing", "Gao Shanyin", "Xu Peilan", "Tang Yichen", "Fang Zhiyuan"],
    "Japanese": ["Kanaya Hokusen", "Ishida Baikō", "Naruse Shōzan", "Okabe Kiyoharu", "Mizuno Tōrei"],
    "Dutch": ["Pieter van Hoorn", "Jan Claesz. Verbeek", "Aeltje de Wit", "Willem Roosendael"],
    "British": ["Thomas Ashcombe", "Mary Pelham", "John Wrexford", "Hannah Coldwell", "Edward Lisle"],
    "Persian": ["Ali Naqqash Shirazi", "Mirza Kamal Isfahani", "Yusuf Kashani", "Aqa Javad"],
    "Mexican": ["Miguel Cortázar", "Juana Olvera", "Nicolás Ezquerra", "Lucía Montalvo"],
}
_TITLES: dict[str, tuple[list[str], str]] = {  # standalone titles, and the phrase for "Dish with ..."
    "boat": (["Boat at dusk", "Fishing boat", "Sailing boat on a river", "Ferry crossing"], "a sailing boat"),
    "bird": (["Bird in flight", "Swallow", "Crane rising", "Bird over water"], "a flying bird"),
    "flower": (["Flower", "Peony", "Single blossom", "Flowering stem"], "a flowering stem"),
    "face": (["Portrait of a woman", "Head of a man", "Study of a face", "Young man"], "a face"),
    "mountain": (["Mountain landscape", "Twin peaks", "Mountains at sunrise", "Far hills"], "mountains"),
    "vase": (["Vase with peonies", "Still life with a vase", "Vase", "Tall vase"], "a vase"),
    "horse": (["Horse", "Standing horse", "Horse in a field", "Grey stallion"], "a horse"),
    "house": (["House by a road", "Farmhouse", "Cottage", "House with a chimney"], "a house"),
}
_CARRIERS = {"Ceramic": ["Dish", "Plate", "Charger", "Bowl"], "Textile": ["Panel", "Hanging", "Cover"]}

RGB = tuple[int, int, int]
# Culture palette: ground (light), ink (dark, carries the silhouette), accent (mid-dark), border motif.
_PALETTES: dict[str, tuple[RGB, RGB, RGB, str]] = {
    "Chinese": ((241, 233, 212), (28, 48, 120), (168, 42, 32), "fret"),
    "Japanese": ((236, 226, 206), (34, 34, 52), (196, 74, 44), "wave"),
    "Dutch": ((216, 198, 152), (58, 38, 24), (38, 70, 128), "dot"),
    "British": ((222, 226, 212), (36, 58, 44), (132, 30, 42), "bar"),
    "Persian": ((204, 230, 226), (24, 40, 112), (176, 132, 40), "diamond"),
    "Mexican": ((246, 226, 204), (112, 28, 62), (214, 112, 26), "zigzag"),
}


# ---------------------------------------------------------------- subjects (unit box, y down)
Part = tuple[str, list[tuple[float, float]]]  # (role: fill | accent | hole, polygon)


def _ellipse(cx: float, cy: float, rx: float, ry: float, angle: float = 0.0, n: int = 28) -> list:
    """An ellipse as a polygon, so every part can be rotated with one transform."""
    ca, sa = math.cos(angle), math.sin(angle)
    unit = [(rx * math.cos(2 * math.pi * k / n), ry * math.sin(2 * math.pi * k / n)) for k in range(n)]
    return [(cx + x * ca - y * sa, cy + x * sa + y * ca) for x, y in unit]


def _rect(x0: float, y0: float, x1: float, y1: float) -> list:
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def _vase_outline() -> list:
    """A symmetric vase profile: lip, neck, shoulder, belly, foot."""
    profile = [(-0.95, 0.26), (-0.86, 0.15), (-0.6, 0.14), (-0.38, 0.46), (-0.1, 0.6),
               (0.25, 0.56), (0.55, 0.36), (0.8, 0.24), (0.92, 0.32)]
    right = [(w, y) for y, w in profile]
    return right + [(-w, y) for w, y in reversed(right)]


def _subject_parts(subject: str) -> list[Part]:
    """Each subject's silhouette: large, distinctive and identical across cultures and media."""
    if subject == "boat":
        return [("fill", [(-0.95, 0.32), (0.95, 0.32), (0.62, 0.7), (-0.62, 0.7)]),
                ("fill", _rect(-0.05, -0.9, 0.05, 0.34)),
                ("accent", [(0.08, -0.82), (0.08, 0.22), (0.78, 0.22)]),
                ("fill", [(-0.08, -0.7), (-0.08, 0.22), (-0.66, 0.22)])]
    if subject == "bird":
        return [("fill", _ellipse(0.0, 0.2, 0.55, 0.2)), ("fill", _ellipse(0.55, 0.02, 0.19, 0.17)),
                ("fill", [(0.7, -0.04), (0.98, 0.04), (0.7, 0.1)]),
                ("fill", [(-0.3, 0.12), (0.15, 0.12), (-0.6, -0.85)]),
                ("accent", [(-0.05, 0.12), (0.32, 0.12), (0.2, -0.92)]),
                ("fill", [(-0.45, 0.15), (-0.97, -0.05), (-0.92, 0.42)]),
                ("hole", _ellipse(0.6, -0.02, 0.05, 0.05))]
    if subject == "flower":
        petals = [("fill", _ellipse(0.34 * math.cos(a), -0.3 + 0.34 * math.sin(a), 0.27, 0.14, a))
                  for a in (k * math.pi / 3 for k in range(6))]
        return [("fill", _rect(-0.04, -0.2, 0.04, 0.95)),
                ("accent", [(0.02, 0.62), (0.36, 0.32), (0.6, 0.38), (0.3, 0.7)])] + petals + [
                ("hole", _ellipse(0.0, -0.3, 0.15, 0.15)), ("accent", _ellipse(0.0, -0.3, 0.09, 0.09))]
    if subject == "face":
        return [("fill", _ellipse(0.0, -0.05, 0.58, 0.78)), ("fill", _rect(-0.2, 0.6, 0.2, 0.98)),
                ("hole", _ellipse(-0.23, -0.15, 0.13, 0.08)), ("hole", _ellipse(0.23, -0.15, 0.13, 0.08)),
                ("hole", _ellipse(0.0, 0.38, 0.24, 0.07)), ("hole", _rect(-0.04, -0.05, 0.04, 0.2))]
    if subject == "mountain":
        return [("fill", [(-0.98, 0.8), (-0.2, -0.8), (0.58, 0.8)]),
                ("accent", [(-0.05, 0.8), (0.45, -0.3), (0.98, 0.8)]),
                ("hole", [(-0.2, -0.8), (-0.38, -0.44), (-0.26, -0.5), (-0.16, -0.42), (-0.03, -0.46)]),
                ("fill", _ellipse(0.62, -0.66, 0.15, 0.15))]
    if subject == "vase":
        return [("fill", _vase_outline()), ("hole", _rect(-0.6, -0.02, 0.6, 0.06)),
                ("accent", _rect(-0.58, 0.06, 0.58, 0.16))]
    if subject == "horse":
        legs = [("fill", _rect(x - 0.05, 0.05, x + 0.05, 0.86)) for x in (-0.45, -0.28, 0.26, 0.42)]
        return legs + [("fill", _ellipse(0.0, 0.0, 0.58, 0.24)),
                       ("fill", [(0.3, 0.05), (0.52, -0.58), (0.72, -0.52), (0.56, 0.08)]),
                       ("fill", [(0.52, -0.62), (0.7, -0.75), (0.98, -0.42), (0.9, -0.33), (0.66, -0.44)]),
                       ("accent", [(-0.54, -0.08), (-0.88, 0.45), (-0.74, 0.5), (-0.5, 0.06)])]
    if subject == "house":
        return [("fill", _rect(-0.62, -0.1, 0.62, 0.85)), ("fill", _rect(0.32, -0.72, 0.48, -0.3)),
                ("accent", [(-0.82, -0.05), (0.0, -0.82), (0.82, -0.05)]),
                ("hole", _rect(-0.12, 0.38, 0.12, 0.85)), ("hole", _rect(-0.46, 0.1, -0.22, 0.32)),
                ("hole", _rect(0.22, 0.1, 0.46, 0.32))]
    raise ValueError(f"unknown subject {subject!r}")


def _place(parts: list[Part], rng: np.random.Generator, radius: float) -> list[Part]:
    """Map unit-box parts to canvas pixels, with a little jitter of scale, rotation and position;
    half the works face the other way, as real boats, birds and horses do."""
    scale = radius * rng.uniform(0.9, 1.04)
    flip = -1 if rng.random() < 0.5 else 1
    angle = math.radians(rng.uniform(-8, 8))
    cx, cy = _S / 2 + rng.uniform(-8, 8), _S / 2 + rng.uniform(-8, 8)
    ca, sa = math.cos(angle), math.sin(angle)
    return [(role, [(cx + scale * (flip * x * ca - y * sa), cy + scale * (flip * x * sa + y * ca))
                   for x, y in pts])
            for role, pts in parts]


# ---------------------------------------------------------------- rendering
# Compositing uses PIL's paste-with-mask (C code) and masks shared by every work are cached: the whole
# sample must generate in a few seconds, since tests and first builds do it.
def _masks(parts: list[Part]) -> tuple[Image.Image, Image.Image]:
    """(silhouette, accent) masks: holes cut through both, in drawing order."""
    shape, accent = Image.new("L", (_S, _S), 0), Image.new("L", (_S, _S), 0)
    ds, da = ImageDraw.Draw(shape), ImageDraw.Draw(accent)
    for role, pts in parts:
        ds.polygon(pts, fill=0 if role == "hole" else 255)
        da.polygon(pts, fill=255 if role == "accent" else 0)
    return shape, accent


@functools.cache
def _lines(step: int, width: int, diagonal: bool, value: int = 255) -> Image.Image:
    """A mask of parallel lines (hatching, weave)."""
    img = Image.new("L", (_S, _S), 0)
    d = ImageDraw.Draw(img)
    for k in range(-_S, 2 * _S, step):
        d.line([(k, 0), (k + _S, _S)] if diagonal else [(k, 0), (k, _S)], fill=value, width=width)
    return img


@functools.cache
def _soft_mask(kind: str) -> Image.Image:
    """Blurred masks for light effects: a glaze highlight, or a painting's darker lower half."""
    img = Image.new("L", (_S, _S), 0)
    if kind == "sheen":
        ImageDraw.Draw(img).ellipse([_S * 0.2, _S * 0.14, _S * 0.46, _S * 0.3], fill=120)
        return img.filter(ImageFilter.GaussianBlur(12))
    ImageDraw.Draw(img).rectangle([0, _S * 0.62, _S, _S], fill=70)  # painting: ground below a horizon
    return img.filter(ImageFilter.GaussianBlur(24))


@functools.cache
def _weave() -> Image.Image:
    """Over-and-under shading: alternate 4x4 stitches a little darker, with a dark gap between rows."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    shade = np.where((xx // 4 + yy // 4) % 2 == 0, 255, 228) - np.where(yy % 4 == 3, 30, 0)
    return Image.fromarray(shade.astype(np.uint8), "L").convert("RGB")


def _motif(d: ImageDraw.ImageDraw, kind: str, x: float, y: float, r: float, color: RGB) -> None:
    """One unit of a culture's border motif, centred on (x, y)."""
    if kind == "fret":
        d.rectangle([x - r, y - r, x + r, y + r], outline=color, width=3)
        d.rectangle([x - r / 3, y - r / 3, x + r / 3, y + r / 3], fill=color)
    elif kind == "wave":
        d.arc([x - r, y - r, x + r, y + r], 180, 360, fill=color, width=3)
        d.arc([x - r / 2, y - r / 2, x + r / 2, y + r / 2], 180, 360, fill=color, width=2)
    elif kind == "dot":
        d.ellipse([x - r / 2, y - r / 2, x + r / 2, y + r / 2], fill=color)
    elif kind == "bar":
        d.rectangle([x - r, y - r / 4, x + r, y + r / 4], fill=color)
    elif kind == "diamond":
        d.polygon([(x, y - r), (x + r, y), (x, y + r), (x - r, y)], fill=color)
    else:  # zigzag
        d.polygon([(x - r, y + r), (x, y - r), (x + r, y + r)], fill=color)


def _border(img: Image.Image, kind: str, color: RGB, round_field: bool) -> None:
    """The culture's motif repeated along the frame (flat media) or around the rim (ceramics)."""
    d = ImageDraw.Draw(img)
    if round_field:
        rim = _S / 2 - 22
        for k in range(28):
            a = 2 * math.pi * k / 28
            _motif(d, kind, _S / 2 + rim * math.cos(a), _S / 2 + rim * math.sin(a), 6, color)
        return
    d.rectangle([3, 3, _S - 4, _S - 4], outline=color, width=3)
    for k in range(14, _S - 10, 24):
        for x, y in ((k, 11), (k, _S - 12), (11, k), (_S - 12, k)):
            _motif(d, kind, x, y, 6, color)


def _shade(color: RGB, factor: float) -> RGB:
    return tuple(min(255, int(c * factor)) for c in color)  # type: ignore[return-value]


def _render(culture: str, medium: str, subject: str, rng: np.random.Generator) -> Image.Image:
    """Draw one work: ground, silhouette and accent in the medium's manner, border, surface grain."""
    ground, ink, accent, motif = _PALETTES[culture]
    round_field = medium == "Ceramic"
    parts = _place(_subject_parts(subject), rng, 0.34 * _S if round_field else 0.4 * _S)
    shape, acc = _masks(parts)
    if medium == "Drawing":  # monochrome: brown (European) or black ink on paper, not the palette
        ground = (238, 228, 204)
        ink = accent = (80, 50, 30) if culture in ("Dutch", "British", "Mexican") else (34, 32, 30)
    img = Image.new("RGB", (_S, _S), ground)
    draw = ImageDraw.Draw(img)
    if round_field:  # a glazed plate on a dark table
        img.paste((70, 62, 56), (0, 0, _S, _S))
        draw.ellipse([8, 8, _S - 8, _S - 8], fill=ground)
    elif medium == "Painting":
        img.paste(_shade(ground, 0.8), mask=_soft_mask("horizon"))
    elif medium == "Print":
        img.paste(_shade(ground, 0.82), mask=_lines(8, 2, True))
    _paint_subject(img, medium, parts, shape, acc, ink, accent)
    if round_field:
        img.paste((255, 255, 255), mask=_soft_mask("sheen"))
    elif medium == "Textile":
        img.paste((0, 0, 0), mask=_lines(8, 2, False, 40))
        img.paste((0, 0, 0), mask=_lines(8, 2, False, 40).transpose(Image.Transpose.ROTATE_90))
    _border(img, motif, ink if medium == "Drawing" else accent, round_field)
    if medium == "Textile":  # coarse stitches: each 8x8 block (4x4 in the output) takes one colour
        stitches = img.resize((SIZE // 4, SIZE // 4), Image.BOX).resize((SIZE, SIZE), Image.NEAREST)
        return _grain(ImageChops.multiply(stitches, _weave()), rng, 3, 0)
    out = img.resize((SIZE, SIZE), Image.LANCZOS)
    return _grain(out, rng, *{"Painting": (4, 0.06), "Drawing": (5, 0.0)}.get(medium, (2, 0.0)))


def _paint_subject(img: Image.Image, medium: str, parts: list[Part], shape: Image.Image,
                   acc: Image.Image, ink: RGB, accent: RGB) -> None:
    """The silhouette in each medium's manner: soft-edged, flat and outlined, or hatched lines."""
    if medium == "Painting":
        shape, acc = shape.filter(ImageFilter.GaussianBlur(2)), acc.filter(ImageFilter.GaussianBlur(2))
    if medium == "Drawing":
        img.paste(ink, mask=ImageChops.darker(shape, _lines(7, 3, True)))
        draw = ImageDraw.Draw(img)
        for _, pts in parts:
            draw.polygon(pts, outline=ink, width=4)
        return
    img.paste(ink, mask=shape)
    img.paste(accent, mask=acc)
    if medium == "Print":  # woodblock key-block: a hard dark outline round every part
        draw = ImageDraw.Draw(img)
        for _, pts in parts:
            draw.polygon(pts, outline=(20, 18, 16), width=3)


def _grain(img: Image.Image, rng: np.random.Generator, sigma: float, mottle: float) -> Image.Image:
    """Surface grain (paper, canvas) and, for paintings, low-frequency brush mottling."""
    arr = np.asarray(img, np.float32)
    factor = 1.0
    if mottle:
        cells = Image.fromarray((rng.random((10, 10)) * 255).astype(np.uint8), "L")
        smooth = np.asarray(cells.resize(img.size, Image.BICUBIC), np.float32) / 255 - 0.5
        factor = 1 + mottle * smooth[..., None]
    arr = arr * factor + rng.normal(0, sigma, arr.shape[:2])[..., None]
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


# ---------------------------------------------------------------- metadata
def _date(culture: str, rng: np.random.Generator) -> str:
    """A date the way catalogues write it: exact, circa, a range, a century or part of one."""
    lo, hi = _ERAS[culture]
    year = int(rng.integers(lo, hi))
    century = year // 100 + 1
    nth = f"{century}th century"
    forms = [f"ca. {year}", str(year), nth, f"{year}-{year + int(rng.integers(5, 50))}",
             f"{['early', 'mid-', 'late'][int(rng.integers(3))]} {nth}".replace("- ", "-"),
             f"{year // 10 * 10}s", f"ca. {year}-{year + 20}"]
    return forms[int(rng.integers(len(forms)))]


def _title(subject: str, medium: str, rng: np.random.Generator) -> str:
    titles, phrase = _TITLES[subject]
    if medium in _CARRIERS and rng.random() < 0.6:
        return f"{_pick(_CARRIERS[medium], rng)} with {phrase}"
    return _pick(titles, rng)


def _pick(options: list[str], rng: np.random.Generator) -> str:
    return options[int(rng.integers(len(options)))]


def _works(seed: int) -> Iterator[tuple[dict[str, str], np.random.Generator, tuple[str, str, str]]]:
    """Every (culture, medium, subject, variant) in a fixed order, each with its own seeded RNG."""
    combos = itertools.product(CULTURES, MEDIA, SUBJECTS, range(VARIANTS))
    for index, (culture, medium, subject, _) in enumerate(combos, start=1):
        rng = np.random.default_rng([seed, index])
        work_id = f"S{index:04d}"
        row = {"id": work_id, "title": _title(subject, medium, rng),
               "artist": "Unknown" if rng.random() < 0.3 else _pick(_ARTISTS[culture], rng),
               "date": _date(culture, rng), "culture": _pick(_CULTURE_RAW[culture], rng),
               "medium": _pick(_MEDIUM_RAW[medium][culture], rng), "subject": subject,
               "image": f"images/{work_id}.jpg"}
        yield row, rng, (culture, medium, subject)


# ---------------------------------------------------------------- entry point
def generate_sample(out_dir: Path, seed: int = 0) -> Path:
    """Write out_dir/collection.csv and out_dir/images/<id>.jpg; return the CSV path.

    Deterministic: the same seed gives byte-identical files. When out_dir/VERSION already records
    this SAMPLE_VERSION and seed and the CSV exists, nothing is written (the fast path). VERSION is
    removed first and written last, so an interrupted generation is redone on the next call.
    """
    out_dir = Path(out_dir)
    csv_path, version_path = out_dir / "collection.csv", out_dir / "VERSION"
    stamp = f"{SAMPLE_VERSION} {seed}\n"
    if csv_path.exists() and version_path.exists() and version_path.read_text(encoding="utf-8") == stamp:
        return csv_path
    images = out_dir / "images"
    images.mkdir(parents=True, exist_ok=True)
    version_path.unlink(missing_ok=True)
    rows = []
    for row, rng, (culture, medium, subject) in _works(seed):
        image = _render(culture, medium, subject, rng)
        image.save(out_dir / row["image"], "JPEG", quality=JPEG_QUALITY)
        rows.append(row)
    expected = {Path(r["image"]).name for r in rows}
    for stale in images.glob("*.jpg"):  # left over from an older SAMPLE_VERSION
        if stale.name not in expected:
            stale.unlink()
    tmp = csv_path.with_suffix(".csv.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, csv_path)
    version_path.write_text(stamp, encoding="utf-8")
    return csv_path
