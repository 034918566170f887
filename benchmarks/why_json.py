"""What "why this match" adds to a site's work JSON (issue 15): the bytes of each work's "why" key.

    python benchmarks/why_json.py SITE_FOLDER [--name aic_fallback]

Reads every work's data file of a built site (its IIIF manifest, or data/work/*.json without manifests: atlas/site/
work_files.py) and measures its record's "why" key ("w") (each listed analogy's feature
shares in thousandths, plus the work's heat map) as the site writes it (atlas.core.jsonio.json_bytes),
against the whole file. Prints the totals and writes benchmarks/results/why_json_<name>.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from atlas.core.jsonio import json_bytes  # noqa: E402
from atlas.site.work_json import read_work_json  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--name", default="site")
    args = parser.parse_args()
    files = sorted((args.site / "data" / "work").glob("*.json")) or sorted(args.site.glob("iiif/*/manifest.json"))
    whole = why = rows = 0
    for path in files:
        data = path.read_bytes()
        work = read_work_json(data)
        whole += len(data)
        if "why" in work:
            why += len(json_bytes({"w": work["why"]})) - len(json_bytes({}))
            rows += sum(len(r) for fld, groups in work["why"].items() if isinstance(groups, dict) for r in groups.values())
    result = {"works": len(files), "work_json_bytes": whole, "why_bytes": why, "why_bytes_per_work": round(why / max(len(files), 1)),
              "share_rows": rows, "why_share_of_work_json": round(why / max(whole, 1), 3)}
    print(f"{len(files):,} work files, {whole:,} bytes; 'why' keys {why:,} bytes ({result['why_bytes_per_work']:,} per work, "
          f"{100 * result['why_share_of_work_json']:.1f}% of the work JSON), {rows:,} analogies with their shares")
    out = ROOT / "benchmarks" / "results" / f"why_json_{args.name}.json"
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"written: benchmarks/results/{out.name}")


if __name__ == "__main__":
    main()
