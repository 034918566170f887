"""The fallback's feature parts, weighed per collection, with colour compared only between colour images.

The weights-free fallback joins several parts (the untrained network, colour histograms, texture,
layout), each centred and L2-normalised, so each used to weigh the same on every collection. Two flaws
followed. On monochrome images the two colour histograms measure little more than "both are grey" (or the
amount of ink on a glyph), so grey photographs paired with grey photographs and thin letters with bold ones.
And a part that says little on a collection still pulled the whole below its better parts: on a fonts
task the five parts together scored below three of them.

Two rules, both kept exact so that a pair's score is still the sum of its parts' shares
(atlas.analysis.match_parts):

- colour parts of a monochrome image (atlas.ingest.monochrome) are set to zero after centring, so a pair's
  colour term counts only when both images have colour; nothing is renormalised afterwards, because a
  monochrome row scaled back to length 1 would make monochrome works closer to everything monochrome;
- each FAMILY of parts (network, colour, texture, layout) gets a weight from how well its neighbours agree
  with the other families' neighbours on this collection (mean overlap of the k nearest, on a seeded sample
  of queries): a family that finds what the others find is trusted more, one that finds its own private
  order (the amount of ink) less. Colour's agreement is measured among colour images only. Families, not
  parts, vote, so the two colour histograms cannot vouch for each other.

The network part itself sees each image's luminance only (atlas.vectors.luminance), since an untrained
network told grey photographs from colour ones by their channels as surely as the histograms did.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from atlas.core.checked import read_checked, write_checked
from atlas.core.typed import JsonData

FAMILIES = {"net": "network", "lab": "colour", "hsv": "colour", "lbp": "texture", "hog": "layout"}
COLOUR = "colour"
AGREEMENT_K = 10
AGREEMENT_QUERIES = 1000
AGREEMENT_CANDIDATES = 5000  # neighbours are found among a sample this size: memory stays bounded at 100k works
MIN_AGREEMENT = 0.01  # a family that agrees with no other still keeps a sliver of weight, never exactly zero


@dataclass(frozen=True)
class Part(JsonData):
    """One part's columns in the joined vector: [start, stop)."""

    name: str  # "net", "lab", "hsv", "lbp", "hog"
    start: int
    stop: int

    @property
    def family(self) -> str:
        return FAMILIES.get(self.name, self.name)


@dataclass(frozen=True)
class Weighing(JsonData):
    """How a collection's fallback parts were weighed: per family its agreement and weight, and how many
    works were monochrome (their colour parts off)."""

    agreement: dict  # {family: mean overlap of its k nearest with the other families'}
    weights: dict  # {family: share of the score, summing to 1}
    monochrome: int
    works: int

    def line(self) -> str:
        shown = ", ".join(f"{f} {w:.2f}" for f, w in sorted(self.weights.items()))
        return (f"fallback parts weighed by agreement between their neighbours ({shown}); colour compared only "
                f"between colour images ({self.monochrome:,} of {self.works:,} works are monochrome)")


def layout(names: list[str], widths: list[int]) -> tuple[Part, ...]:
    """The parts of a joined vector whose parts are `names`, `widths` columns each, in that order."""
    stops = np.cumsum(widths).tolist()
    return tuple(Part(n, int(stop - w), int(stop)) for n, w, stop in zip(names, widths, stops))


def families(parts: tuple[Part, ...]) -> dict[str, list[Part]]:
    found: dict[str, list[Part]] = {}
    for p in parts:
        found.setdefault(p.family, []).append(p)
    return found


