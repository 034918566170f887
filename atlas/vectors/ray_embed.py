"""Embedding on a Ray cluster (engine.kind: ray): Ray Data streams the images through an actor pool.

The images still missing from the cache (atlas.vectors.embed decides which, exactly as for a local build)
are cut into the local build's batches (engine.batch_size 0 = embedding.batch_size, the same images in
the same batch: CPU convolution kernels can round differently for another batch shape, and the vectors
must be bit-identical to a local build's). One Ray Data pipeline then:

    from_items(batches) -> map(decode) as tasks, in parallel -> map_batches(_Embedder) on an actor pool

Each actor receives the driver's network once (its constructor), so workers need neither the weights file
nor internet, and runs it on a GPU when it holds one (mixed precision and channels-last, through the same
atlas.vectors.embed._forward as a local build), else on its CPUs. Every actor writes each finished
vector (and activation grid, for the heat maps) into the same content-addressed cache the local path uses,
with its checksum: the cache folder must be shared storage. A build can therefore switch engines and reuse
every vector, and a killed job keeps every finished batch: Ray restarts a dead actor and retries its
batch, and a rerun embeds only what is missing.

The weights-free descriptors (atlas.vectors.descriptors) go the same way: every image missing a part is
described on the cluster, the parts written to the shared cache, which the fallback then reads.
Ray is imported only inside these functions: a local build never imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

from atlas.core.cache import sharded
from atlas.core.checked import CHANGED_WHILE_READ, image_unchanged, save_checked_array
from atlas.core.config import EmbeddingConfig, EngineConfig
from atlas.core.engine import Cluster, EngineLog
from atlas.core.progress import progress
from atlas.core.records import Record
from atlas.ingest.images import ImageError, open_rgb
from atlas.vectors.descriptors import describe, descriptor_store
from atlas.vectors.embed import _forward as forward  # the local path's very forward pass: same numbers
from atlas.vectors.embed import Offload, feature_dim, preprocess

# A decode task reserves this share of engine.cpus_per_worker. Less than an actor's, on purpose: Ray Data
# fuses a map into the next map_batches when their resources match, and decoding would then run inside
# the actor, with the network (and its GPU) idle meanwhile; kept apart, decoding runs beside it.
DECODE_CPU_SHARE = 0.5
DESCRIBE_BATCH = 16  # images per descriptor task: enough to hide the task overhead, small enough to spread


def ray_offload(engine: EngineConfig, cluster: Cluster, log: EngineLog) -> Offload:
    """The embed stage's per-image work, sent to the cluster `cluster` with engine's settings."""
    return Offload(partial(run_model_on_ray, engine=engine, cluster=cluster, log=log),
                   partial(fill_descriptors_on_ray, engine=engine, log=log))


def gpus_per_actor(engine: EngineConfig, cfg: EmbeddingConfig, cluster: Cluster) -> float:
    """engine.gpus_per_worker when the cluster has GPUs and embedding.device allows them, else 0."""
    return engine.gpus_per_worker if cluster.gpus > 0 and cfg.device != "cpu" else 0.0


def actor_count(engine: EngineConfig, gpus: float, cluster: Cluster, batches: int) -> int:
    """engine.actors, or one per GPU share; on CPUs one per worker's CPUs, less one worker's CPUs left for
    decoding (actors hold their CPUs for the whole stage, and decode tasks must still be scheduled)."""
    if engine.actors:
        wanted = engine.actors
    elif gpus:
        wanted = int(cluster.gpus // gpus)
    else:
        wanted = int(cluster.cpus // engine.cpus_per_worker) - 1
    return max(1, min(wanted, batches))


def run_model_on_ray(
    model, todo: list[Record], digests: dict[str, str], cfg: EmbeddingConfig, device: str, store: Path,
    keep: Callable[[str, np.ndarray], None], kept_grids: Path | None = None, *,
    engine: EngineConfig, cluster: Cluster, log: EngineLog,
) -> dict[str, str]:
    """atlas.vectors.embed._run_model on the cluster: same arguments, same cache files, same promises."""
    import ray

    if not todo:
        return {}
    size = engine.batch_size or cfg.batch_size
    batches = [todo[i:i + size] for i in range(0, len(todo), size)]
    items = [{"paths": [str(r.image_path) for r in chunk], "digests": [digests[r.id] for r in chunk]}
             for chunk in batches]
    gpus = gpus_per_actor(engine, cfg, cluster)
    actors = actor_count(engine, gpus, cluster, len(batches))
    data = ray.data.from_items(items, override_num_blocks=len(items))
    data = data.map(_decode, fn_kwargs={"image_size": cfg.image_size},
                    num_cpus=engine.cpus_per_worker * DECODE_CPU_SHARE)
    data = data.map_batches(
        _Embedder, batch_size=1, compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=engine.cpus_per_worker,
        num_gpus=gpus, fn_constructor_kwargs={"model": model, "image_size": cfg.image_size, "store": str(store),
                                              "grids": str(kept_grids) if kept_grids else "", "device": cfg.device},
    )
    timer = log.timed("embed", "images", actors, gpus * actors)
    failed: dict[str, str] = {}
    bar = progress(total=len(todo), desc=f"embedding on ray ({actors} actors)", unit="img")
    for out in data.iter_batches(batch_size=None, batch_format="numpy"):
        for digest, error, vector in zip(out["digest"], out["error"], out["vector"]):
            if error:
                failed[str(digest)] = str(error)
            else:
                keep(str(digest), np.asarray(vector, dtype=np.float32))
        bar.update(len(out["digest"]))
    bar.close()
    timer.finish(len(todo))
    return failed


def _decode(row: dict, image_size: int) -> dict:
    """One batch's images decoded, resized, cropped and normalised (a Ray task, on any node's CPUs). The
    decoded pixels travel as raw float32 bytes; an image that cannot be decoded keeps its error text."""
    transform = preprocess(image_size)
    tensors, errors = [], []
    for path in row["paths"]:
        try:
            tensors.append(transform(open_rgb(Path(path))).numpy())
            errors.append("")
        except ImageError as exc:
            errors.append(str(exc))
    pixels = np.stack(tensors) if tensors else np.zeros((0, 3, image_size, image_size), np.float32)
    return {"paths": list(row["paths"]), "digests": list(row["digests"]), "errors": errors,
            "pixels": np.ascontiguousarray(pixels, dtype=np.float32).tobytes()}


class _Embedder:
    """A Ray Data actor: the network, loaded once, run over one decoded batch per call; each vector (and
    activation grid) is written to the shared cache before it is handed back."""

    def __init__(self, model, image_size: int, store: str, grids: str, device: str):
        import torch

        self.dim = feature_dim(model, image_size)  # on the CPU, before the model moves
        self.device = "cuda" if device != "cpu" and torch.cuda.is_available() else "cpu"
        self.model = model.to(self.device).eval()
        if self.device == "cuda":
            self.model = self.model.to(memory_format=torch.channels_last)
        self.size = image_size
        self.store, self.grids = Path(store), Path(grids) if grids else None

    def __call__(self, batch: dict) -> dict:
        digests, errors, vectors = [], [], []
        for row in range(len(batch["paths"])):
            for digest, error, vector in self._one_batch(batch, row):
                digests.append(digest)
                errors.append(error)
                vectors.append(vector)
        return {"digest": np.array(digests, dtype=object), "error": np.array(errors, dtype=object),
                "vector": np.stack(vectors) if vectors else np.zeros((0, self.dim), np.float32)}

    def _one_batch(self, batch: dict, row: int) -> list[tuple[str, str, np.ndarray]]:
        import torch

        paths, digests, errors = list(batch["paths"][row]), list(batch["digests"][row]), list(batch["errors"][row])
        good = [j for j, error in enumerate(errors) if not error]
        pixels = np.frombuffer(batch["pixels"][row], dtype=np.float32).reshape(len(good), 3, self.size, self.size)
        found = forward(self.model, torch.from_numpy(pixels.copy()), self.device, self.grids is not None) if good else None
        width = self.dim
        out = [(digests[j], errors[j], np.zeros(width, np.float32)) for j in range(len(paths)) if errors[j]]
        for n, j in enumerate(good):
            vector, digest = found[0][n], digests[j]
            if not image_unchanged(Path(paths[j]), digest):
                out.append((digest, CHANGED_WHILE_READ, np.zeros(width, np.float32)))
                continue
            if self.grids is not None:
                save_checked_array(sharded(self.grids, digest, ".npy"), found[1][n])
            save_checked_array(sharded(self.store, digest, ".npy"), vector)
            out.append((digest, "", vector))
        return out


def fill_descriptors_on_ray(records: list[Record], digests: dict[str, str], names: list[str], cache_dir: Path, *,
                            engine: EngineConfig, log: EngineLog) -> None:
    """Every descriptor part missing from the cache computed on the cluster and written to it. Images that
    cannot be decoded are left out here: the local pass that reads the cache reports them."""
    import ray

    rows, seen = [], set()
    for rec in records:
        digest = digests.get(rec.id)
        if digest is None or digest in seen:
            continue
        seen.add(digest)
        missing = [n for n in names if not sharded(descriptor_store(cache_dir, n), digest, ".npy").exists()]
        if missing:
            rows.append({"path": str(rec.image_path), "digest": digest, "missing": missing})
    timer = log.timed("descriptors", "images", max(1, int(_cpus())), 0.0)
    if rows:
        data = ray.data.from_items(rows, override_num_blocks=max(1, len(rows) // DESCRIBE_BATCH))
        data = data.map_batches(_describe_batch, batch_size=DESCRIBE_BATCH, num_cpus=engine.cpus_per_worker,
                                fn_kwargs={"cache_dir": str(cache_dir)})
        for _ in data.iter_batches(batch_size=None):
            pass
    timer.finish(len(rows))


def _cpus() -> float:
    import ray

    return float(ray.cluster_resources().get("CPU", 1))


def _describe_batch(batch: dict, cache_dir: str) -> dict:
    """Describe each image of the batch (a Ray task) and write the missing parts to the shared cache."""
    done = []
    for path, digest, missing in zip(batch["path"], batch["digest"], batch["missing"]):
        try:
            parts = describe(Path(path), list(missing))
        except ImageError:
            done.append(False)
            continue
        if not image_unchanged(Path(path), str(digest)):
            done.append(False)
            continue
        for name, vector in parts.items():
            save_checked_array(sharded(descriptor_store(Path(cache_dir), name), str(digest), ".npy"), vector)
        done.append(True)
    return {"done": np.array(done, dtype=bool)}
