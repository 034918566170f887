"""Sprite sheets (image atlases) of thumbnails for the map, built at build time.

Why: a browser that fetches 100,000 thumbnails one by one stalls on requests; the map instead draws
every work from a few large images, each holding a grid of small square cells. Cell i of the sheets
holds item i of the list given to `build_sheets`, row by row, so the index only has to say the cell
size, the grid and which ids the sheets hold, in order.

Sheets are JPEG (thumbnails are photographs of objects; PNG would be several times larger), and are
cached outside the site by a digest of everything that goes into them (cell size, quality, each item's
id and thumbnail digest), so a rebuild with unchanged thumbnails re-encodes nothing. Pillow's encoder is
deterministic, so the same input gives byte-identical sheets; file names carry their content hash so a
browser can cache them forever. A cached sheet is written with its checksum and used only when it
matches it (atlas.core.checked); a damaged one is drawn again, never published and never fatal.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from atlas.core.cache import sharded
from atlas.core.checked import read_checked, write_checked

SPRITE_VERSION = 1  # bump when the drawing of a cell changes, so cached sheets are remade
CELL = 48  # px: the side of one square cell (a thumbnail seen at map scale)
SHEET = 2048  # px: the largest side of one sheet (every WebGL and canvas implementation takes 2048)
QUALITY = 80  # JPEG quality of the sheets
BACKGROUND = (38, 35, 31)  # the map's background colour, behind thumbnails that are not square


@dataclass(frozen=True)
class Level:
    """One level of the sprite pyramid: square cells of `cell` px in sheets (tiles) of at most `sheet` px."""

    cell: int
    sheet: int
    quality: int


# The levels above level 0 (the CELL px sheets): drawn when a work is shown larger than level 0's cells, and
# fetched tile by tile for the works in view only. 128 px cells from the small thumbnail, 64 works a
# 1024 px tile (a small, compact region of the map in Z-order); quality 75 keeps a cell near 5 KB.
UPPER_LEVELS = (Level(128, 1024, 75),)


@dataclass(frozen=True)
class Sheet:
    """One encoded sheet: its bytes, the site file name it should get, how many cells it holds."""

    data: bytes
    name: str
    count: int
    width: int
    height: int


def grid_for(count: int, cell: int, sheet: int) -> tuple[int, int]:
    """(columns, rows) of a full sheet: as many whole cells as fit in sheet x sheet px."""
    if cell <= 0 or cell > sheet:
        raise ValueError(f"cell size {cell} must be between 1 and the sheet size {sheet}")
    columns = sheet // cell
    return columns, columns


def draw_cell(image: Image.Image, cell: int) -> Image.Image:
    """The image scaled to fit a cell x cell square (aspect kept), centred on the map background."""
    copy = image.convert("RGB")
    copy.thumbnail((cell, cell), Image.Resampling.LANCZOS)
    square = Image.new("RGB", (cell, cell), BACKGROUND)
    square.paste(copy, ((cell - copy.width) // 2, (cell - copy.height) // 2))
    return square


def sheet_key(items: Sequence[tuple[str, str]], cell: int, quality: int) -> str:
    """Digest of every input of one sheet: the cache key."""
    payload = json.dumps({"v": SPRITE_VERSION, "cell": cell, "q": quality, "items": list(items)}, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def encode_sheet(items: Sequence[tuple[str, str]], load: Callable[[str], Image.Image], cell: int, columns: int,
                 quality: int) -> tuple[bytes, int, int]:
    """Draw the items' cells row by row into one image and return (JPEG bytes, width, height)."""
    rows = -(-len(items) // columns)
    width = cell * min(columns, len(items))
    canvas = Image.new("RGB", (width, cell * rows), BACKGROUND)
    for i, (item_id, _) in enumerate(items):
        with load(item_id) as image:
            canvas.paste(draw_cell(image, cell), ((i % columns) * cell, (i // columns) * cell))
    out = io.BytesIO()
    canvas.save(out, format="JPEG", quality=quality, optimize=True, progressive=False)
    return out.getvalue(), canvas.width, canvas.height


def build_sheets(
    items: Sequence[tuple[str, str]],
    load: Callable[[str], Image.Image],
    cache_dir: Path | None,
    cell: int = CELL,
    sheet: int = SHEET,
    quality: int = QUALITY,
) -> list[Sheet]:
    """Sheets holding one cell per (id, thumbnail digest) item, in the order given.

    `load(id)` opens that item's image (only called for sheets not already in the cache). With a
    `cache_dir`, each sheet is read from / written to cache_dir/sprites/ under its `sheet_key`.
    """
    columns, rows = grid_for(len(items), cell, sheet)
    per_sheet = columns * rows
    sheets = []
    for start in range(0, len(items), per_sheet):
        chunk = list(items[start:start + per_sheet])
        key = sheet_key(chunk, cell, quality)
        cached = sharded(cache_dir / "sprites", key, ".jpg") if cache_dir else None
        data = read_checked(cached, "sprite sheets") if cached is not None else None
        if data is not None:
            with Image.open(io.BytesIO(data)) as im:
                width, height = im.size
        else:
            data, width, height = encode_sheet(chunk, load, cell, columns, quality)
            if cached is not None:
                write_checked(cached, data)
        name = f"sheet-{start // per_sheet}-{hashlib.sha256(data).hexdigest()[:12]}.jpg"
        sheets.append(Sheet(data, name, len(chunk), width, height))
    return sheets


def sheet_index(sheets: Sequence[Sheet], ids: Sequence[str], cell: int, sheet: int, base: str) -> dict:
    """The JSON index of cell positions: item i is in sheet i // per_sheet at cell i % per_sheet.

    `base` is the URL folder the sheets are published under (their `url` is base + name).
    """
    columns, rows = grid_for(len(ids), cell, sheet)
    return {
        "cell": cell,
        "columns": columns,
        "per_sheet": columns * rows,
        "sheets": [{"url": base + s.name, "count": s.count, "width": s.width, "height": s.height} for s in sheets],
        "ids": list(ids),
    }


def cell_position(index: dict, i: int) -> tuple[int, int, int]:
    """(sheet number, x px, y px) of item i's cell, as the map script computes it."""
    sheet, k = divmod(i, index["per_sheet"])
    return sheet, (k % index["columns"]) * index["cell"], (k // index["columns"]) * index["cell"]