def weigh_parts(vectors: np.ndarray, parts: tuple[Part, ...], monochrome: np.ndarray,
                weights: dict[str, float] | None = None, seed: int = 0) -> Weighing:
    """Weigh `vectors`' parts in place: each part's block becomes sqrt(its family's weight / parts in the
    family) times its unit-length rows, and colour blocks of monochrome rows become zero.

    `weights` (family -> weight) are measured by agreement() when not given. A colour image's row ends with
    length 1; a monochrome row is shorter by its colour share, on purpose (see the module docstring)."""
    mono = np.asarray(monochrome, dtype=bool)
    groups = families(parts)
    for p in parts:
        block = vectors[:, p.start : p.stop]
        block /= np.maximum(np.linalg.norm(block, axis=1, keepdims=True), 1e-12)
    agreed = agreement(vectors, groups, mono, seed) if weights is None else {}
    if weights is None:  # rounded as reported and stored, so a build that reads them back weighs alike
        weights = {f: round(float(w), 4) for f, w in normalised({f: max(a, MIN_AGREEMENT) for f, a in agreed.items()}).items()}
    for family, members in groups.items():
        for p in members:
            vectors[:, p.start : p.stop] *= np.float32(np.sqrt(weights[family] / len(members)))
            if family == COLOUR:
                vectors[mono, p.start : p.stop] = 0.0
    return Weighing({f: round(a, 4) for f, a in sorted(agreed.items())},
                    {f: round(float(w), 4) for f, w in sorted(weights.items())}, int(mono.sum()), len(vectors))


def agreement(vectors: np.ndarray, groups: dict[str, list[Part]], mono: np.ndarray, seed: int = 0,
              k: int = AGREEMENT_K, queries: int = AGREEMENT_QUERIES) -> dict[str, float]:
    """{family: mean overlap of its k nearest with each other family's k nearest}.

    Measured on a seeded sample of at most AGREEMENT_CANDIDATES works (the first `queries` of them ask), all
    of colour when colour is one of the families and enough works have colour: every family is compared on
    the same works. Colour gets 0 when too few works have colour to measure it."""
    colour_rows = np.flatnonzero(~mono)
    colour = COLOUR in groups and len(colour_rows) > 2 * k
    pool = colour_rows if colour else np.arange(len(vectors))
    voters = [f for f in groups if f != COLOUR or colour]
    if len(voters) < 2 or len(pool) <= k + 1:
        return {f: 1.0 for f in groups}
    rng = np.random.default_rng(seed)
    candidates = np.sort(rng.choice(pool, size=min(AGREEMENT_CANDIDATES, len(pool)), replace=False))
    asking = np.sort(rng.choice(candidates, size=min(queries, len(candidates)), replace=False))
    nearest = {f: _nearest(vectors, groups[f], asking, candidates, k) for f in voters}
    return {f: (float(np.mean([_overlap(nearest[f], nearest[g]) for g in voters if g != f])) if f in nearest else 0.0)
            for f in groups}


def _nearest(vectors: np.ndarray, members: list[Part], queries: np.ndarray, candidates: np.ndarray, k: int) -> np.ndarray:
    """(queries, k) candidate positions nearest each query by this family's columns, the query itself excluded."""
    cols = np.concatenate([np.arange(p.start, p.stop) for p in members])
    cand = np.asarray(vectors[np.ix_(candidates, cols)], dtype=np.float32)
    sims = np.asarray(vectors[np.ix_(queries, cols)], dtype=np.float32) @ cand.T
    sims[np.arange(len(queries)), np.searchsorted(candidates, queries)] = -np.inf
    k = min(k, len(candidates) - 1)
    top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    return np.sort(top, axis=1)


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean([len(np.intersect1d(x, y, assume_unique=True)) / a.shape[1] for x, y in zip(a, b)]))


def normalised(weights: dict[str, float]) -> dict[str, float]:
    total = sum(weights.values())
    return {f: w / total for f, w in weights.items()}


def weigh_parts_kept(vectors: np.ndarray, parts: tuple[Part, ...], monochrome: np.ndarray, folder: Path,
                     features: str, keep: bool) -> Weighing:
    """weigh_parts with the family weights kept beside the stored mean (atlas.vectors.centring): while the
    mean is kept (`keep`), so are the weights, so one new image moves no other work's vector; when the
    mean is measured again, so are the weights, and both are stored."""
    path = Path(folder) / f"part-weights-{features[:16]}.json"
    stored = read_checked(path, "part weights") if keep else None
    weights = json.loads(stored) if stored else None
    if weights is not None and set(weights) == set(families(parts)):
        return weigh_parts(vectors, parts, monochrome, weights=weights)
    weighing = weigh_parts(vectors, parts, monochrome)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_checked(path, json.dumps(weighing.weights, sort_keys=True).encode("utf-8"))
    return weighing
