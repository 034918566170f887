"""The stages before "pages" of a rebuild, side by side for several runs of benchmarks/rebuilds.py.

    python -m benchmarks.rebuild_stages benchmarks/results/rebuilds-A.json benchmarks/results/rebuilds-B.json

Reads each run's per-stage seconds (the build report's timings, which rebuilds.py keeps in its JSON), prints
one table per rebuild (one title changed, one image changed, no change) with a column per file, the stages
before "pages" and their sum, and writes the table to benchmarks/results/rebuild-stages.json. Issue 20's
goal for these stages at 10,000 works: <= 3 s together after one title changed, <= 6 s after one image.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
LATER = ("pages", "publish")  # the stages this table leaves out: its own owners' (page keys, the writer)


def before_pages(stages: dict[str, float]) -> dict[str, float]:
    """The stages that run before "pages", in build order (the report keeps that order)."""
    return {name: seconds for name, seconds in stages.items() if not name.startswith(LATER)}


def table(runs: dict[str, dict], rebuild: str) -> dict[str, dict[str, float]]:
    """{stage: {run label: seconds}} for one rebuild, with a "together" row."""
    columns = {label: before_pages(data["runs"][rebuild]["stages_s"]) for label, data in runs.items()
               if rebuild in data["runs"]}
    names = list(dict.fromkeys(name for stages in columns.values() for name in stages))
    rows = {name: {label: round(stages.get(name, 0.0), 3) for label, stages in columns.items()} for name in names}
    rows["together"] = {label: round(sum(stages.values()), 2) for label, stages in columns.items()}
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, help="JSON files written by benchmarks.rebuilds")
    args = parser.parse_args(argv)
    runs = {path.stem.removeprefix("rebuilds-"): json.loads(path.read_text(encoding="utf-8")) for path in args.files}
    out = {}
    for rebuild in ("one_title_changed", "one_image_changed", "no_change"):
        rows = table(runs, rebuild)
        if not rows or not rows["together"]:
            continue
        out[rebuild] = rows
        labels = list(rows["together"])
        width = max(map(len, labels)) + 2
        print(f"\n{rebuild} (seconds)")
        print(f"{'stage':<14}" + "".join(f"{label:>{width}}" for label in labels))
        for name, values in rows.items():
            print(f"{name:<14}" + "".join(f"{values.get(label, 0.0):>{width}.2f}" for label in labels))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "rebuild-stages.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"\nwrote {RESULTS / 'rebuild-stages.json'}")


if __name__ == "__main__":
    main()
