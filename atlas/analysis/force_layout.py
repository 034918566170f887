"""The culture graph: cultures as nodes, pulled together by how much they resemble one another.

ForceAtlas2 (networkx's `forceatlas2_layout`, the layout Gephi made popular) on a complete graph whose
edge weights are the symmetrised normalised similarity between culture mean vectors (atlas.analysis.culture),
scaled so the average edge weighs 1. Similar cultures attract more, every pair repels, so the picture
reads "who sits near whom" at a glance, next to the chord diagram's exact shares. Start positions are
seeded and the iterations fixed, so the same similarities give the same layout and the same SVG.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from atlas.analysis.chord import palette
from atlas.analysis.culture import CultureSimilarity
from atlas.core.typed import JsonData

SEED = 0
ITERATIONS = 300


@dataclass(frozen=True)
class CultureGraph(JsonData):
    """The ForceAtlas2 layout of the cultures: nodes [{name, count, x, y}] with x, y in [0, 1], rounded, and
    edges [{a, b, weight}]."""

    nodes: list
    edges: list


def culture_layout(similarity: CultureSimilarity, seed: int = SEED) -> CultureGraph:
    """The cultures laid out so that similar ones sit close together."""
    import networkx as nx

    names, counts = similarity.labels, similarity.counts
    if len(names) < 2:
        return CultureGraph([{"name": n, "count": c, "x": 0.5, "y": 0.5} for n, c in zip(names, counts)], [])
    matrix = np.asarray(similarity.similarity, dtype=np.float64)
    symmetric = (matrix + matrix.T) / 2 * (len(names) - 1)  # mean edge weight 1
    graph = nx.Graph()
    graph.add_nodes_from(names)
    edges = []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            graph.add_edge(names[i], names[j], weight=float(symmetric[i, j]))
            edges.append({"a": names[i], "b": names[j], "weight": round(float(symmetric[i, j]), 4)})
    sizes = {n: 1 + math.sqrt(c) / 10 for n, c in zip(names, counts)}
    pos = nx.forceatlas2_layout(
        graph, max_iter=ITERATIONS, weight="weight", seed=seed, node_size=sizes, scaling_ratio=2.0, gravity=1.0
    )
    xy = np.array([pos[n] for n in names], dtype=np.float64)
    low, high = xy.min(axis=0), xy.max(axis=0)
    xy = 0.12 + 0.76 * (xy - low) / np.where(high - low > 0, high - low, 1.0)
    nodes = [{"name": n, "count": int(c), "x": round(float(x), 4), "y": round(float(y), 4)} for n, c, (x, y) in zip(names, counts, xy)]
    return CultureGraph(nodes, edges)


def layout_svg(layout: CultureGraph, links: list[str], size: int = 480, noun: str = "Cultures") -> str:
    """The graph as a standalone, accessible SVG; node i links to links[i]. Text is escaped. role=group, not
    img: the nodes are links, which an image may not hold (axe-core nested-interactive). `noun` names the
    condition as site.yaml does."""
    nodes = layout.nodes
    where = {n["name"]: (n["x"] * size, n["y"] * size) for n in nodes}
    colours = dict(zip([n["name"] for n in nodes], palette(len(nodes))))
    top = max((e["weight"] for e in layout.edges), default=1.0) or 1.0
    parts = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" role="group" '
        f'aria-labelledby="force-title" class="force-graph"><title id="force-title">{escape(noun)} placed by '
        f"ForceAtlas2: closer cultures look more alike</title>")
    ]
    for e in sorted(layout.edges, key=lambda e: e["weight"]):
        (x1, y1), (x2, y2) = where[e["a"]], where[e["b"]]
        share = e["weight"] / top
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#888" '
            f'stroke-opacity="{0.15 + 0.6 * share ** 2:.2f}" stroke-width="{0.5 + 4 * share ** 2:.2f}"/>'
        )
    largest = max((n["count"] for n in nodes), default=1) or 1
    for node, link in zip(nodes, links):
        x, y = where[node["name"]]
        r = 8 + 18 * math.sqrt(node["count"] / largest)
        label = escape(node["name"])
        parts.append(
            f"<a href={quoteattr(link)}><circle cx=\"{x:.1f}\" cy=\"{y:.1f}\" r=\"{r:.1f}\" "
            f'fill="{colours[node["name"]]}"><title>{label}: {node["count"]} works</title></circle>'
            f'<text x="{x:.1f}" y="{y + r + 14:.1f}" text-anchor="middle" font-size="13">{label}</text></a>'
        )
    parts.append("</svg>")
    return "".join(parts)
