"""The larger view's bytes per work (issue 15): what atlas.ingest.larger_images adds to a site.

    python benchmarks/larger_views.py                    # the real photographs shipped with scikit-image and scikit-learn
    python benchmarks/larger_views.py --images DIR ...   # every JPEG / PNG of these folders

No collection in ../shared has an image larger than its 600 px page image (AIC: 512 px; WikiArt: 224 px), so
a build of either example makes no larger view at all (0 bytes). To size the files where they are made,
this runs the build's own function (make_larger_images, 1,200 px, quality 80, a fresh cache) on real
photographs: the sample images of scikit-image (astronaut, coffee, chelsea, Hubble deep field, retina, ...) and
scikit-learn (china, flower), the page side 600 px as in the examples. For each image it prints the source
size, the larger view's size and bytes, and the 600 px page image's bytes (the build's thumbnail, quality 82)
beside it; then the total and bytes per work. Writes benchmarks/results/larger_views.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from atlas.core.records import Record
from atlas.ingest.images import open_rgb
from atlas.ingest.larger_images import LONG_SIDE, QUALITY, make_larger_images
from atlas.ingest.thumbnails import thumbnail_bytes

PAGE_SIDE, PAGE_QUALITY = 600, 82  # thumbnails.sizes' largest and thumbnails.quality in the examples


def default_folders() -> list[Path]:
    """scikit-image's and scikit-learn's folders of sample photographs, where installed."""
    found = []
    for module, sub in (("skimage", "data"), ("sklearn", "datasets/images")):
        try:
            found.append(Path(__import__(module).__file__).parent / sub)
        except ImportError:
            pass
    return [f for f in found if f.is_dir()]


def photographs(folders: list[Path]) -> list[Path]:
    return sorted(p for f in folders for p in f.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", nargs="*", type=Path, help="folders of images (default: scikit-image, scikit-learn)")
    args = parser.parse_args()
    paths = photographs(args.images or default_folders())
    records = [Record(id=p.stem, title=p.stem, image_path=p) for p in paths]
    digests = {r.id: hashlib.sha256(r.image_path.read_bytes()).hexdigest() for r in records}
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        larger = make_larger_images(records, digests, PAGE_SIDE, Path(cache))
        seconds = time.perf_counter() - start
        rows = []
        for rec in records:
            image = open_rgb(rec.image_path)
            page = len(thumbnail_bytes(image, PAGE_SIDE, PAGE_QUALITY))
            big = larger.files.get(rec.id)
            rows.append({"image": rec.id, "source": list(image.size), "page_bytes": page,
                         "larger": list(larger.dims[rec.id]) if big else None,
                         "larger_bytes": big.stat().st_size if big else 0})
    made = [r for r in rows if r["larger"]]
    total = sum(r["larger_bytes"] for r in made)
    print(f"{'image':24} {'source':>11} {'larger view':>12} {'bytes':>9} {'page image bytes':>17}")
    for r in rows:
        size = "x".join(map(str, r["larger"])) if r["larger"] else "none"
        print(f"{r['image']:24} {'x'.join(map(str, r['source'])):>11} {size:>12} {r['larger_bytes']:>9,} {r['page_bytes']:>17,}")
    per_work = total / len(made) if made else 0
    page_total = sum(r["page_bytes"] for r in made)
    print(f"\n{len(made)} of {len(rows)} images get a larger view (source over {PAGE_SIDE} px): {total:,} bytes, "
          f"{per_work:,.0f} per work ({total / page_total if page_total else 0:.1f}x their page images), {seconds:.2f} s")
    out = ROOT / "benchmarks" / "results" / "larger_views.json"
    out.write_text(json.dumps({"long_side": LONG_SIDE, "quality": QUALITY, "page_side": PAGE_SIDE, "rows": rows,
                               "works": len(made), "bytes": total, "bytes_per_work": round(per_work),
                               "seconds": round(seconds, 2)}, indent=1) + "\n", encoding="utf-8")
    print(f"written: benchmarks/results/{out.name}")


if __name__ == "__main__":
    main()
