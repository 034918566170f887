"""Embedding throughput: images/s end to end (read, decode, resize, model) against the model alone.

    python -m benchmarks.embed_throughput                      # CPU; the GPU rows run when CUDA exists
    python -m benchmarks.embed_throughput --images 512 --model resnet50 --image-size 224

Real JPEGs from ../shared/data/wikiart-styles (or --folder). In the same run, for each device:
  model only   a batch of random tensors through atlas.vectors.embed._forward: the ceiling, no I/O at all
  decode only  atlas.vectors.embed's own dataset (PIL read + decode + resize + crop + normalise), no model
  end to end   the build's own path: DataLoader over that dataset, then _forward, with 0 and N workers
and on CUDA also: decode on the GPU with torchvision.io.decode_jpeg(device="cuda"), resize there.
The network is untrained (no weights can be downloaded here); speed does not depend on the weights.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from atlas.core.records import Record
from atlas.vectors.embed import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    _collate,
    _forward,
    _ImageDataset,
)
from atlas.vectors.network import load_backbone

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_FOLDER = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "wikiart-styles" / "images"


def records(folder: Path, count: int) -> list[Record]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))[:count]
    return [Record(id=p.stem, image_path=p) for p in files]


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def model_only(model, device: str, batch: int, size: int, batches: int) -> float:
    import torch

    x = torch.randn(batch, 3, size, size)
    _forward(model, x, device)  # warm-up (cuDNN autotune, allocator)
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = timed(lambda: [_forward(model, x, device) for _ in range(batches)])
    return batch * batches / seconds


def decode_only(recs: list[Record], size: int) -> float:
    dataset = _ImageDataset(recs, size)
    return len(recs) / timed(lambda: [dataset[i] for i in range(len(recs))])


def end_to_end(model, recs: list[Record], device: str, batch: int, size: int, workers: int) -> float:
    import torch

    loader = torch.utils.data.DataLoader(_ImageDataset(recs, size), batch_size=batch, num_workers=workers,
                                         collate_fn=_collate, pin_memory=device == "cuda")

    def run():
        for items in loader:
            _forward(model, torch.stack([t for _, t, _ in items if t is not None]), device)

    return len(recs) / timed(run)


def gpu_decode(model, recs: list[Record], batch: int, size: int) -> float:
    """Read bytes on the CPU, decode + resize + normalise on the GPU (torchvision.io.decode_jpeg)."""
    import torch
    from torchvision.io import ImageReadMode, decode_jpeg
    from torchvision.transforms.v2 import functional as F

    mean = torch.tensor(IMAGENET_MEAN, device="cuda").view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device="cuda").view(1, 3, 1, 1)

    def run():
        for start in range(0, len(recs), batch):
            datas = [torch.frombuffer(bytearray(r.image_path.read_bytes()), dtype=torch.uint8) for r in recs[start:start + batch]]
            images = decode_jpeg(datas, mode=ImageReadMode.RGB, device="cuda")
            crops = [F.center_crop(F.resize(im, size, antialias=True), [size, size]) for im in images]
            x = (torch.stack(crops).float() / 255 - mean) / std
            _forward(model, x, "cuda")
        torch.cuda.synchronize()

    return len(recs) / timed(run)


def measure_device(model, device: str, recs: list[Record], args) -> list[dict]:
    """Every measure for one device, printed as it finishes."""
    import torch

    net = model.to(device)
    if device == "cuda":
        net = net.to(memory_format=torch.channels_last)
    batches = max(2, args.images // args.batch) if device == "cuda" else max(1, args.images // args.batch // 2)
    size, batch = args.image_size, args.batch
    measures = [("model only (ceiling)", lambda: model_only(net, device, batch, size, batches))]
    if device == "cpu":
        measures.append(("decode only (1 process)", lambda: decode_only(recs, size)))
    measures += [
        ("end to end, 0 workers", lambda: end_to_end(net, recs, device, batch, size, 0)),
        (f"end to end, {args.workers} workers", lambda: end_to_end(net, recs, device, batch, size, args.workers)),
    ]
    if device == "cuda":
        measures.append(("end to end, decode_jpeg on GPU", lambda: gpu_decode(net, recs, batch, size)))
    rows = []
    for name, fn in measures:
        load = os.getloadavg()[0]
        rate = fn()
        rows.append({"device": device, "measure": name, "images_per_s": rate, "load_before": round(load, 2)})
        print(f"{device:<5} {name:<32} {rate:8.1f} img/s  (load {load:.1f})", flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="embedding images/s, end to end vs model only")
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--model", default="resnet50")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="DataLoader workers for the parallel end-to-end row")
    parser.add_argument("--devices", default="cpu,cuda", help="which of cpu,cuda to measure (cuda only where present)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the JSON")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"skipped: no images at {args.folder} (the shared wikiart-styles data set is absent; pass --folder)")
        return
    import torch

    recs = records(args.folder, args.images)
    model, _ = load_backbone(args.model, "none", "untrained", Path("."))
    rows = []
    wanted = args.devices.split(",")
    devices = [d for d in wanted if d == "cpu" or (d == "cuda" and torch.cuda.is_available())]
    for device in devices:
        rows += measure_device(model, device, recs, args)
    if "cuda" in wanted and "cuda" not in devices:
        rows.append({"device": "cuda", "measure": "all", "skipped": "no GPU"})
        print("cuda  skipped: no GPU")
    ceiling = {r["device"]: r["images_per_s"] for r in rows if r.get("measure") == "model only (ceiling)"}
    for r in rows:
        if "images_per_s" in r:
            r["fraction_of_ceiling"] = r["images_per_s"] / ceiling[r["device"]]
    out = args.out / f"embed_throughput_{args.model}_{args.image_size}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "model": args.model, "image_size": args.image_size, "batch": args.batch, "images": len(recs),
        "mean_file_bytes": int(np.mean([r.image_path.stat().st_size for r in recs])),
        "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
        "gpu": torch.cuda.get_device_name(0) if "cuda" in devices else "", "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "results": rows,
    }, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
