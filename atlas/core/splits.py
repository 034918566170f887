"""The one fixed train/test split of a collection's labels, shared by the probes and fine-tuning.

Fine-tuning trains only on the culture probe's training part, so tuned features are never scored on
works the network was tuned on; both read the split from here.
"""

from __future__ import annotations

from collections import Counter

import numpy as np


def split(labels: list, test_size: float, seed: int, stratify: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) positions into `labels`: the one fixed split the model page is scored on.

    Shared with `atlas finetune`, which trains only on the culture probe's training part, so tuned
    features are never scored on works the network was tuned on."""
    from sklearn.model_selection import train_test_split

    positions = np.arange(len(labels))
    train, test = train_test_split(
        positions, test_size=test_size, random_state=seed, stratify=labels if stratify else None
    )
    return np.sort(train), np.sort(test)


def usable_classes(values: list[str | None], min_size: int) -> tuple[list[str], dict[str, int]]:
    """(classes with at least `min_size` works, {dropped class: count})."""
    counts = Counter(v for v in values if v is not None)
    kept = sorted(c for c, n in counts.items() if n >= min_size)
    dropped = {c: n for c, n in sorted(counts.items()) if n < min_size}
    return kept, dropped
