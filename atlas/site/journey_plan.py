"""The journeys stage: the journey graph of this build, and the pre-rendered journeys, cached whole.

The graph (atlas.analysis.journey_graph) is made from the neighbours stage's analogies on every build (it
is cheap from the analogy arrays). The pre-rendered journeys (journey/<a>/<b>/, see atlas.site.journeys)
are a search each; they are a stage of the build like the others (atlas.core.stage_cache), keyed by the
graph's arrays, the chosen ends, the settings and the code, so a rebuild with no change reuses them and
`atlas build --explain` says so. The ends are chosen before the stage: one per curated pairing, one
between the cover works of each of the `journeys.featured` most similar pairs of cultures, and every
journey an earlier build published (read from the URL ledger), so a link to a journey never breaks.
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from atlas.analysis import journey_graph as jg
from atlas.analysis.analogy_table import AnalogyTable
from atlas.analysis.culture import CultureSimilarity
from atlas.core.cache import key_digest
from atlas.core.checked import read_checked, write_checked
from atlas.core.config import SiteConfig
from atlas.core.records import CONDITIONS, Record
from atlas.core.stage_cache import StageCache, code_digest, part_digest
from atlas.core.typed import JsonData
from atlas.site import urls
from atlas.site.pairings import PairingPlan, pair_like

KIND = "journey graph"  # how the build report names its file when it is corrupt


@dataclass(frozen=True)
class PlannedJourney(JsonData):
    """One pre-rendered journey: its two ends and the chain the rule finds (empty: no chain)."""

    a: str
    b: str
    path: tuple[str, ...]  # the works' ids, from a to b
    steps: tuple[float, ...]  # each step's similarity (a float16 value)


@dataclass(frozen=True)
class JourneyPlan(JsonData):
    journeys: tuple[PlannedJourney, ...]  # in the order of journey_ends


@dataclass(frozen=True)
class Journeys:
    """What the journey pages need from the build: the graph and the pre-rendered journeys."""

    graph: jg.JourneyGraph
    plan: JourneyPlan


def journey_graph(works: list[Record], analogies, top_k: int, folder: Path | None = None) -> jg.JourneyGraph:
    """The journey graph of the published works (sorted by id), from the neighbours stage's analogies; with
    `folder`, kept there as a checked .npz and read back while its inputs are the same (making it from
    the analogy arrays was 0.35 s of every 10,000-work rebuild)."""
    labels = {fld: [getattr(w, fld) for w in works] for fld in CONDITIONS}
    ids = [w.id for w in works]
    if folder is None or not isinstance(analogies, AnalogyTable):
        return jg.graph_from_analogies(ids, analogies, labels, top_k)
    key = key_digest(part_digest(analogies.indices), part_digest(analogies.scores), analogies.groups,
                     part_digest(ids), part_digest(labels), top_k, code_digest(jg, sys.modules[__name__]))
    path = folder / "journey-graph.npz"
    graph = _load_graph(path, key)
    if graph is None:
        graph = jg.graph_from_analogies(ids, analogies, labels, top_k)
        write_checked(path, _graph_bytes(graph, key))
    return graph


def _graph_bytes(graph: jg.JourneyGraph, key: str) -> bytes:
    """An .npz of plain arrays (no pickles): the graph's arrays, each field's groups and names, the key."""
    buffer = io.BytesIO()
    fields = sorted(graph.groups)
    np.savez(buffer, key=np.asarray(key), fields=np.asarray(fields, dtype=str), offsets=graph.offsets,
             targets=graph.targets, scores=graph.scores, **{f"groups_{i}": graph.groups[f] for i, f in enumerate(fields)},
             **{f"names_{i}": np.asarray(graph.group_names[f], dtype=str) for i, f in enumerate(fields)})
    return buffer.getvalue()


def _load_graph(path: Path, key: str) -> jg.JourneyGraph | None:
    """The stored graph when it matches its checksum and was made from these inputs; else None."""
    data = read_checked(path, KIND)
    if data is None:
        return None
    try:
        arrays = np.load(io.BytesIO(data), allow_pickle=False)
        if str(arrays["key"]) != key:
            return None
        fields = [str(f) for f in arrays["fields"]]
        return jg.JourneyGraph(arrays["offsets"], arrays["targets"], arrays["scores"],
                               {f: arrays[f"groups_{i}"] for i, f in enumerate(fields)},
                               {f: [str(n) for n in arrays[f"names_{i}"]] for i, f in enumerate(fields)})
    except (ValueError, KeyError, OSError):
        return None


def journey_stage(stages: StageCache, config: SiteConfig, works: list[Record], analogies,
                  similarity: CultureSimilarity, pairings: PairingPlan | None) -> Journeys:
    """The graph, and the pre-rendered journeys reused from the stage cache when nothing they depend on
    changed (the graph's arrays hold the analogies, the labels and journeys.top_k)."""
    graph = journey_graph(works, analogies, config.journeys.top_k, stages.root)
    ends = journey_ends(works, similarity, pairings, config.journeys.featured)
    ids = [w.id for w in works]
    parts = {"ids": ids, "offsets": graph.offsets, "targets": graph.targets, "scores": graph.scores,
             "groups": {fld: graph.groups[fld] for fld in sorted(graph.groups)}, "group_names": graph.group_names,
             "ends": ends, "max_works": config.journeys.max_works, "code": code_digest(jg, sys.modules[__name__])}
    plan = stages.run("journeys", parts, lambda: plan_journeys(graph, ids, ends, config.journeys.max_works), JourneyPlan)
    return Journeys(graph, plan)


def plan_journeys(graph: jg.JourneyGraph, ids: list[str], ends: list[tuple[str, str]], max_works: int) -> JourneyPlan:
    """Each pair of ends' journey by the rule (atlas.analysis.journey_graph.find_journey)."""
    index = {w: i for i, w in enumerate(ids)}
    out = []
    for a, b in ends:
        found = jg.find_journey(graph, index[a], index[b], [], max_works)
        path = tuple(ids[i] for i in found.path) if found else ()
        out.append(PlannedJourney(a, b, path, tuple(found.steps) if found else ()))
    return JourneyPlan(tuple(out))


def journey_ends(works: list[Record], similarity: CultureSimilarity, pairings: PairingPlan | None,
                 featured: int) -> list[tuple[str, str]]:
    """The journeys given pages, each once: curated pairings, featured culture pairs, then those published
    before and chosen no more (sorted). The order does not depend on what was published before, so a
    rebuild with no change lists them as the first build did."""
    published, chosen, earlier = {w.id for w in works}, [], []
    if pairings is not None:
        for path in sorted(pair_like(pairings.previous.pages)):
            parsed = urls.parse_page_path(path, pairings.previous.names)
            if parsed and parsed[0] == "journey_page":
                earlier.append(tuple(pairings.renames.get(x, x) for x in parsed[1]))
        chosen += [(c.a, c.b) for c in pairings.curated]
    chosen += featured_ends(works, similarity, featured)
    chosen += sorted(earlier)
    seen: set[tuple[str, str]] = set()
    out = []
    for pair in chosen:
        if pair not in seen and pair[0] in published and pair[1] in published and pair[0] != pair[1]:
            seen.add(pair)
            out.append(pair)
    return out


def featured_ends(works: list[Record], sim: CultureSimilarity, featured: int) -> list[tuple[str, str]]:
    """(cover of culture A, cover of culture B) for the `featured` most similar pairs of cultures; a
    culture's cover is its first work by id, as on the culture index."""
    covers: dict[str, str] = {}
    for w in works:
        if w.culture:
            covers.setdefault(w.culture, w.id)
    pairs = []
    for i, a in enumerate(sim.labels):
        for j in range(i + 1, len(sim.labels)):
            b = sim.labels[j]
            if a in covers and b in covers:
                pairs.append((-round(float(sim.similarity[i][j]), 6), a, b))
    return [(covers[a], covers[b]) for _, a, b in sorted(pairs)[:featured]]
