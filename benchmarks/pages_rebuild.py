"""The pages stage of one rebuild, without the writer's part: what the page code itself costs when one title or
one image changed, against a work folder that benchmarks/rebuilds.py made (`--work-dir W`).

    nice python -m benchmarks.pages_rebuild --config DIR/site.yaml --work-dir W --changes title,image,title

Makes one settling build first (the code may have changed since W was built; `--no-settle` skips it), then each
change in turn (benchmarks.rebuilds' change_title / change_image) and a plain, unprofiled build after it. The
seconds spent in SiteWriter.keep / write_bytes / copy_file during render_site (hard links, folders, writes: the
publishing side) and in the garbage collector while pages render are measured apart, so "pages minus writer" is
the page code's own cost. Prints a table and writes benchmarks/results/pages_rebuild[-NAME].json.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import time
from pathlib import Path

import atlas.build as build_module
from atlas.core.config import load_config
from atlas.site import writer as writer_module
from atlas.site.page_keys import PageKeys
from benchmarks.rebuilds import change_image, change_title, timed_build, work_overrides

HERE = Path(__file__).resolve().parent
CHANGES = {"title": change_title, "image": change_image}


class Meter:
    """Seconds in the writer's calls and in the GC while render_site runs, and the pages kept by fingerprint."""

    def __init__(self) -> None:
        self.inside = False
        self.writer = self.gc = self.render = 0.0
        self.fingerprints = 0
        self._gc_start = 0.0

    def reset(self) -> None:
        self.writer = self.gc = self.render = 0.0
        self.fingerprints = 0

    def install(self) -> None:
        for name in ("keep", "write_bytes", "copy_file"):
            setattr(writer_module.SiteWriter, name, self._timed(getattr(writer_module.SiteWriter, name)))
        gc.callbacks.append(self._on_gc)
        render_site, save = build_module.render_site, PageKeys.save

        def measured_render(*args, **kwargs):
            self.inside, start = True, time.perf_counter()
            try:
                return render_site(*args, **kwargs)
            finally:
                self.inside, self.render = False, time.perf_counter() - start

        def counted_save(keys):
            self.fingerprints = keys.fingerprints_kept
            return save(keys)

        build_module.render_site, PageKeys.save = measured_render, counted_save

    def _timed(self, method):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                if self.inside:
                    self.writer += time.perf_counter() - start
        return wrapper

    def _on_gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
        elif self.inside:
            self.gc += time.perf_counter() - self._gc_start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True, help="the synthetic collection's site.yaml")
    parser.add_argument("--work-dir", type=Path, required=True, help="benchmarks.rebuilds' --work-dir")
    parser.add_argument("--changes", default="title,image,title", help="the rebuilds, in this order")
    parser.add_argument("--no-settle", action="store_true", help="no settling build first")
    parser.add_argument("--name", default="")
    args = parser.parse_args(argv)
    config = load_config(args.config, work_overrides(load_config(args.config), args.work_dir, copy=False))
    meter = Meter()
    meter.install()
    if not args.no_settle:
        print(f"settling build: {timed_build(config)[0]:.1f} s")
    rows = []
    for change in args.changes.split(","):
        CHANGES[change](config)
        meter.reset()
        seconds, run = timed_build(config)
        pages = run["stages_s"]["pages"]
        rows.append({"change": change, "build_s": round(seconds, 2), "pages_s": pages,
                     "writer_s": round(meter.writer, 2), "pages_minus_writer_s": round(pages - meter.writer, 2),
                     "gc_in_pages_s": round(meter.gc, 2), "pages_kept": run["pages_kept"],
                     "kept_by_fingerprint": meter.fingerprints, "rendered_keyed": run["pages_rendered_keyed"],
                     "groups_s": {k: v for k, v in run["stages_s"].items() if k.startswith("pages: ")}})
    print(f"{'change':<7} {'build':>7} {'pages':>7} {'writer':>7} {'pages-writer':>13} {'gc':>6} {'kept':>6} {'by fp':>6}")
    for row in rows:
        print(f"{row['change']:<7} {row['build_s']:>7.1f} {row['pages_s']:>7.2f} {row['writer_s']:>7.2f} "
              f"{row['pages_minus_writer_s']:>13.2f} {row['gc_in_pages_s']:>6.2f} {row['pages_kept']:>6} "
              f"{row['kept_by_fingerprint']:>6}")
    out = HERE / "results" / f"pages_rebuild{'-' + args.name if args.name else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    result = {"load_average_at_end": round(os.getloadavg()[0], 1), "rebuilds": rows}
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
