"""Opening collection images safely: one function that turns any image file into an 8-bit RGB picture.

Museum image folders hold everything: CMYK JPEGs, 16-bit TIFFs, palette PNGs with transparency,
greyscale scans, animated GIFs, truncated downloads and the occasional 50,000 x 50,000 px scan. All the
usable ones are converted here (not rejected); the unusable ones raise ImageError with a reason that the
build report can show next to the record.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 100_000_000  # larger images are refused as possible decompression bombs


class ImageError(Exception):
    """The file is not a usable image; str(exc) is the reason shown in the build report."""


def open_rgb(path: Path, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Decode `path` into an RGB image (first frame, EXIF orientation applied, alpha on white)."""
    try:
        if path.stat().st_size == 0:
            raise ImageError("image file is empty (0 bytes)")
    except FileNotFoundError as exc:
        raise ImageError(f"image file not found: {path}") from exc
    try:
        with warnings.catch_warnings():
            # Our own size check below runs before decoding; Pillow's warning (at 89 Mpx) would
            # otherwise override max_pixels. Its hard error (at about 179 Mpx) is still caught.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                if img.width * img.height > max_pixels:
                    raise ImageError(
                        f"image too large: {img.width}x{img.height} px is over the "
                        f"{max_pixels:,} px limit (possible decompression bomb)"
                    )
                img.seek(0)  # animated GIF/PNG/WebP: the first frame stands for the work
                img.load()
                return _to_rgb(ImageOps.exif_transpose(img))
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"image too large (possible decompression bomb): {exc}") from exc
    except UnidentifiedImageError as exc:
        raise ImageError("not a recognised image format (corrupt or not an image)") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"image could not be decoded (truncated or corrupt): {exc}") from exc


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        return _high_bit_depth_to_rgb(img)
    if img.mode in ("P", "L", "RGB") and "transparency" in img.info:  # palette index or colour key
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


def _high_bit_depth_to_rgb(img: Image.Image) -> Image.Image:
    """16-bit or float greyscale: stretch the actual value range to 0-255 instead of clipping."""
    values = np.asarray(img, dtype=np.float64)
    low, high = float(values.min()), float(values.max())
    scaled = np.zeros_like(values) if high <= low else (values - low) * (255.0 / (high - low))
    return Image.fromarray(scaled.round().astype(np.uint8), mode="L").convert("RGB")
