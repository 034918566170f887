"""Known visual connections for `atlas finetune --objective connections`, and the share held out from training.

A connection is two works a person says belong together: a curated pairing (pairings.yaml, site.yaml
`pairings.file`) or two works of a confirmed pattern (patterns.yaml, `patterns.file`). The held-out share is
chosen by WORK, not by pair: a seeded draw of `share` of the connected works is held out, and every
connection touching one of them is held out with it. Those works then never enter a training batch (not
as anchor, partner or negative), so the model page's "before / after" ranks are measured on works the
network never saw, and no chain of trained pairs (a-c, c-b) can stand in for a held-out one (a-b).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from atlas.core.config import SiteConfig
from atlas.core.pairings_file import read_pairings_file
from atlas.core.patterns_file import (
    connection_pairs,
    read_patterns_file,
    resolve_patterns,
)
from atlas.core.records import Problem

Pair = tuple[str, str]


@dataclass
class Connections:
    """Connections between works of the collection, split into trained and held out (pairs sorted, a < b)."""

    train: list[Pair]
    held_out: list[Pair]
    held_out_works: list[str]  # never in a training batch
    sources: dict[str, int] = field(default_factory=dict)  # connections per file, before the split
    problems: list[Problem] = field(default_factory=list)


def load_connections(config: SiteConfig, known: set[str], extra: Path | None = None
                     ) -> tuple[list[Pair], dict[str, int], list[Problem]]:
    """(every connection between works in `known`, sorted; how many came from each file; warnings).

    `extra` is a further file in the pairings.yaml format (`atlas finetune --connections`): connections to
    train on that are not shown as curated pairs on the site (thousands of them would each get a page)."""
    pairs: set[Pair] = set()
    sources, problems = {}, []
    for name, path in (("pairings", config.resolve(config.pairings.file) if config.pairings.file else None),
                       ("connections file", extra)):
        if path is not None:
            found, more = _pairs_file(path, known)
            sources[name] = len(found)
            pairs |= found
            problems += more
    if config.patterns.file:
        path = config.resolve(config.patterns.file)
        entries, more = read_patterns_file(path, config.patterns.file)
        curated = resolve_patterns(entries, known, path)
        found = set(connection_pairs(curated.confirmed))
        sources["patterns"] = len(found)
        pairs |= found
        problems += more + curated.problems
    return sorted(pairs), sources, problems


def split_connections(pairs: list[Pair], share: float, seed: int) -> tuple[list[Pair], list[Pair], list[str]]:
    """(trained pairs, held-out pairs, held-out works): `share` of the connected works, drawn with `seed`,
    held out with every pair touching them. At least one work is held out when there are connections."""
    works = sorted({w for pair in pairs for w in pair})
    if not works or share <= 0:
        return list(pairs), [], []
    count = min(max(1, round(share * len(works))), len(works) - 1) if len(works) > 1 else 1
    chosen = np.random.default_rng(seed).choice(len(works), size=count, replace=False)
    held = {works[i] for i in chosen.tolist()}
    train = [p for p in pairs if p[0] not in held and p[1] not in held]
    held_pairs = [p for p in pairs if p[0] in held or p[1] in held]
    return train, held_pairs, sorted(held)


def _pairs_file(path: Path, known: set[str]) -> tuple[set[Pair], list[Problem]]:
    entries, problems = read_pairings_file(path)
    found = set()
    for e in entries:
        missing = [x for x in (e.a, e.b) if x not in known]
        if missing:
            problems.append(Problem("connections", missing[0], f"work {missing[0]} is not in the collection "
                                    "(the pair is not trained on)", str(path), e.line, "warning"))
        else:
            found.add(_ordered(e.a, e.b))
    return found, problems


def connections_for(config: SiteConfig, known: set[str], share: float, seed: int, extra: Path | None = None
                    ) -> Connections:
    """load_connections, then split_connections; ValueError when nothing is left to train on."""
    pairs, sources, problems = load_connections(config, known, extra)
    if not pairs:
        raise ValueError("no connections to train on: list pairs in pairings.file or confirm patterns in "
                         "patterns.file (site.yaml)")
    train, held_out, held_works = split_connections(pairs, share, seed)
    if not train:
        raise ValueError(f"all {len(pairs)} connections are held out: lower --held-out or add connections")
    return Connections(train, held_out, held_works, sources, problems)


def _ordered(a: str, b: str) -> Pair:
    return (a, b) if a < b else (b, a)


def write_pairs(path: Path, pairs: list[Pair], title: str) -> None:
    """Write `pairs` as a pairings.yaml (for scripts that define connections, e.g. benchmarks/connections.py)."""
    import json

    lines = [f"- {{a: {json.dumps(a)}, b: {json.dumps(b)}, title: {json.dumps(title)}}}" for a, b in pairs]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
