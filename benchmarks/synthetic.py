"""A synthetic collection of any size, shaped like a big museum's, for timing builds at scale.

    python -m benchmarks.synthetic --works 10000 --out /tmp/syn10k --inject-embeddings
    python -m atlas build --config /tmp/syn10k/site.yaml
    python -m benchmarks.synthetic --works 100000 --out /tmp/syn100k --inject-embeddings --inject-thumbnails

Writes DIR/collection.csv (id, title, artist, date, culture, medium, image), one tiny distinct JPEG per
work under DIR/images/, and DIR/site.yaml that builds it with the ordinary CSV reader. Culture (20
groups) and medium (10 groups) follow Zipf-like sizes, like The Met: a few huge groups, many small.

With --inject-embeddings, clustered random unit vectors (not uniform: uniform vectors have no
neighbours worth finding and are the worst case for graph search) are written into the build's own
embedding cache, under the same key (model, weights, image size, preprocessing version) and image
sha256 that atlas.vectors.embed looks up, so the build reuses them instead of running the network on every image.
Everything is seeded: the same arguments give the same files.
"""

from __future__ import annotations

import argparse
import csv
import io
import time
from pathlib import Path

import numpy as np
from PIL import Image

CULTURES = [
    "American", "French", "Japanese", "Chinese", "Italian", "British", "Dutch", "German", "Egyptian",
    "Greek", "Roman", "Persian", "Indian", "Mexican", "Spanish", "Korean", "Flemish", "Peruvian",
    "Byzantine", "Aztec",
]
MEDIA = ["Print", "Photograph", "Drawing", "Ceramic", "Textile", "Painting", "Metalwork", "Glass", "Sculpture", "Furniture"]
MODEL = {"model": "resnet50", "weights": "none", "on_missing_weights": "untrained", "image_size": 64}


def zipf_weights(count: int, exponent: float = 1.3) -> np.ndarray:
    w = 1.0 / np.arange(1, count + 1) ** exponent
    return w / w.sum()


def group_labels(n: int, names: list[str], rng: np.random.Generator, exponent: float = 1.3) -> np.ndarray:
    """Index into `names` per work, Zipf-sized: the first group is the largest."""
    return rng.choice(len(names), size=n, p=zipf_weights(len(names), exponent))


def tiny_jpeg(rng: np.random.Generator, serial: int) -> bytes:
    """A distinct small JPEG (8-48 px sides, random aspect); its bytes differ for every serial number."""
    w, h = (int(v) for v in rng.integers(8, 49, size=2))
    pixels = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
    pixels[0, 0] = (serial & 255, (serial >> 8) & 255, (serial >> 16) & 255)  # never two identical images
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, format="JPEG", quality=80)
    return out.getvalue()


