"""A smaller copy of the bundled sample for the curation tests: chosen cultures and media, every subject.

atlas.ingest.sample always draws all 480 works (in ~3 s); these tests need fewer, so they copy a subset
of its rows and images into their own folder, keeping each row's `subject` (the known connections)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from atlas.ingest.sample import SAMPLE_LABEL_RULES, generate_sample


def small_sample(folder: Path, source: Path, cultures: set[str], media: set[str]) -> list[dict]:
    """Rows of the sample whose culture and medium groups are in `cultures` and `media`, with their images
    copied to folder/images/;
    culture and medium hold the group names. `source` is where the full sample is generated (once, then reused)."""
    table = generate_sample(source)
    with table.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:  # the group names themselves, so a site.yaml needs no label rules
        r["culture"], r["medium"] = _group("culture", r["culture"]), _group("medium", r["medium"])
    kept = [r for r in rows if r["culture"] in cultures and r["medium"] in media]
    (folder / "images").mkdir(parents=True, exist_ok=True)
    for r in kept:
        shutil.copyfile(table.parent / r["image"], folder / r["image"])
    return kept


def _group(kind: str, raw: str) -> str | None:
    return next((g for g, raws in SAMPLE_LABEL_RULES[kind].items() if raw in raws), None)
