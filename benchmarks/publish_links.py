"""What publishing a rebuild costs per unchanged file (atlas.site.writer), at 10k and 100k files.

    python -m benchmarks.publish_links --files 10000,100000

A no-change rebuild that does not stop early (atlas.site.unchanged_build) carries every unchanged file into
its staging folder as a hard link (SiteWriter.keep), swaps the folders in one step (publish) and removes the
old folder. This times those three steps on a published folder of N small files (2 KiB, 100 per folder, as
a site's work/<id>/ pages are laid out) in a temporary folder on the same filesystem as /tmp, and writes
benchmarks/results/publish_links.json.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from atlas.site import urls
from atlas.site.writer import publish, start_staging

RESULTS = Path(__file__).resolve().parent / "results"


def published_site(root: Path, count: int) -> list[str]:
    """A site atlas would publish: its ledger and `count` files."""
    paths = [f"work/{i // 100:05d}/{i:07d}/index.html" for i in range(count)]
    body = b"x" * 2048
    for path in paths:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    (root / urls.ledger_path()).parent.mkdir(parents=True, exist_ok=True)
    (root / urls.ledger_path()).write_text("{}", encoding="utf-8")
    return [*paths, urls.ledger_path()]


def measure(count: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "site"
        paths = published_site(output, count)
        start = time.perf_counter()
        writer = start_staging(output)
        for path in paths:
            writer.keep(path)
        linked = time.perf_counter()
        publish(output, writer)
        swapped = time.perf_counter()
    removed = time.perf_counter()  # the temporary folder, not the site's old one: not counted
    return {"files": len(paths), "link_s": round(linked - start, 3),
            "publish_s": round(swapped - linked, 3),  # the listing of the old files, the swap, the old folder removed
            "per_file_us": round((swapped - start) / len(paths) * 1e6, 1), "cleanup_s": round(removed - swapped, 3)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", default="10000,100000")
    args = parser.parse_args(argv)
    rows = [measure(int(n)) for n in args.files.split(",")]
    print(f"{'files':>8} {'links s':>8} {'publish s':>10} {'us/file':>8}")
    for row in rows:
        print(f"{row['files']:>8} {row['link_s']:>8.2f} {row['publish_s']:>10.2f} {row['per_file_us']:>8.1f}")
    result = {"load_average": round(os.getloadavg()[0], 1), "rows": rows}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "publish_links.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS / 'publish_links.json'}")


if __name__ == "__main__":
    main()
