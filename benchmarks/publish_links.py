"""What publishing a rebuild costs per unchanged file (atlas.site.writer), at 10k and 100k files.

    python -m benchmarks.publish_links --files 10000,100000

A rebuild that does not stop early (atlas.site.unchanged_build) carries every unchanged file into its staging
folder (SiteWriter.keep), swaps the folders in one step (publish) and parks or removes the old folder. This
times those steps on a published folder of N small files (2 KiB, one folder each, as a site's work/<id>/ pages
are laid out) in a temporary folder on the same filesystem as /tmp, twice:

* "new staging": the first rebuild after a build from nothing, or `publish.spare: false` (every rebuild): a new
  staging folder gets a hard link per file and a folder per page, and the old site is removed;
* "spare": every later rebuild: the staging folder is the spare (the site the last publish replaced), whose
  files already are the published ones, and the replaced site is parked as the next spare.

Writes benchmarks/results/publish_links.json.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from atlas.site import urls
from atlas.site.writer import publish, spare_path, start_staging

RESULTS = Path(__file__).resolve().parent / "results"


def published_site(root: Path, count: int) -> list[str]:
    """A site atlas would publish: its ledger and `count` files, one folder each."""
    paths = [f"work/{i:07d}/index.html" for i in range(count)]
    body = b"x" * 2048
    for path in paths:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    (root / urls.ledger_path()).parent.mkdir(parents=True, exist_ok=True)
    (root / urls.ledger_path()).write_text("{}", encoding="utf-8")
    return [*paths, urls.ledger_path()]


def timed_publish(output: Path, paths: list[str]) -> tuple[float, float]:
    """(seconds to stage every file as kept, seconds to publish: the swap and the old site parked or removed)."""
    start = time.perf_counter()
    writer = start_staging(output)
    for path in paths:
        writer.keep(path)
    linked = time.perf_counter()
    publish(output, writer)  # Removals() without a thread: a removal is timed here
    return linked - start, time.perf_counter() - linked


def measure(count: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "site"
        paths = published_site(output, count)
        fresh_link, fresh_publish = timed_publish(output, paths)  # no spare yet: a new staging folder
        assert spare_path(output).is_dir()
        spare_link, spare_publish = timed_publish(output, paths)  # stages into the spare
    row = {"files": len(paths)}
    for name, link, swap in (("new", fresh_link, fresh_publish), ("spare", spare_link, spare_publish)):
        row.update({f"{name}_link_s": round(link, 3), f"{name}_publish_s": round(swap, 3),
                    f"{name}_per_file_us": round((link + swap) / len(paths) * 1e6, 1)})
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", default="10000,100000")
    args = parser.parse_args(argv)
    rows = [measure(int(n)) for n in args.files.split(",")]
    print(f"{'files':>8} {'staging':>12} {'stage s':>8} {'publish s':>10} {'us/file':>8}")
    for row in rows:
        for name in ("new", "spare"):
            print(f"{row['files']:>8} {name:>12} {row[name + '_link_s']:>8.2f} {row[name + '_publish_s']:>10.2f} "
                  f"{row[name + '_per_file_us']:>8.1f}")
    result = {"load_average": round(os.getloadavg()[0], 1), "rows": rows}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "publish_links.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS / 'publish_links.json'}")


if __name__ == "__main__":
    main()
