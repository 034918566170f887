"""Core: the plain data every stage shares, and the machinery to keep it.

Records and problems (records), the build report (report), the site configuration (config), file and
array caches with atomic writes (cache, stage_cache), checksummed cache files and the log of damaged
ones (checked), deterministic JSON (jsonio), the Ray connection and its log of what ran where (engine), progress
bars, data text made safe to print (text), and the curators' files (pairings_file, patterns_file).
Imports nothing from atlas outside atlas.core.
"""
