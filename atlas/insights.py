"""The build's study stages in one place: probes, heat maps, patterns, surprises and the culture graph.

build.py calls `compute_insights` once after the culture stage; each part runs as its own report stage
(so its time and problems show in the build summary) and can be switched off in site.yaml. The result
is one plain dict that the pages stage (atlas.render_insights) turns into the model, pattern and
surprises pages, the artwork pages' guesses and heat maps, and the culture graph.
"""

from __future__ import annotations

import numpy as np

from .config import SiteConfig
from .force_layout import culture_layout
from .heatmaps import make_heatmaps
from .patterns import find_patterns
from .probes import run_probes
from .records import Record
from .report import BuildReport
from .surprises import cross_cultural, date_surprises


def compute_insights(
    config: SiteConfig, works: list[Record], vectors: np.ndarray, digests: dict[str, str], similarity: dict,
    device: str, report: BuildReport,
) -> dict:
    """{"probes", "heatmaps", "patterns", "surprises", "graph"}: each None when switched off."""
    out: dict = {"probes": None, "heatmaps": {}, "patterns": None, "surprises": None, "graph": None}
    pcfg = config.probes
    with report.stage("probes"):
        if pcfg.enabled and len(works) >= 10:
            out["probes"] = run_probes(works, vectors, pcfg)
    with report.stage("heatmaps"):
        if config.heatmaps.enabled and works:
            out["heatmaps"], problems = make_heatmaps(
                works, digests, config.embedding, config.heatmaps, config.cache_dir, config.root
            )
            report.add(problems)
    with report.stage("patterns"):
        if config.patterns.enabled:
            out["patterns"] = find_patterns(works, vectors, config.patterns)
            report.counts["patterns"] = len(out["patterns"])
    with report.stage("surprises"):
        guesses = out["probes"]["guesses"] if out["probes"] else {}
        out["surprises"] = {
            **date_surprises(guesses, pcfg.surprises),
            "cross_cultural": cross_cultural(works, vectors, pcfg.neighbours, pcfg.surprises, device),
            "k": pcfg.neighbours,
        }
        out["graph"] = culture_layout(similarity)
    return out
