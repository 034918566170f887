"""Core: the plain data every stage shares, and the machinery to keep it.

Records and problems (records), the build report (report), the site configuration (config), file and
array caches with atomic writes (cache, stage_cache), deterministic JSON (jsonio) and progress bars.
Imports nothing from atlas outside atlas.core.
"""
