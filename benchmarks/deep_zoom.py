"""Deep-zoom tiles: bytes per work and tile-making time, by image size (issue 16, publishing).

    python benchmarks/deep_zoom.py                       # AIC paintings from ../shared/data + noise, 2-8k px
    python benchmarks/deep_zoom.py --sizes 3000 --images 2

No collection here has images larger than 512 px, so each source is made at the size asked for: (a) real
paintings (../shared/data/aic-artwall, the first --images by id) enlarged with libvips' Lanczos resize and
saved as JPEG quality 90, standing in for a museum's master JPEG (smoother than a real scan, so their tiles
are on the small side); (b) uniform noise, the worst case for JPEG (an upper bound). Each is tiled with a
fresh cache through atlas.ingest.tiles.ensure_tiles (what the build runs: header, autorotate, sRGB, dzsave
IIIF 3), then asked again to time the cached path a rebuild takes. With --site-works N it also builds a
small atlas of N enlarged paintings (tests/conftest.write_small_collection, deep zoom on) twice, with and
without deep zoom, and reports the deep zoom and pages stages of the build and of a no-change rebuild (the
pages stage copies every tile into the staging folder, carried over by hard link when unchanged). Prints
tables and writes benchmarks/results/deep_zoom.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np
import pyvips

from atlas.core.config import DeepZoomConfig
from atlas.ingest.tiles import ensure_tiles

AIC = ROOT.parent / "shared" / "data" / "aic-artwall" / "images"


def make_sources(folder: Path, sizes: list[int], count: int) -> list[tuple[str, int, Path]]:
    """(kind, longest side, JPEG path) of every source to tile."""
    out = []
    paintings = sorted(AIC.glob("*.jpg"))[:count] if AIC.is_dir() else []
    for size in sizes:
        for painting in paintings:
            image = pyvips.Image.new_from_file(str(painting))
            image = image.resize(size / max(image.width, image.height), kernel="lanczos3")
            path = folder / f"{painting.stem}-{size}.jpg"
            image.jpegsave(str(path), Q=90)
            out.append((f"painting {painting.stem}", size, path))
        rng = np.random.default_rng(size)
        noise = rng.integers(0, 256, (size * 3 // 4, size, 3), dtype=np.uint8)
        path = folder / f"noise-{size}.jpg"
        pyvips.Image.new_from_array(noise, interpretation="srgb").jpegsave(str(path), Q=90)
        out.append(("noise", size, path))
    return out


def measure(kind: str, size: int, path: Path, settings: DeepZoomConfig, cache: Path) -> dict:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()  # the cache key the build uses
    started = time.perf_counter()
    tiles, fresh, _ = ensure_tiles(path, digest, settings, 600, cache)
    made = time.perf_counter() - started
    started = time.perf_counter()
    again, fresh_again, _ = ensure_tiles(path, digest, settings, 600, cache)
    reused = time.perf_counter() - started
    assert fresh and not fresh_again and again == tiles
    return {"kind": kind, "longest_side": size, "width": tiles.width, "height": tiles.height,
            "megapixels": round(tiles.width * tiles.height / 1e6, 2), "source_bytes": path.stat().st_size,
            "tile_files": len(tiles.files), "tile_bytes": tiles.size_bytes,
            "tiles_per_source": round(tiles.size_bytes / path.stat().st_size, 2),
            "make_seconds": round(made, 3), "cached_seconds": round(reused, 4)}


def site_builds(folder: Path, works: int, size: int) -> list[dict]:
    """Build (and rebuild unchanged) a small atlas of `works` paintings at `size` px, deep zoom on and off."""
    from atlas.build import build
    from atlas.core.config import load_config
    from tests.conftest import write_small_collection

    paintings = sorted(AIC.glob("*.jpg"))[:works]
    images = folder / "images"
    images.mkdir(parents=True)
    rows = []
    for n, painting in enumerate(paintings):
        image = pyvips.Image.new_from_file(str(painting))
        image.resize(size / max(image.width, image.height), kernel="lanczos3").jpegsave(str(images / painting.name), Q=90)
        rows.append({"id": painting.stem, "title": painting.stem, "culture": "ABC"[n % 3], "medium": "Oil",
                     "image": str(images / painting.name)})
    out = []
    for enabled in (False, True):
        site = folder / ("zoom" if enabled else "plain")
        site.mkdir()
        config = load_config(write_small_collection(site, rows, "Benchmark", deep_zoom={"enabled": enabled},
                                                           collection={"allow_outside_paths": True}))
        for run in ("build", "no-change rebuild"):
            report = build(config)
            out.append({"deep_zoom": enabled, "run": run, "works": len(rows), "longest_side": size,
                        "deep_zoom_s": report.timings.get("deep zoom", 0.0), "pages_s": report.timings["pages"],
                        "publish_s": report.timings["publish"], "site_bytes": report.counts["site_bytes"],
                        "tile_bytes": report.counts.get("deep_zoom_bytes", 0)})
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 4000, 8000])
    parser.add_argument("--images", type=int, default=3, help="AIC paintings per size")
    parser.add_argument("--tile-size", type=int, default=512)
    parser.add_argument("--quality", type=int, default=80)
    parser.add_argument("--site-works", type=int, default=0, help="also build an atlas of this many paintings")
    parser.add_argument("--site-size", type=int, default=4000, help="their longest side in px")
    parser.add_argument("--output", default=str(ROOT / "benchmarks/results/deep_zoom.json"))
    args = parser.parse_args(argv)
    settings = DeepZoomConfig(enabled=True, min_size=0, tile_size=args.tile_size, quality=args.quality)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, size, path in make_sources(Path(tmp), args.sizes, args.images):
            rows.append(measure(kind, size, path, settings, Path(tmp) / "cache"))
    print(f"{'source':<18} {'px':>11} {'Mpx':>6} {'source MB':>9} {'files':>6} {'tiles MB':>8} {'tiles/src':>9} "
          f"{'make s':>7} {'cached ms':>9}")
    for r in rows:
        print(f"{r['kind']:<18} {r['width']:>5}x{r['height']:<5} {r['megapixels']:>6} {r['source_bytes'] / 1e6:>9.2f} "
              f"{r['tile_files']:>6} {r['tile_bytes'] / 1e6:>8.2f} {r['tiles_per_source']:>9} {r['make_seconds']:>7.2f} "
              f"{r['cached_seconds'] * 1000:>9.1f}")
    builds = []
    if args.site_works:
        with tempfile.TemporaryDirectory() as tmp:
            builds = site_builds(Path(tmp), args.site_works, args.site_size)
        print(f"\n{'deep zoom':<9} {'run':<18} {'works':>5} {'deep zoom s':>11} {'pages s':>7} {'publish s':>9} "
              f"{'site MB':>8} {'tiles MB':>8}")
        for b in builds:
            print(f"{b['deep_zoom']!s:<9} {b['run']:<18} {b['works']:>5} {b['deep_zoom_s']:>11.2f} {b['pages_s']:>7.2f} "
                  f"{b['publish_s']:>9.2f} {b['site_bytes'] / 1e6:>8.1f} {b['tile_bytes'] / 1e6:>8.1f}")
    result = {"builds": builds, "settings": {"tile_size": args.tile_size, "quality": args.quality},
              "libvips": f"{pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}",
              "machine": f"{platform.machine()}, {__import__('os').cpu_count()} CPU cores", "rows": rows}
    Path(args.output).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
