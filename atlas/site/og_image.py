"""Open Graph / Twitter card images: the two works of a pair side by side on one 1200 x 630 JPEG.

Made at build time with Pillow from the cached large thumbnails and cached under cache/cards/,
keyed by the two thumbnail files (whose names are their images' content hashes, see atlas.ingest.thumbnails)
and CARD_VERSION, so a rebuild composes only the pairs it has not seen. Each work fills its half's
panel, centred, but is never enlarged more than MAX_UPSCALE times: a blurred card is worse than a
smaller one, and bigger. On 40 sample pairs (160 px images), cards averaged 48 kB with the 2 x cap at
quality 75, and 79 kB when the images filled the panel (3.6 x) even at quality 70.

Under the two works, each one's title, and the site's name along the bottom (a preview shows the card
without the page around it). The text is drawn with Pillow's bundled font (ImageFont.load_default), the
same on every machine, so a card is deterministic; titles and the site name are part of the cache key.

Cards are written with their checksum and reused only when they match it (atlas.core.checked): a damaged
card is composed again, so it never reaches the site.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from atlas.core.cache import key_digest, sharded
from atlas.core.checked import is_checked, write_checked

CARD_VERSION = 2  # bump when the layout changes, so cached cards are remade (2: titles and site name)
CARD_SIZE = (1200, 630)  # what Facebook, LinkedIn and X (summary_large_image) ask for
PANEL = (560, 470)  # each work's box; below it its title, then the site's name
MARGIN_TOP = 20
TITLE_TOP = MARGIN_TOP + PANEL[1] + 14
FOOTER_TOP = 572
TITLE_SIZE, FOOTER_SIZE = 30, 26
BACKGROUND = (250, 248, 244)  # the site's paper colour
INK, MUTED, ACCENT = (29, 27, 24), (92, 87, 79), (138, 59, 18)  # atlas.css --ink, --muted, --accent
MAX_UPSCALE = 2.0
QUALITY = 75
KIND = "pair cards"  # how the build report and the site writer's check name these cache files


def panel_boxes(size_a: tuple[int, int], size_b: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    """(left, top, width, height) where each image is pasted: a in the left half, b in the right."""
    boxes = []
    for half, (w, h) in enumerate((size_a, size_b)):
        scale = min(PANEL[0] / w, PANEL[1] / h, MAX_UPSCALE)
        width, height = max(1, round(w * scale)), max(1, round(h * scale))
        left = half * CARD_SIZE[0] // 2 + (CARD_SIZE[0] // 2 - width) // 2
        top = MARGIN_TOP + (PANEL[1] - height) // 2
        boxes.append((left, top, width, height))
    return boxes


def compose_card(thumb_a: Path, thumb_b: Path, titles: tuple[str, str] = ("", ""), site_name: str = "") -> bytes:
    """The card as JPEG bytes; deterministic for the same thumbnails, titles and site name."""
    images = []
    for path in (thumb_a, thumb_b):
        with Image.open(path) as im:
            images.append(im.convert("RGB"))
    card = Image.new("RGB", CARD_SIZE, BACKGROUND)
    for image, (left, top, width, height) in zip(images, panel_boxes(images[0].size, images[1].size)):
        card.paste(image.resize((width, height), Image.Resampling.BICUBIC), (left, top))
    draw_text(card, titles, site_name)
    out = io.BytesIO()
    card.save(out, format="JPEG", quality=QUALITY)
    return out.getvalue()


def draw_text(card: Image.Image, titles: tuple[str, str], site_name: str) -> None:
    """Each title centred under its half (shortened to fit), the site's name centred along the bottom."""
    draw = ImageDraw.Draw(card)
    title_font = ImageFont.load_default(size=TITLE_SIZE)
    footer_font = ImageFont.load_default(size=FOOTER_SIZE)
    half = CARD_SIZE[0] // 2
    for i, title in enumerate(titles):
        text = fit(draw, title, title_font, PANEL[0])
        draw.text((i * half + half // 2, TITLE_TOP), text, font=title_font, fill=INK, anchor="ma")
    draw.line([(40, FOOTER_TOP - 12), (CARD_SIZE[0] - 40, FOOTER_TOP - 12)], fill=(226, 221, 211), width=2)
    draw.text((CARD_SIZE[0] // 2, FOOTER_TOP), fit(draw, site_name, footer_font, CARD_SIZE[0] - 80), font=footer_font,
              fill=ACCENT, anchor="ma")


def fit(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> str:
    """`text` on one line, cut at a word with '…' when it is wider than `width` pixels."""
    text = " ".join(text.split())
    if draw.textlength(text, font=font) <= width:
        return text
    words = text.split(" ")
    while len(words) > 1 and draw.textlength(" ".join(words) + "…", font=font) > width:
        words.pop()
    short = " ".join(words)
    while short and draw.textlength(short + "…", font=font) > width:
        short = short[:-1]
    return short + "…"


def cached_card(cache_dir: Path, thumb_a: Path, thumb_b: Path, titles: tuple[str, str] = ("", ""),
                site_name: str = "") -> tuple[Path, bool]:
    """(the card's file in the cache, whether it was made now). Raises OSError for an unreadable thumbnail."""
    key = key_digest(CARD_VERSION, CARD_SIZE, QUALITY, *(f"{p.parent.parent.name}/{p.name}" for p in (thumb_a, thumb_b)),
                     *titles, site_name)
    path = sharded(cache_dir / "cards", key, ".jpg")
    if is_checked(path, KIND):
        return path, False
    write_checked(path, compose_card(thumb_a, thumb_b, titles, site_name))
    return path, True
