"""Pre-compressed `.gz` / `.br` siblings of the site's text files, for hosts that serve them as they are.

nginx (`gzip_static`, `brotli_static`), Caddy (`precompressed`) and S3 behind a CDN can send `page.html.br`
for `page.html` without compressing on every request. Off by default (publish.precompress): the siblings
add files and bytes to the deploy, and GitHub Pages compresses for itself. Output is deterministic: gzip is
written with no file name and mtime 0, Brotli (the `brotli` package, Google's reference encoder) at
quality 11, so the same page gives the same bytes in every build.
"""

from __future__ import annotations

import gzip

from atlas.site.writer import SiteWriter

COMPRESSIBLE = (".html", ".json", ".js", ".css", ".xml", ".svg", ".txt")  # images are compressed already
MIN_BYTES = 1024  # below this a compressed copy saves less than a packet


def compress(data: bytes, kind: str) -> bytes:
    """`data` compressed as `kind` ("gz" or "br")."""
    if kind == "gz":
        return gzip.compress(data, compresslevel=9, mtime=0)
    import brotli  # only sites that ask for .br need it

    return brotli.compress(data, quality=11)


def precompress(writer: SiteWriter, kinds: list[str]) -> int:
    """Write a `.gz` / `.br` sibling beside every text file written so far that is worth compressing and
    gets smaller. Returns the number of siblings written."""
    made = 0
    for relative in sorted(writer.written):
        if not relative.endswith(COMPRESSIBLE):
            continue
        data = (writer.root / relative).read_bytes()
        if len(data) < MIN_BYTES:
            continue
        for kind in kinds:
            packed = compress(data, kind)
            if len(packed) < len(data):
                writer.write_bytes(f"{relative}.{kind}", packed)
                made += 1
    return made