def clustered_vectors(n: int, dim: int, groups: np.ndarray, rng: np.random.Generator, clusters: int = 256) -> np.ndarray:
    """Unit vectors around `clusters` random centres; a work's cluster leans towards its culture, so
    neighbours within a culture are nearer than across it, as with real features."""
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    pick = (groups * 7 + rng.integers(0, clusters // 4, size=n)) % clusters
    out = np.empty((n, dim), np.float32)
    for start in range(0, n, 8192):  # in blocks: a 1M x 2048 noise matrix at once would be 8 GB
        stop = min(start + 8192, n)
        block = centres[pick[start:stop]] + 1.2 * rng.standard_normal((stop - start, dim)).astype(np.float32)
        out[start:stop] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def write_collection(out: Path, works: int, seed: int = 0) -> tuple[list[Path], np.ndarray]:
    """collection.csv + images/. Returns (image paths in row order, culture index per row)."""
    rng = np.random.default_rng(seed)
    cultures = group_labels(works, CULTURES, rng)
    media = group_labels(works, MEDIA, rng, exponent=1.1)
    years = rng.integers(-1500, 2000, size=works)
    paths = []
    with open(out / "collection.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "title", "artist", "date", "culture", "medium", "image"])
        for i in range(works):
            work_id = f"syn{i:07d}"
            rel = f"images/{work_id[-3:]}/{work_id}.jpg"
            path = out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(tiny_jpeg(rng, i))
            paths.append(path)
            year = int(years[i])
            date = f"{-year} BCE" if year < 0 else str(year)
            writer.writerow([work_id, f"Synthetic work {i}", f"Artist {i % 997}", date,
                             CULTURES[cultures[i]], MEDIA[media[i]], rel])
    return paths, cultures


def site_yaml(works: int, model: dict) -> str:
    """A config for the synthetic collection. Above 20,000 works the map uses PCA (t-SNE would take most
    of an hour on two cores at 100k), and the probes and heat maps are off: at 10,000 works they took
    172 s and 92 s of a 395 s build (benchmarks/results/rebuilds-synthetic-10k.json) and grow linearly,
    and on random vectors and tiny generated images they would show nothing. Everything else is the
    default (pairings.budget too), so benchmarks/site_weight.py measures what a museum would get."""
    large = works > 20000
    layout = "pca" if large else "tsne"
    return f"""# Generated by benchmarks/synthetic.py: {works} synthetic works.
title: "Synthetic atlas ({works} works)"
output: build/site
cache: build/cache
collection:
  format: csv
  path: collection.csv
labels:
  culture:
    min_group_size: 1
  medium:
    min_group_size: 1
embedding:
  model: {model['model']}
  weights: {model['weights']}
  on_missing_weights: {model['on_missing_weights']}
  device: auto
  image_size: {model['image_size']}
  batch_size: 64
neighbours:
  k: 6
map:
  layout: {layout}
probes:
  enabled: {str(not large).lower()}
heatmaps:
  enabled: {str(not large).lower()}
"""


def inject_embeddings(out: Path, paths: list[Path], cultures: np.ndarray, model: dict, seed: int = 0) -> int:
    """Write one clustered vector per image into DIR/build/cache/embeddings/<key>/, exactly where
    atlas.vectors.embed.embed_records looks. Returns the vector dimension."""
    from atlas.core.cache import file_digest, key_digest, sharded
    from atlas.vectors.embed import PREPROCESS_VERSION, feature_dim
    from atlas.vectors.network import load_backbone

    net, info = load_backbone(model["model"], model["weights"], model["on_missing_weights"], out)
    dim = feature_dim(net, model["image_size"])
    store = out / "build" / "cache" / "embeddings" / key_digest(model["model"], info.identity, model["image_size"], PREPROCESS_VERSION)[:16]
    vectors = clustered_vectors(len(paths), dim, cultures, np.random.default_rng(seed + 1))
    for path, vector in zip(paths, vectors):
        buffer = io.BytesIO()
        np.save(buffer, vector, allow_pickle=False)
        write_unsynced(sharded(store, file_digest(path), ".npy"), buffer.getvalue())
    return dim


def write_unsynced(target: Path, data: bytes) -> None:
    """A cache file and its checksum, as atlas.core.checked.write_checked writes them, without an fsync each
    (a build only uses cache files whose checksum matches)."""
    from atlas.core.checked import checksum_bytes, checksum_path

    target.parent.mkdir(parents=True, exist_ok=True)
    checksum_path(target).write_bytes(checksum_bytes(data))
    target.write_bytes(data)


def inject_thumbnails(out: Path, paths: list[Path], sizes: tuple[int, ...] | None = None, quality: int | None = None) -> None:
    """Write the thumbnails the build would make (atlas.ingest.thumbnails.thumbnail_bytes, same cache path), so
    a big build skips that stage too; the site is the same as if the build had made them. The sizes and quality
    are the defaults (ThumbnailsConfig), as the generated site.yaml lists no thumbnails section."""
    from atlas.core.cache import file_digest
    from atlas.ingest.images import open_rgb
    from atlas.core.config import ThumbnailsConfig
    from atlas.ingest.thumbnails import cached_thumb, thumbnail_bytes

    quality = ThumbnailsConfig().quality if quality is None else quality  # the defaults the build will use
    sizes = tuple(ThumbnailsConfig().sizes) if sizes is None else sizes
    cache = out / "build" / "cache"
    for path in paths:
        image, digest = open_rgb(path), file_digest(path)
        for size in sizes:
            write_unsynced(cached_thumb(cache, size, quality, digest), thumbnail_bytes(image, size, quality))


def generate(out: Path, works: int, inject: bool, seed: int = 0, model: dict | None = None, thumbs: bool = False) -> Path:
    """Write the whole synthetic site folder; returns the path of its site.yaml."""
    model = model or MODEL
    out.mkdir(parents=True, exist_ok=True)
    paths, cultures = write_collection(out, works, seed)
    if inject:
        inject_embeddings(out, paths, cultures, model, seed)
    if thumbs:
        inject_thumbnails(out, paths)
    config = out / "site.yaml"
    config.write_text(site_yaml(works, model), encoding="utf-8")
    return config


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--works", type=int, default=10000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--inject-embeddings", action="store_true", help="put clustered random vectors in the embedding cache")
    parser.add_argument("--inject-thumbnails", action="store_true", help="put the thumbnails in the cache too")
    parser.add_argument("--model", default=MODEL["model"], help="torchvision model named in site.yaml (its feature size sets d)")
    parser.add_argument("--image-size", type=int, default=MODEL["image_size"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    model = dict(MODEL, model=args.model, image_size=args.image_size)
    start = time.perf_counter()
    config = generate(args.out, args.works, args.inject_embeddings, args.seed, model, args.inject_thumbnails)
    print(f"{args.works} works written in {time.perf_counter() - start:.1f} s; build with: python -m atlas build --config {config}")


if __name__ == "__main__":
    main()
