"""Size of the published sample atlas, and how much of it is share cards (issue 15, pages half).

    python benchmarks/site_size.py build/bench-size                  # site_url unset (the shipped configs)
    python benchmarks/site_size.py build/bench-size-url --site-url https://collection.example.org
    python benchmarks/site_size.py build/bench-size-main --checkout ../main   # "before": main's code

Builds the sample with the tests' settings (tests/conftest.sample_config: untrained ResNet-18 at 128 px,
120 pre-rendered pair pages) into the given folder, then prints the site's files and bytes, the bytes of
the pair cards (pair/**/card.jpg) and the build's own counts. --checkout builds with another checkout's
atlas (main's, for the "before" figure). Writes benchmarks/results/site_size.json (one entry per label:
the checkout's short commit and whether site_url was set).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "site_size.json"


def measure(folder: Path, site_url: str, checkout: Path) -> dict:
    sys.path.insert(0, str(checkout))
    from atlas.build import build
    from atlas.core.config import load_config
    from tests.conftest import sample_config

    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    report = build(load_config(sample_config(folder, **({"site_url": site_url} if site_url else {}))))
    site = folder / "site"
    files = [p for p in site.rglob("*") if p.is_file()]
    cards = [p for p in (site / "pair").rglob("*.jpg")]
    return {"files": len(files), "site_bytes": sum(p.stat().st_size for p in files), "cards": len(cards),
            "card_bytes": sum(p.stat().st_size for p in cards), "pair_pages": report.counts.get("pair_pages"),
            "warnings": sum(1 for p in report.problems if "site_url is not set" in p.reason),
            "seconds": round(time.perf_counter() - start, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--site-url", default="")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the checkout whose atlas builds (default: this one)")
    args = parser.parse_args()
    checkout = args.checkout.resolve()
    row = measure(args.folder.resolve(), args.site_url, checkout)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=checkout, capture_output=True, text=True, check=False).stdout.strip()
    label = f"{commit} site_url={'set' if args.site_url else 'unset'}"
    print(f"{'checkout':28} {'files':>6} {'site MB':>8} {'cards':>6} {'card MB':>8} {'share':>6}")
    print(f"{label:28} {row['files']:6} {row['site_bytes'] / 1e6:8.1f} {row['cards']:6} {row['card_bytes'] / 1e6:8.1f} "
          f"{row['card_bytes'] / max(row['site_bytes'], 1):6.0%}")
    results = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.is_file() else {}
    results[label] = row
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
