"""atlas.ingest.images.open_rgb on real files of every awkward kind a museum folder holds."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from atlas.ingest.images import MAX_PIXELS, ImageError, open_rgb


def noise(width: int, height: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), mode="RGB")


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG whose IHDR claims width x height (8-bit grey) but holds almost no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")
    )
    return path


def reason(path: Path, **kwargs) -> str:
    with pytest.raises(ImageError) as info:
        open_rgb(path, **kwargs)
    return str(info.value)


# --- conversions -------------------------------------------------------------------------------------


def test_cmyk_jpeg_becomes_rgb_with_its_colour(tmp_path):
    path = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (30, 20), (0, 255, 255, 0)).save(path, quality=95)  # pure red in CMYK
    assert Image.open(path).mode == "CMYK"
    out = open_rgb(path)
    assert out.mode == "RGB" and out.size == (30, 20)
    r, g, b = out.getpixel((15, 10))
    assert r > 200 and g < 60 and b < 60


def test_16_bit_greyscale_is_stretched_not_clipped(tmp_path):
    ramp = np.tile(np.linspace(0, 65535, 256).round().astype(np.uint16), (4, 1))  # 256 wide, 4 high
    path = tmp_path / "grey16.png"
    Image.fromarray(ramp).save(path)
    assert Image.open(path).mode == "I;16"
    out = open_rgb(path)
    assert out.mode == "RGB" and out.size == (256, 4)
    row = np.asarray(out)[0, :, 0].astype(int)
    assert row[0] == 0 and row[-1] == 255
    # Clipping at 255 would make almost the whole ramp white; a stretch keeps it a ramp.
    assert np.all(np.diff(row) >= 0)
    assert abs(row[128] - 128) <= 1
    assert len(np.unique(row)) > 200


def test_16_bit_greyscale_uses_its_actual_range(tmp_path):
    # A 12-bit scan stored in 16 bits (values 0..4095) fills 0..255, it is not left nearly black.
    ramp = np.tile(np.linspace(100, 4095, 64).round().astype(np.uint16), (2, 1))
    path = tmp_path / "grey12.png"
    Image.fromarray(ramp).save(path)
    grey = np.asarray(open_rgb(path))[0, :, 0].astype(int)
    assert grey[0] == 0 and grey[-1] == 255


def test_palette_png_transparency_becomes_white(tmp_path):
    img = Image.new("P", (10, 8), 0)
    img.putpalette([0, 0, 0, 255, 0, 0] + [0] * (254 * 3))
    img.putpixel((2, 3), 1)  # one opaque red pixel; index 0 (black) is transparent
    path = tmp_path / "palette.png"
    img.save(path, transparency=0)
    assert Image.open(path).mode == "P"
    out = open_rgb(path)
    assert out.mode == "RGB" and out.size == (10, 8)
    assert out.getpixel((0, 0)) == (255, 255, 255)
    assert out.getpixel((2, 3)) == (255, 0, 0)


@pytest.mark.parametrize("mode,opaque,key", [("RGB", (255, 0, 0), (0, 0, 0)), ("L", 200, 0)])
def test_colour_key_transparency_becomes_white(tmp_path, mode, opaque, key):
    img = Image.new(mode, (8, 8), opaque)
    img.putpixel((0, 0), key)
    path = tmp_path / f"{mode}-trns.png"
    img.save(path, transparency=key)
    assert Image.open(path).info.get("transparency") == key
    out = open_rgb(path)
    assert out.getpixel((0, 0)) == (255, 255, 255)


@pytest.mark.parametrize("mode", ["LA", "RGBA"])
def test_alpha_is_composited_on_white(tmp_path, mode):
    if mode == "LA":
        img = Image.new("LA", (6, 4), (0, 0))  # fully transparent black
        img.putpixel((1, 1), (50, 255))  # opaque dark grey
        img.putpixel((2, 1), (0, 128))  # half-transparent black
        opaque, half = (50, 50, 50), 127
    else:
        img = Image.new("RGBA", (6, 4), (0, 0, 0, 0))
        img.putpixel((1, 1), (10, 20, 200, 255))
        img.putpixel((2, 1), (0, 0, 0, 128))
        opaque, half = (10, 20, 200), 127
    path = tmp_path / f"{mode}.png"
    img.save(path)
    assert Image.open(path).mode == mode
    out = open_rgb(path)
    assert out.mode == "RGB" and out.size == (6, 4)
    assert out.getpixel((0, 0)) == (255, 255, 255)
    assert out.getpixel((1, 1)) == opaque
    assert all(abs(c - half) <= 1 for c in out.getpixel((2, 1)))


def test_greyscale_l(tmp_path):
    arr = np.tile(np.arange(0, 250, 10, dtype=np.uint8), (7, 1))  # 25 wide, 7 high
    path = tmp_path / "grey.png"
    Image.fromarray(arr, mode="L").save(path)
    out = open_rgb(path)
    assert out.mode == "RGB" and out.size == (25, 7)
    rgb = np.asarray(out)
    assert np.array_equal(rgb[..., 0], arr) and np.array_equal(rgb[..., 1], arr) and np.array_equal(rgb[..., 2], arr)


def test_animated_gif_gives_the_first_frame(tmp_path):
    frames = [Image.new("RGB", (16, 12), colour) for colour in [(255, 0, 0), (0, 0, 255), (0, 255, 0)]]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    with Image.open(path) as gif:
        assert gif.n_frames == 3
        gif.seek(2)  # the file really holds other frames
        assert gif.convert("RGB").getpixel((3, 3)) == (0, 255, 0)
    out = open_rgb(path)
    assert out.mode == "RGB" and out.size == (16, 12)
    assert out.getpixel((3, 3)) == (255, 0, 0)


def test_exif_orientation_is_applied(tmp_path):
    img = noise(40, 20)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    path = tmp_path / "rotated.jpg"
    img.save(path, exif=exif, quality=95)
    assert Image.open(path).size == (40, 20)
    out = open_rgb(path)
    assert out.mode == "RGB" and out.size == (20, 40)


def test_plain_rgb_jpeg_keeps_size(tmp_path):
    path = tmp_path / "plain.jpg"
    noise(33, 17).save(path)
    out = open_rgb(path)
    assert out.mode == "RGB" and out.size == (33, 17)


# --- refusals ----------------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    assert "not found" in reason(tmp_path / "nope.jpg")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    assert "empty" in reason(path)


def test_truncated_jpeg(tmp_path):
    path = tmp_path / "cut.jpg"
    noise(64, 48).save(path, quality=90)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    # Pillow opens the header, then fails while decoding: "image file is truncated (N bytes not processed)".
    text = reason(path)
    assert "truncated or corrupt" in text
    assert "image file is truncated" in text


def test_random_bytes(tmp_path):
    path = tmp_path / "noise.jpg"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    assert "not a recognised image format" in reason(path)


def test_a_directory_is_refused_not_crashed(tmp_path):
    folder = tmp_path / "folder.jpg"
    folder.mkdir()
    assert "truncated or corrupt" in reason(folder)


def test_max_pixels_refuses_a_normal_image_over_the_limit(tmp_path):
    path = tmp_path / "normal.png"
    noise(40, 30).save(path)
    text = reason(path, max_pixels=40 * 30 - 1)
    assert "too large" in text and "40x30" in text
    assert open_rgb(path, max_pixels=40 * 30).size == (40, 30)  # exactly at the limit is allowed


def test_real_decompression_bomb_header_is_refused(tmp_path):
    path = png_header_only(tmp_path / "bomb.png", 12_000, 12_000)  # 144 Mpx claimed, a few bytes on disk
    assert 12_000 * 12_000 > MAX_PIXELS
    assert path.stat().st_size < 200
    assert "too large" in reason(path)


def test_image_under_max_pixels_is_not_refused_as_too_large(tmp_path):
    path = png_header_only(tmp_path / "big.png", 9_500, 9_500)  # 90.25 Mpx: under MAX_PIXELS
    assert 9_500 * 9_500 < MAX_PIXELS
    # The header-only file cannot decode, but it must fail as corrupt, not as too large.
    assert "too large" not in reason(path)
