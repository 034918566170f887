"""Site: the published folder, from URLs to pages.

Stable URLs and the ledger that keeps old ones alive (urls, ledger), the plan of pairings (pairings),
the page renderers (render, render_pool, pair_pages, render_insights, explorer, map_data, search_index,
sprites, og_image), the staging folder and atomic publish (writer) and the preview server (serve).
May import every lower layer: atlas.core, atlas.ingest, atlas.vectors, atlas.analysis.
"""
