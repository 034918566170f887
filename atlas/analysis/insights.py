"""The build's study stages in one place: probes, heat maps, patterns, surprises and the culture graph.

build.py calls `compute_insights` once after the map stage; each part runs as its own report stage
(so its time and problems show in the build summary), is cached whole like the map (atlas.core.stage_cache:
reused while its inputs are unchanged, with the reason in `--explain`) and can be switched off in site.yaml. The result
is one plain dict that the pages stage (atlas.site.render_insights) turns into the model, pattern and
surprises pages, the artwork pages' guesses and heat maps, and the culture graph.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from atlas.analysis import force_layout, patterns, probes, surprises
from atlas.analysis.probes import work_label, work_year
from atlas.core.config import SiteConfig
from atlas.core.records import Record
from atlas.core.report import BuildReport
from atlas.core.stage_cache import StageCache, code_digest
from atlas.vectors.heatmaps import make_heatmaps
from atlas.vectors.network import Weights


def compute_insights(
    config: SiteConfig, works: list[Record], vectors: np.ndarray, digests: dict[str, str], similarity: dict,
    device: str, report: BuildReport, stages: StageCache | None = None, weights: Weights | None = None,
) -> dict:
    """{"probes", "heatmaps", "patterns", "surprises", "graph"}: each None (heat maps: {}) when switched off.

    With `stages`, each part's result is cached whole and reused while its inputs are unchanged (the heat
    maps cache themselves, image by image)."""
    stages = stages or StageCache(config.cache_dir / "stages")
    ids = [w.id for w in works]
    out: dict = {"probes": None, "heatmaps": {}, "patterns": None, "surprises": None, "graph": None}
    pcfg = config.probes
    with report.stage("probes"):
        if pcfg.enabled and len(works) >= 10:
            labels = {name: [work_label(w, name) for w in works] for name in ["culture", "medium", *pcfg.labels]}
            parts = {"ids": ids, "vectors": vectors, "labels": labels, "years": [work_year(w) for w in works],
                     "settings": dataclasses.asdict(pcfg), "code": code_digest(probes)}
            out["probes"] = stages.run("probes", parts, lambda: probes.run_probes(works, vectors, pcfg))
    with report.stage("heatmaps"):
        if config.heatmaps.enabled and works:
            out["heatmaps"], problems, made = make_heatmaps(
                works, digests, config.embedding, config.heatmaps, config.cache_dir, config.root, weights
            )
            report.add(problems)
            stages.note("heatmaps", made == 0, f"{made:,} heat maps made, {len(out['heatmaps']) - made:,} reused")
    cultures = [w.culture for w in works]
    with report.stage("patterns"):
        if config.patterns.enabled:
            parts = {"ids": ids, "vectors": vectors, "cultures": cultures, "media": [w.medium for w in works],
                     "years": [work_year(w) for w in works], "settings": dataclasses.asdict(config.patterns),
                     "code": code_digest(patterns)}
            out["patterns"] = stages.run("patterns", parts, lambda: patterns.find_patterns(works, vectors, config.patterns))
            report.counts["patterns"] = len(out["patterns"])
    with report.stage("surprises"):
        guesses = out["probes"]["guesses"] if out["probes"] else {}
        parts = {"ids": ids, "vectors": vectors, "cultures": cultures, "guesses": guesses, "similarity": similarity,
                 "settings": [pcfg.neighbours, pcfg.surprises], "code": code_digest(surprises, force_layout)}
        found = stages.run("surprises", parts, lambda: {
            "surprises": {
                **surprises.date_surprises(guesses, pcfg.surprises),
                "cross_cultural": surprises.cross_cultural(works, vectors, pcfg.neighbours, pcfg.surprises, device),
                "k": pcfg.neighbours,
            },
            "graph": force_layout.culture_layout(similarity),
        })
        out["surprises"], out["graph"] = found["surprises"], found["graph"]
    return out
