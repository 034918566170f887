"""The evaluation of a connections fine-tuning, kept beside its checkpoint as <checkpoint>.json.

`atlas finetune --objective connections` writes it; a build whose embedding.weights is that checkpoint
reads it for the model page ("what tuning gained and what it cost"). The record names the checkpoint's
identity (file-<sha256>, as atlas.vectors.network names local weights), so a record is shown only beside
the very file it was measured on: a re-tuned or replaced checkpoint never shows stale figures.
"""

from __future__ import annotations

import json
from pathlib import Path

from atlas.core.cache import atomic_write_bytes
from atlas.core.config import SiteConfig
from atlas.core.jsonio import json_bytes


def record_path(checkpoint: Path) -> Path:
    return checkpoint.with_name(checkpoint.name + ".json")


def write_record(checkpoint: Path, record: dict, identity: str) -> Path:
    path = record_path(checkpoint)
    atomic_write_bytes(path, json_bytes({**record, "identity": identity}))
    return path


def read_record(config: SiteConfig, identity: str) -> dict | None:
    """The record of the weights this build used (`identity`: ModelInfo.identity), or None (no local weights file, no record, or one made
    for other weights, or unreadable: the model page then simply has no tuning section)."""
    weights = config.embedding.weights
    if weights in ("none", "imagenet") or not identity.startswith("file-"):
        return None
    path = Path(weights).expanduser()
    path = record_path(path if path.is_absolute() else config.root / path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("identity") == identity else None
