"""Stage 2: one L2-normalised feature vector per artwork image, cached by image content.

Each vector is stored under cache/embeddings/<model key>/<image sha256>.npy, where the model key hashes
the model name, the exact weights and the preprocessing. A rebuild therefore embeds only images whose
bytes (or whose model) changed, and a build killed mid-way loses at most the batch in flight: every
finished batch is already on disk. Every vector (and activation grid) is stored with its checksum and
verified when read (atlas.core.checked): a damaged one is embedded again, never used; an image whose file
changed while it was embedded caches nothing. Broken images become Problems, never exceptions. The build's vectors
are gathered into one memory-mapped matrix (atlas.vectors.matrix), never a dict of a million small arrays.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from atlas.core.cache import DigestIndex, file_digest, key_digest, sharded, sharded_many
from atlas.core.checked import (
    CHANGED_WHILE_READ,
    corrupt_log,
    image_unchanged,
    load_checked_array,
    read_checked,
    save_checked_array,
    write_checked,
)
from atlas.core.config import EmbeddingConfig
from atlas.core.progress import progress
from atlas.core.records import Problem, Record
from atlas.ingest.images import ImageError, open_rgb
from atlas.vectors.matrix import centre_in_place, keep_rows, new_matrix
from atlas.vectors.network import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    ModelInfo,
    Weights,
    WeightsUnavailable,
    build_network,
    grid_sums,
    last_grid,
    resolve_weights,
)

log = logging.getLogger(__name__)

PREPROCESS_VERSION = 1  # bump when resizing/normalisation changes: old vectors are then not reused


# What runs the network over the images still missing from the cache: _run_model below, or an engine's.
ModelRunner = Callable[..., dict[str, str]]
# What fills the descriptor cache for the weights-free fallback before it is read: (records, digests,
# descriptor names, cache folder) -> None.
DescriptorFiller = Callable[[list[Record], dict[str, str], list[str], Path], None]


@dataclass(frozen=True)
class Offload:
    """Per-image work sent elsewhere (atlas.vectors.ray_embed makes one); None runs it in this process.

    `run_model` takes _run_model's arguments and keeps its promises: every vector (and grid) is written to
    the cache as its batch finishes, `keep(digest, vector)` is called for each, and {digest: error} is
    returned for the images that could not be embedded."""

    run_model: ModelRunner
    fill_descriptors: DescriptorFiller


@dataclass
class EmbedResult:
    """Vectors for the records that could be embedded, in the input order of those records."""

    ids: list[str]
    vectors: np.ndarray  # (len(ids), dim) float32, rows of unit length
    digests: dict[str, str]  # record id -> sha256 of its image bytes
    model: ModelInfo
    device: str
    computed: int = 0  # images run through the network in this build
    reused: int = 0  # vectors found in the cache
    problems: list[Problem] = field(default_factory=list)
    corrupt_cache: list[str] = field(default_factory=list)  # cache files found damaged and recomputed
    parts: tuple = ()  # the fallback's parts (atlas.vectors.parts.Part), in column order; empty for a network
    monochrome: dict[str, bool] = field(default_factory=dict)  # record id -> monochrome image (fallback only)


def hash_images(records: list[Record], index: DigestIndex | None = None) -> tuple[dict[str, str], list[Problem]]:
    """sha256 of every record's image file; unreadable files become Problems.

    With an index, files whose size and mtime are unchanged since it last hashed them are not read again."""
    digests, problems = {}, []
    for rec in progress(records, "hashing images"):
        try:
            digests[rec.id] = index.digest(rec.image_path) if index else file_digest(rec.image_path)
        except OSError as exc:
            problems.append(_problem(rec, f"image file cannot be read: {exc.strerror}"))
    return digests, problems


def embed_records(
    records: list[Record], digests: dict[str, str], cfg: EmbeddingConfig, cache_dir: Path, root: Path,
    maps: bool = False, weights: Weights | None = None, offload: Offload | None = None,
) -> EmbedResult:
    """Embed every record that has a digest with the network, reusing cached vectors where the key matches.

    `weights` are the build's resolved weights (resolved here from `cfg` when not given). Weights that
    stand for the weights-free fallback raise WeightsUnavailable: atlas.vectors.features decides that.
    With `maps`, each image embedded now also leaves its last convolutional activation grid under
    cache/activations/ (written before its vector, so a cached vector implies a kept grid), from which the
    heat maps are drawn without running the network a second time. With `offload` (an engine such as
    atlas.vectors.ray_embed) the images still missing are run there instead of in this process; the
    cache, its keys and the vectors are the same."""
    weights = weights or resolve_weights(cfg.model, cfg.weights, cfg.on_missing_weights, root)
    if weights.fallback_reason:
        raise WeightsUnavailable(weights.fallback_reason, "the weights-free fallback is made by atlas.vectors.features")
    info = weights.info
    if info.warning:
        log.warning(info.warning)
    device = resolve_device(cfg.device)
    key = model_key(cfg.model, info.identity, cfg.image_size)
    store = cache_dir / "embeddings" / key
    grids_store = cache_dir / "activations" / key if maps else None
    network = _Network(weights)  # built only when an image is to be embedded, or the dimension is unknown
    dim = _dimension(store, network, cfg.image_size)
    rows = [rec for rec in records if rec.id in digests]
    matrix = new_matrix(cache_dir / "work", len(rows), dim)
    first_row, todo, corrupt = _fill_from_cache(rows, digests, store, matrix)
    if corrupt:
        log.warning("%d cached vectors were truncated or corrupt; embedding those images again", len(corrupt))

    def keep(digest: str, vector: np.ndarray) -> None:
        matrix[first_row[digest]] = vector

    failed = (offload.run_model if offload else _run_model)(network(), todo, digests, cfg, device, store, keep,
                                                            grids_store) if todo else {}
    ids, kept_rows, problems = [], [], []
    for j, rec in enumerate(rows):
        digest = digests[rec.id]
        if digest in failed:
            problems.append(_problem(rec, failed[digest]))
            continue
        if first_row[digest] != j:
            matrix[j] = matrix[first_row[digest]]  # the same image under another id
        ids.append(rec.id)
        kept_rows.append(j)
    vectors = keep_rows(matrix, kept_rows)
    computed_now = {digests[r.id] for r in todo} - set(failed)
    computed = len(computed_now)
    reused = sum(1 for i in ids if digests[i] not in computed_now)  # identical images embedded now are not "reused"
    return EmbedResult(ids, vectors, digests, info, device, computed, reused, problems, corrupt)


def centre(vectors: np.ndarray) -> np.ndarray:
    """Subtract the collection's mean vector and re-normalise.

    Pooled ReLU features all share one large positive component: on the sample, every pair of works had
    a cosine similarity of 0.999 before centring, which makes scores meaningless to show. Centring keeps
    what distinguishes works (and raised the sample's cross-culture same-subject rate from 0.64 to 0.67
    with an untrained ResNet-50 at 224 px). The cache keeps the raw vectors; this runs on every build.
    Returns a new array; the build centres its memory-mapped matrix in place instead (centre_in_place).
    """
    return centre_in_place(np.array(vectors, dtype=np.float32))


class _Network:
    """The network of `weights`, built on the first call: a rebuild whose vectors are all cached needs none
    (building and probing a ResNet-50 was 0.2 s of every rebuild)."""

    def __init__(self, weights: Weights):
        self.weights = weights
        self.model = None

    def __call__(self):
        if self.model is None:
            self.model = build_network(self.weights)
        return self.model


def _dimension(store: Path, network: _Network, image_size: int) -> int:
    """The vectors' length for this model key: stored beside its vectors (checked) once the network has
    given it, so a rebuild does not build the network to learn it."""
    path = store / "dimension.txt"
    data = read_checked(path, "vectors")
    if data is not None and data.strip().isdigit():
        return int(data)
    dim = feature_dim(network(), image_size)
    write_checked(path, f"{dim}\n".encode("ascii"))
    return dim


def model_key(model: str, identity: str, image_size: int) -> str:
    """The cache folder name for one network, weights and preprocessing (vectors and activation grids)."""
    return key_digest(model, identity, image_size, PREPROCESS_VERSION)[:16]


def resolve_device(choice: str) -> str:
    import torch

    if choice == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if choice == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("embedding.device is 'cuda' but torch sees no CUDA GPU on this machine")
    return choice


def feature_dim(model, image_size: int) -> int:
    import torch

    with torch.no_grad():
        return int(model(torch.zeros(1, 3, image_size, image_size)).shape[1])


def square_crop(image_size: int):
    """Resize the short side to `image_size` and centre-crop a square: exactly what the network sees, so a
    heat map drawn over this crop (atlas.vectors.heatmaps) shows the same pixels."""
    from torchvision import transforms

    return transforms.Compose([
        transforms.Resize(image_size, interpolation=transforms.InterpolationMode.BILINEAR, antialias=True),
        transforms.CenterCrop(image_size),
    ])


def preprocess(image_size: int):
    """The square crop, as a tensor normalised as the ImageNet-trained models expect."""
    from torchvision import transforms

    return transforms.Compose([square_crop(image_size), transforms.ToTensor(),
                               transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])


def augment(image_size: int, min_scale: float):
    """The training view of an image (fine-tuning): a random crop of at least `min_scale` of its area,
    flipped half the time, as a tensor normalised as `preprocess` normalises."""
    from torchvision import transforms

    return transforms.Compose([
        transforms.RandomResizedCrop(image_size, scale=(min_scale, 1.0), antialias=True),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])


def _fill_from_cache(
    rows: list[Record], digests: dict[str, str], store: Path, matrix: np.ndarray
) -> tuple[dict[str, int], list[Record], list[str]]:
    """Copy every cached vector into its row of `matrix`, one image at a time.

    Returns ({digest: the first row of that image}, records still to embed: one per distinct uncached
    image, cache files that do not match their checksum: those images are embedded again). A vector
    without a checksum (a cache made before checksums) counts as missing, not as corrupt."""
    first_row: dict[str, int] = {}
    known = len(corrupt_log().paths("vectors"))
    todo = []
    files = sharded_many(store, [digests[rec.id] for rec in rows], ".npy")
    for j, (rec, file) in enumerate(zip(rows, files)):
        digest = digests[rec.id]
        if digest in first_row:
            continue
        first_row[digest] = j
        vector = load_checked_array(file, "vectors", (matrix.shape[1],))
        if vector is None:
            todo.append(rec)
        else:
            matrix[j] = vector
    return first_row, todo, corrupt_log().paths("vectors")[known:]


class _ImageDataset:
    """Decodes one image per item; a broken one yields its error text instead of a tensor."""

    def __init__(self, records: list[Record], image_size: int):
        self.records = records
        self.transform = preprocess(image_size)

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i: int):
        try:
            return i, self.transform(open_rgb(self.records[i].image_path)), ""
        except ImageError as exc:
            return i, None, str(exc)


def _collate(items):
    return items


def _run_model(
    model, todo, digests, cfg: EmbeddingConfig, device: str, store: Path, keep: Callable[[str, np.ndarray], None],
    kept_grids: Path | None = None,
) -> dict[str, str]:
    """Embed `todo` batch by batch, saving each vector to the cache as its batch finishes, then `keep(digest, vector)`.

    An image whose file no longer has the digest the build started with (replaced while it was read) is
    not cached: what was computed came from other bytes than its digest names.
    Returns {digest: error} for the images that could not be decoded or changed meanwhile."""
    import torch

    if not todo:
        return {}
    model = model.to(device)
    if device == "cuda":
        model = model.to(memory_format=torch.channels_last)
    loader = torch.utils.data.DataLoader(
        _ImageDataset(todo, cfg.image_size),
        batch_size=cfg.batch_size,
        num_workers=cfg.workers,
        collate_fn=_collate,
    )
    failed = {}
    bar = progress(total=len(todo), desc=f"embedding on {device}", unit="img")
    for batch in loader:
        good = [(i, t) for i, t, err in batch if t is not None]
        failed.update({digests[todo[i].id]: err for i, t, err in batch if t is None})
        if good:
            vectors, grids = _forward(model, torch.stack([t for _, t in good]), device, kept_grids is not None)
            for j, ((i, _), vector) in enumerate(zip(good, vectors)):
                digest = digests[todo[i].id]
                if not image_unchanged(todo[i].image_path, digest):
                    failed[digest] = CHANGED_WHILE_READ
                    continue
                if kept_grids is not None:
                    save_checked_array(sharded(kept_grids, digest, ".npy"), grids[j])
                save_checked_array(sharded(store, digest, ".npy"), vector)
                keep(digest, vector)
        bar.update(len(batch))
    bar.close()
    return failed


def _forward(model, batch, device: str, grids: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """Features for one batch, L2-normalised, as float32 on the CPU, and with `grids` the heat maps' raw
    values (channel sums of the last convolutional grid, backbone.grid_sums) from the same pass. Mixed
    precision on CUDA."""
    import torch

    with torch.inference_mode(), (last_grid(model) if grids else nullcontext([])) as kept:
        batch = batch.to(device, non_blocking=True)
        if device == "cuda":
            batch = batch.to(memory_format=torch.channels_last)
            with torch.autocast("cuda", dtype=torch.float16):
                out = model(batch)
        else:
            out = model(batch)
        out = torch.nn.functional.normalize(out.float(), dim=1)
        sums = grid_sums(kept, model).astype(np.float32) if grids else None
    return out.cpu().numpy().astype(np.float32), sums


def _problem(rec: Record, reason: str) -> Problem:
    return Problem("embed", rec.id, reason, str(rec.image_path or ""), rec.source_line)
