"""Where a site's bytes go: a table by top folder and by file kind, per site, and bytes and files per work.

    python -m benchmarks.site_weight --site aic=build/examples/aic/site
    python -m benchmarks.site_weight --synthetic 1000 --work-dir /tmp/sw     # generate, build, measure
    python -m benchmarks.site_weight --synthetic 10000 --synthetic 100000 --work-dir /tmp/sw

`--site LABEL=DIR` measures a site already built (the sample: `python -m atlas build`; AIC:
`python -m benchmarks.example_builds`). `--synthetic N` writes benchmarks/synthetic.py's collection of N
works with its vectors and thumbnails injected (no network runs) into WORK_DIR/synN, builds it in a child
process and measures the result. Sizes are the files' own sizes (atlas.site.weight.measure_site, the
numbers the build summary reports); works are counted from the site's data/works.json. Results are merged
by label into benchmarks/results/site_weight.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from atlas.site.weight import SiteWeight, measure_site
from atlas.site.writer import works_count

RESULTS = Path(__file__).resolve().parent / "results" / "site_weight.json"
# What a site holds per work (issue 20's "files per work"), by path; the rest is site-wide (groups, studies, data).
PER_WORK = [
    ("artwork page", re.compile(r"^work/[^/]+/index\.html$")),
    ("work JSON", re.compile(r"^data/work/[^/]+\.json$")),
    ("thumbnails", re.compile(r"^thumbs/")),
    ("IIIF manifest", re.compile(r"^iiif/[^/]+/manifest\.json$")),
    ("pair pages", re.compile(r"^pair/.+")),
]
SHOWN = 10  # rows of each table: the largest folders and kinds


def build_synthetic(works: int, work_dir: Path) -> tuple[Path, float]:
    """Generate and build the synthetic collection of `works` works; (its site folder, build seconds)."""
    from benchmarks.synthetic import generate

    folder = work_dir / f"syn{works}"
    config = folder / "site.yaml"
    if not config.exists():
        generate(folder, works, inject=True, thumbs=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "atlas", "build", "--config", str(config)], check=True,
                   stdout=subprocess.DEVNULL)
    return folder / "build" / "site", time.perf_counter() - start


def per_work(site: Path) -> dict[str, dict]:
    """{part: {bytes, files}} of the PER_WORK parts and "site-wide" (everything else)."""
    out = {name: {"bytes": 0, "files": 0} for name, _ in PER_WORK} | {"site-wide": {"bytes": 0, "files": 0}}
    for here, _, names in os.walk(site):
        for name in names:
            path = Path(here) / name
            if path.is_symlink() or not path.is_file():
                continue
            relative = path.relative_to(site).as_posix()
            part = next((n for n, pattern in PER_WORK if pattern.match(relative)), "site-wide")
            out[part]["bytes"] += path.stat().st_size
            out[part]["files"] += 1
    return out


def row(label: str, site: Path, weight: SiteWeight, seconds: float | None) -> dict:
    works = works_count(site) or 0
    return {"site": label, "works": works, "bytes": weight.bytes, "files": weight.files, "parts": per_work(site),
            "bytes_per_work": round(weight.bytes / works) if works else None,
            "files_per_work": round(weight.files / works, 2) if works else None,
            "build_seconds": round(seconds, 1) if seconds is not None else None, **weight.as_dict()}


def print_site(r: dict) -> None:
    per = f", {r['bytes_per_work'] / 1024:,.1f} KiB and {r['files_per_work']} files per work" if r["works"] else ""
    print(f"\n## {r['site']}: {r['works']:,} works, {r['bytes'] / 1e6:,.1f} MB in {r['files']:,} files{per}\n")
    works = max(r["works"], 1)
    for title, table in (("part", r["parts"]), ("folder", r["folders"]), ("kind", r["kinds"])):
        print(f"| {title} | MB | share | files | KiB per work | files per work |\n|---|---:|---:|---:|---:|---:|")
        for name, v in sorted(table.items(), key=lambda t: -t[1]["bytes"])[:SHOWN]:
            print(f"| {name} | {v['bytes'] / 1e6:,.2f} | {v['bytes'] / max(r['bytes'], 1):.0%} | {v['files']:,} | "
                  f"{v['bytes'] / works / 1024:,.1f} | {v['files'] / works:.2f} |")
        print()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", action="append", default=[], help="LABEL=DIR of a site already built")
    parser.add_argument("--synthetic", action="append", type=int, default=[], help="works in a synthetic site to build")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/site_weight"))
    args = parser.parse_args(argv)
    rows = []
    for spec in args.site:
        label, _, folder = spec.partition("=")
        rows.append(row(label, Path(folder), measure_site(Path(folder)), None))
    for works in args.synthetic:
        site, seconds = build_synthetic(works, args.work_dir)
        rows.append(row(f"synthetic {works}", site, measure_site(site), seconds))
    for r in rows:
        print_site(r)
    old = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    old.update({r["site"]: r for r in rows})
    RESULTS.write_text(json.dumps(old, indent=1, sort_keys=True) + "\n")
    print(f"wrote {RESULTS.relative_to(RESULTS.parent.parent.parent)}")


if __name__ == "__main__":
    main()
