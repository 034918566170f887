"""Core: the plain data every stage shares, and the machinery to keep it.

Records and problems (records), the build report (report), the site configuration (config), file and
array caches with atomic writes (cache, stage_cache), deterministic JSON (jsonio), progress bars, and
data text made safe to print (text).
Imports nothing from atlas outside atlas.core.
"""
