"""Vectors: what the network sees, as one memory-mapped matrix of embeddings.

The torchvision network and its weights (network), the embed pass with its content-hash cache (embed),
the weights-free descriptors and fallback (descriptors, fallback), the memory-mapped matrix (matrix),
the heat maps drawn from the kept activation grids (heatmaps), fine-tuning (finetune), and the embed pass
and descriptors on a Ray cluster (ray_embed).
May import atlas.core and atlas.ingest.
"""
