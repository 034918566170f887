"""Site: the published folder, from URLs to pages.

Stable URLs and the ledger that keeps old ones alive (urls, ledger), the plan of pairings (pairings),
the site-wide context made once (context, render), the page groups, each a function of the context that
yields files (pages, artworks, insights_pages, explorer with map_data, map_chunks, search_index and sprites,
pair_pages with og_image and pair_links, larger_view), "why this match" and percentiles as pages word them
(similarity_views), the staging folder and atomic publish (writer) and the preview server (serve).
May import every lower layer: atlas.core, atlas.ingest, atlas.vectors, atlas.analysis.
"""
