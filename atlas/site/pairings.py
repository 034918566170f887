"""Which pairs of works get their own page: every top-1 analogy, the curated pairs, and every pair ever published.

A pair is directional: (a, b) means "b is an analogy of a" (the query work first), and its URL is
pair/<a>/<b>/ (atlas.site.urls). Pre-rendered, in this order of right:
  1. pairs published by an earlier build whose two works still exist (ids followed through renames):
     a link that worked once keeps showing the same two works;
  2. curated pairs from pairings.yaml (site.yaml `pairings.file`);
  3. the top-1 analogy of every work in every condition (each row's first work on an artwork page),
     most similar first, capped by `pairings.budget` (0 = all).
Any other pair opens in the one static viewer page (pair/?a=<id>&b=<id>), which reads the works' JSON.

A curated pair naming a work that is not in the collection is a warning in the build report, never
dropped silently.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np

from atlas.analysis.analogy_table import AnalogyTable, first_analogies, rounded
from atlas.core.config import SiteConfig
from atlas.core.pairings_file import PairingEntry, read_pairings_file
from atlas.core.records import CONDITIONS, Problem, Record
from atlas.site import urls
from atlas.site.ledger import Ledger, load_renames

Pair = tuple[str, str]


@dataclass(frozen=True)
class Curated:
    """One entry of pairings.yaml."""

    a: str
    b: str
    title: str
    commentary: str = ""
    line: int = 0


@dataclass
class PairingPlan:
    """What the pairings pages need from the build, decided before rendering."""

    pairs: list[Pair]  # pre-rendered, sorted
    curated: list[Curated]  # entries whose two works are published, in file order
    similarity: dict[Pair, float]  # cosine similarity of every pre-rendered pair
    group_ranks: dict[Pair, dict[str, int]]  # curated pairs: field -> rank of b among a's candidates in b's group
    renames: dict[str, str]  # old id -> current id
    previous: Ledger  # the ledger of the site this build replaces
    top1: int = 0  # top-1 pairs pre-rendered (after the budget)
    top1_all: int = 0  # top-1 pairs there are
    problems: list[Problem] = field(default_factory=list)  # filled while rendering (cards that failed)
    counts: dict[str, int] = field(default_factory=dict)  # filled while rendering
    render_seconds: float = 0.0


def plan_pairings(
    config: SiteConfig,
    works: list[Record],
    vectors: np.ndarray,
    analogies: dict[str, dict[str, dict[str, list[tuple[str, float]]]]],
) -> tuple[PairingPlan, list[Problem]]:
    """Choose the pre-rendered pairs. `vectors` are the centred, normalised rows of `works` (same order)."""
    published = {w.id for w in works}
    renames = load_renames(config.resolve(config.id_renames)) if config.id_renames else {}
    previous = Ledger.load(config.output_dir)
    curated, problems = load_curated(config, published, renames)

    best, top1_all = best_top1(analogies, config.pairings.budget)
    chosen = best | {(c.a, c.b) for c in curated}
    chosen |= carried_pairs(previous, renames, published)

    index = {w.id: i for i, w in enumerate(works)}
    similarity = {p: _similarity(p, analogies, vectors, index) for p in chosen}
    by_id = {w.id: w for w in works}
    group_ranks = {(c.a, c.b): _group_ranks(c.a, c.b, by_id, works, vectors, index) for c in curated}
    plan = PairingPlan(
        sorted(chosen), curated, similarity, group_ranks, renames, previous,
        top1=len(best), top1_all=top1_all,
    )
    return plan, problems


def best_top1(analogies, budget: int) -> tuple[set[Pair], int]:
    """(the `budget` (0: all) most similar top-1 pairs, then by pair; how many top-1 pairs there are). From an
    AnalogyTable in a few array operations (top1_array); else from top1_pairs."""
    if isinstance(analogies, AnalogyTable) and len(analogies.ids):
        return top1_array(analogies, budget)
    candidates = top1_pairs(analogies)
    budget = budget or len(candidates)
    return set(heapq.nsmallest(budget, candidates, key=lambda p: (-candidates[p], p))), len(candidates)


def top1_array(table: AnalogyTable, budget: int) -> tuple[set[Pair], int]:
    """best_top1 read off the table's arrays: each work's first analogy in every group (the first column that
    is not -1), a pair kept once with its best rounded score, ranked by score (highest first) then by the
    two ids, as top1_pairs and the sort did. Building 10,000 works' tuples for it was 0.3 s of a rebuild."""
    g, n, k = table.indices.shape
    valid = table.indices >= 0
    first = valid.argmax(axis=2)[..., None]
    has = valid.any(axis=2)
    b = np.take_along_axis(table.indices, first, axis=2)[..., 0][has].astype(np.int64)
    a = np.broadcast_to(np.arange(n, dtype=np.int64), (g, n))[has]
    score = rounded(np.take_along_axis(table.scores, first, axis=2)[..., 0][has])
    rank = np.empty(n, np.int64)
    rank[np.argsort(np.asarray(table.ids, dtype=object), kind="stable")] = np.arange(n)  # id order
    order = np.lexsort((-score, rank[b], rank[a]))  # each pair's best score first
    a, b, score = a[order], b[order], score[order]
    first_of_pair = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])]
    a, b, score = a[first_of_pair], b[first_of_pair], score[first_of_pair]
    best = np.lexsort((rank[b], rank[a], -score))[: budget or len(a)]
    ids = table.ids
    return {(ids[i], ids[j]) for i, j in zip(a[best].tolist(), b[best].tolist())}, len(a)


