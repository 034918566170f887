"""Analysis: what the vectors say, as plain data for the pages.

Conditional nearest neighbours (neighbours; its exact search split into Ray tasks: ray_neighbours) and their
quality (quality), culture similarity and its
chord (culture, culture_pairs, chord, force_layout), the 2-D map and its clusters (clusters), and the
studies of what the network sees (probes, patterns, surprises), the curators' decisions on patterns
(curated_patterns) and the evaluation of tuning on known connections (tuning_eval).
May import atlas.core, atlas.ingest and atlas.vectors.
"""
