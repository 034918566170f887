"""Chord labels on a narrow screen (issue 15): the smallest label's drawn size and the labels cut off, by width.

    python benchmarks/chord_labels.py SITE_FOLDER [--base-url /] [--widths 320 390 1366] [--name aic]

Serves a built site (atlas.site.serve, as the browser tests do), opens chord/ in Debian's chromium at each
width and measures every .chord-label: its font size as drawn (computed size x the SVG's scale) and whether
its box leaves the diagram or the window. Prints a table and writes benchmarks/results/chord_labels_<name>.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.browser_support import LocalSite, find_chromium  # noqa: E402
from tests.test_pages_browser import CHORD_LABELS  # noqa: E402


def measure(site: Path, base_url: str, widths: list[int]) -> list[dict]:
    from playwright.sync_api import sync_playwright

    local = LocalSite(site, base_url)
    rows = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=find_chromium(), args=["--no-sandbox"])
            for width in widths:
                page = browser.new_page(viewport={"width": width, "height": 800})
                page.goto(local.base + "chord/")
                page.wait_for_timeout(500)
                found = page.evaluate(CHORD_LABELS)
                left, top, right, bottom = found["svg"]
                cut = [label["text"] for label in found["labels"]
                       if label["box"][0] < max(left, 0) - 0.5 or label["box"][2] > min(right, found["width"]) + 0.5
                       or label["box"][1] < top - 0.5 or label["box"][3] > bottom + 0.5]
                rows.append({"width": width, "labels": len(found["labels"]),
                             "smallest_px": round(min(label["px"] for label in found["labels"]), 1), "cut_off": cut})
            browser.close()
    finally:
        local.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--base-url", default="/")
    parser.add_argument("--widths", nargs="*", type=int, default=[320, 390, 1366])
    parser.add_argument("--name", default="site", help="names the results file")
    args = parser.parse_args()
    rows = measure(args.site, args.base_url, args.widths)
    print(f"{'width':>6} {'labels':>6} {'smallest':>9}  cut off")
    for r in rows:
        print(f"{r['width']:>6} {r['labels']:>6} {r['smallest_px']:>7} px  {', '.join(r['cut_off']) or 'none'}")
    out = ROOT / "benchmarks" / "results" / f"chord_labels_{args.name}.json"
    out.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    print(f"written: benchmarks/results/{out.name}")


if __name__ == "__main__":
    main()