def top1_pairs(analogies: dict[str, dict[str, dict[str, list[tuple[str, float]]]]]) -> dict[Pair, float]:
    """(work, its closest work in a condition group) for every work and group, with the similarity.
    From an AnalogyTable the first analogies are read off its arrays (first_analogies): building every
    work's nested lists for this took 0.7 s of a 10,000-work rebuild."""
    out: dict[Pair, float] = {}
    firsts = first_analogies(analogies, list(analogies))
    for a, found in firsts.items():
        for _, _, b, score in found:
            out[(a, b)] = max(score, out.get((a, b), score))
    return out


def carried_pairs(previous: Ledger, renames: dict[str, str], published: set[str]) -> set[Pair]:
    """Pairs an earlier build published whose two works (after renames) are still here."""
    out = set()
    for path in pair_like(previous.pages):
        parsed = urls.parse_page_path(path, previous.names)
        if parsed and parsed[0] == "pair":
            a, b = (renames.get(x, x) for x in parsed[1])
            if a != b and a in published and b in published:
                out.add((a, b))
    return out


def pair_like(paths) -> list[str]:
    """The paths that can be a pair or a journey page ('pair/<a>/<b>/', 'journey/<a>/<b>/'): the only ones
    worth parsing (parsing every page the ledger lists took 0.2 s of a 10,000-work rebuild, twice)."""
    return [p for p in paths if p.startswith(("pair/", "journey/")) and p.count("/") == 3]


def load_curated(config: SiteConfig, published: set[str], renames: dict[str, str]) -> tuple[list[Curated], list[Problem]]:
    """Read pairings.yaml: a list of {a, b, title, commentary}. Unusable entries become warnings."""
    if not config.pairings.file:
        return [], []
    path = config.resolve(config.pairings.file)
    entries, problems = read_pairings_file(path, config.pairings.file)
    curated, seen = [], set()
    for entry in entries:
        reason, pair = _check_ids(entry, published, renames, seen)
        if reason:
            problems.append(Problem("pairings", f"{entry.a} -> {entry.b}", reason, str(path), entry.line, severity="warning"))
            continue
        seen.add(pair)
        title = entry.title or f"{pair[0]} and {pair[1]}"
        curated.append(Curated(pair[0], pair[1], title, entry.commentary, entry.line))
    problems.sort(key=lambda problem: problem.line)  # file order, whichever check found them
    return curated, problems


def _check_ids(entry: PairingEntry, published: set[str], renames: dict[str, str], seen: set[Pair]) -> tuple[str, Pair | None]:
    """("", (a, b) after renames) for an entry whose works are published, else why it is not shown."""
    written = (entry.a, entry.b)
    a, b = (renames.get(x, x) for x in written)
    missing = [x for x, current in zip(written, (a, b)) if current not in published]
    if missing:
        title = entry.title
        return (f"curated pairing{f' {title!r}' if title else ''}: work {missing[0]} is not in the collection "
                "(the pairing is not shown)"), written
    if a == b:
        return "curated pairing names the same work twice", written
    if (a, b) in seen:
        return "curated pairing is listed twice (the first entry is used)", written
    return "", (a, b)


def _similarity(pair: Pair, analogies: dict, vectors: np.ndarray, index: dict[str, int]) -> float:
    """The score the neighbour search gave b for a when it is in a's lists, else the cosine of the vectors."""
    a, b = pair
    for groups in analogies.get(a, {}).values():
        for pairs in groups.values():
            for other, score in pairs:
                if other == b:
                    return score
    return round(float(vectors[index[a]] @ vectors[index[b]]), 4)


def _group_ranks(a: str, b: str, by_id: dict[str, Record], works: list[Record], vectors: np.ndarray,
                 index: dict[str, int]) -> dict[str, int]:
    """Rank of b among all of a's candidates in b's culture and in b's medium (1 = the closest)."""
    sims = vectors @ vectors[index[a]]
    ranks = {}
    for fld in CONDITIONS:
        group = getattr(by_id[b], fld)
        if not group:
            continue
        members = np.array([i for i, w in enumerate(works) if getattr(w, fld) == group and w.id != a])
        ranks[fld] = int((sims[members] > sims[index[b]]).sum()) + 1
    return ranks


def viewer_query(a: str, b: str) -> str:
    """The query string that opens a pair in the viewer page."""
    from urllib.parse import quote

    return f"?a={quote(a, safe='')}&b={quote(b, safe='')}"
