"""Vectors: what the network sees, as one memory-mapped matrix of embeddings.

The torchvision network and its weights (network), the embed pass with its content-hash cache (embed),
the weights-free descriptors and fallback (descriptors, fallback), the memory-mapped matrix (matrix),
the heat maps drawn from the kept activation grids (heatmaps), fine-tuning: on cultures (finetune), on
known connections (connections, metric_tune) and the record of its evaluation (tuning_record), and the embed
pass and descriptors on a Ray cluster (ray_embed).
May import atlas.core and atlas.ingest.
"""
