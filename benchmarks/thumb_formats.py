"""Thumbnail encodings side by side on real images: bytes, encode time and fidelity for the large size.

    python -m benchmarks.thumb_formats --images ../shared/data/aic-artwall/images --size 600

For each encoding (JPEG as atlas writes it now, JPEG progressive, lower JPEG qualities, WebP at several
qualities) every image is resized as atlas.ingest.thumbnails does (Lanczos, longest side `size`) and encoded;
the table gives the total bytes, the share of the current JPEG's, the mean PSNR against the resized image
(higher is closer) and whether two encodings of the same image gave the same bytes (the site must be
deterministic). Results go to benchmarks/results/thumb_formats.json.
"""

from __future__ import annotations

import argparse
import io
import json
import time
from pathlib import Path

import numpy as np
from PIL import Image

RESULTS = Path(__file__).resolve().parent / "results" / "thumb_formats.json"
ENCODINGS = {  # name -> Pillow save arguments
    "jpeg q82 (before)": {"format": "JPEG", "quality": 82, "optimize": True, "progressive": False},
    "jpeg q82 progressive": {"format": "JPEG", "quality": 82, "optimize": True, "progressive": True},
    "jpeg q75 progressive (now)": {"format": "JPEG", "quality": 75, "optimize": True, "progressive": True},
    "webp q82 method 6": {"format": "WEBP", "quality": 82, "method": 6},
    "webp q82": {"format": "WEBP", "quality": 82, "method": 4},
    "webp q80": {"format": "WEBP", "quality": 80, "method": 4},
    "webp q75": {"format": "WEBP", "quality": 75, "method": 4},
}


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)


def measure(paths: list[Path], size: int) -> dict[str, dict]:
    out = {name: {"bytes": 0, "seconds": 0.0, "psnr": [], "deterministic": True} for name in ENCODINGS}
    for path in paths:
        with Image.open(path) as opened:
            image = opened.convert("RGB")
        image.thumbnail((size, size), Image.Resampling.LANCZOS)
        reference = np.asarray(image)
        for name, args in ENCODINGS.items():
            start = time.perf_counter()
            buffer = io.BytesIO()
            image.save(buffer, **args)
            out[name]["seconds"] += time.perf_counter() - start
            data = buffer.getvalue()
            again = io.BytesIO()
            image.save(again, **args)
            out[name]["deterministic"] &= again.getvalue() == data
            out[name]["bytes"] += len(data)
            out[name]["psnr"].append(psnr(reference, np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))))
    for row in out.values():
        row["psnr"] = round(float(np.mean(row["psnr"])), 2)
        row["seconds"] = round(row["seconds"], 2)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--size", type=int, default=600)
    parser.add_argument("--limit", type=int, default=0, help="first N images only (0 = all)")
    args = parser.parse_args(argv)
    paths = sorted(p for p in args.images.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    paths = paths[: args.limit] if args.limit else paths
    rows = measure(paths, args.size)
    base = rows["jpeg q82 (before)"]["bytes"]
    print(f"{len(paths)} images of {args.images.name}, longest side {args.size} px\n")
    print("| encoding | MB | of before | mean PSNR dB | encode s | same bytes twice |\n|---|---:|---:|---:|---:|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['bytes'] / 1e6:.2f} | {r['bytes'] / base:.0%} | {r['psnr']} | {r['seconds']} | {r['deterministic']} |")
    old = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    old[f"{args.images.name}-{args.size}"] = {"images": len(paths), "size": args.size, "encodings": rows}
    RESULTS.write_text(json.dumps(old, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
