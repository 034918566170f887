"""Artwork pages against the number of groups: bytes and pictures per page with every group pictured, and
with render.groups_shown (the closest groups pictured, the rest one link each).

    python -m benchmarks.page_groups --works 2000 --groups 10,50,200 --sample 200

For each group count G: N synthetic works in G culture groups (Zipf sizes, benchmarks/synthetic.py) and 10
media, 64-d clustered vectors, exact conditional neighbours (k = 6), the site context of
benchmarks/render_scale.py; then the first `--sample` artwork pages are rendered (nothing written) with
groups_shown 0 (all pictured) and the default, and their mean size and `<img>` count reported, with the mean
size of the same works' JSON (atlas/site/work_json.py), which holds every group's analogies.
Writes benchmarks/results/page_groups.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import benchmarks.render_scale as render_scale
from atlas.core.config import RenderConfig
from atlas.core.jsonio import json_bytes
from atlas.site.artworks import artwork_pages
from atlas.site.render import make_context
from atlas.site.work_json import work_record

RESULTS = Path(__file__).resolve().parent / "results" / "page_groups.json"


def measure(works: int, groups: int, sample: int, shown: int, folder: Path) -> dict:
    render_scale.CULTURES = [f"Culture {i:03d}" for i in range(groups)]  # site_data draws cultures from here
    data, _ = render_scale.site_data(works, folder)
    data.config.render.groups_shown = shown
    ctx = make_context(data)
    ids = [w.id for w in data.works][:sample]
    start = time.perf_counter()
    pages = [out.data for out in artwork_pages(ctx, ids, 1)]
    seconds = time.perf_counter() - start
    size = sum(len(p) for p in pages)
    json_size = sum(len(json_bytes(work_record(ctx, ctx.by_id[i]))) for i in ids)
    return {"works": works, "groups": groups, "groups_shown": shown, "pages": len(pages),
            "page_bytes_mean": round(size / len(pages)), "img_per_page_mean": round(sum(p.count(b"<img") for p in pages) / len(pages), 1),
            "work_json_bytes_mean": round(json_size / len(pages)), "render_s_per_page": round(seconds / len(pages), 4)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--works", type=int, default=2000)
    parser.add_argument("--groups", default="10,50,200")
    parser.add_argument("--sample", type=int, default=200)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="pagegroups-") as tmp:
        for groups in (int(g) for g in args.groups.split(",")):
            for shown in (0, RenderConfig().groups_shown):
                rows.append(measure(args.works, groups, args.sample, shown, Path(tmp)))
                print(rows[-1], flush=True)
    print("\n| culture groups | groups_shown | artwork page KiB | <img> per page | work JSON KiB | render ms/page |\n"
          "|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['groups']} | {r['groups_shown'] or 'all'} | {r['page_bytes_mean'] / 1024:.1f} | "
              f"{r['img_per_page_mean']} | {r['work_json_bytes_mean'] / 1024:.1f} | {r['render_s_per_page'] * 1000:.1f} |")
    RESULTS.write_text(json.dumps(rows, indent=1) + "\n")
    print(f"wrote benchmarks/results/{RESULTS.name}")


if __name__ == "__main__":
    main()
