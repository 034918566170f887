"""The map at 100,000 works: load time and frame rate in headless Chromium.

    python benchmarks/map_100k.py                      # 100,000 points, 32 px sprite cells
    python benchmarks/map_100k.py --points 20000 --cell 16

Generates a synthetic collection (seeded positions in clustered blobs, tiny generated thumbnails, six
cultures, five media), writes its map through the real code (atlas.site.map_data -> binary point chunks and the
sprite pyramid of atlas.site.sprites: level 0 with --cell px cells, level 1 with 128 px cells; the map.html template via atlas.site.render.Renderer, the site's assets), serves it with atlas.site.serve on 127.0.0.1,
loads the map page in headless Chromium (Playwright driving /usr/bin/chromium), waits until the view is
drawn with the captions in, then drags the map for a few seconds and counts frames; then zooms in on a
cluster, waits for the sprite sheets that view needs (fetched on demand), and drags and counts again. Prints a table and writes
benchmarks/results/map_100k.json. `write_synthetic_site` is also used by the test suite.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from atlas.analysis.clusters import ClusterMap
from atlas.analysis.culture import CultureSimilarity
from atlas.core.config import SiteConfig
from atlas.core.records import Record
from atlas.site import urls
from atlas.site.context import SiteData
from atlas.site.map_chunks import CHUNK
from atlas.site.map_data import map_files
from atlas.site.pages import map_page, package_assets, write_outputs
from atlas.site.render import make_context
from atlas.site.sprites import UPPER_LEVELS, Level
from atlas.site.writer import SiteWriter

CULTURES = ["British", "Chinese", "Dutch", "Japanese", "Mexican", "Persian"]
MEDIA = ["Ceramic", "Drawing", "Painting", "Print", "Textile"]
BASE_URL = "/atlas/"


def synthetic_collection(n: int, clusters: int = 24, seed: int = 0) -> tuple[list[Record], ClusterMap]:
    """n works in `clusters` Gaussian blobs on the unit square, as (records, cluster_map)."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0.1, 0.9, size=(clusters, 2))
    which = rng.integers(0, clusters, size=n)
    xy = np.clip(centres[which] + rng.normal(0, 0.04, size=(n, 2)), 0.0, 1.0)
    works = [
        Record(id=f"W{i:06d}", title=f"Synthetic work {i}", artist=f"Artist {i % 997}", date_text=str(1500 + i % 500),
               culture_raw=CULTURES[i % 6], medium_raw=MEDIA[i % 5], culture=CULTURES[i % 6], medium=MEDIA[i % 5])
        for i in range(n)
    ]
    points = [{"id": w.id, "x": round(float(xy[i, 0]), 4), "y": round(float(xy[i, 1]), 4), "cluster": int(which[i])}
              for i, w in enumerate(works)]
    groups = [
        {"id": c, "label": f"Cluster {c + 1}", "x": round(float(centres[c, 0]), 4), "y": round(float(centres[c, 1]), 4),
         "size": int((which == c).sum()), "members": [], "representatives": [works[i].id for i in np.flatnonzero(which == c)[:4]]}
        for c in range(clusters)
    ]
    return works, ClusterMap.from_json({"points": points, "clusters": groups})


def tiny_thumbnail(work_id: str, cell: int) -> Image.Image:
    """A generated stand-in thumbnail: a flat colour from the id with a darker square inside."""
    k = int(work_id[1:])
    colour = (60 + (k * 37) % 190, 60 + (k * 91) % 190, 60 + (k * 53) % 190)
    image = Image.new("RGB", (cell, cell), colour)
    inner = max(1, cell // 3)
    image.paste(tuple(c // 2 for c in colour), (inner, inner, cell - inner, cell - inner))
    return image


def write_synthetic_site(out: Path, n: int, cell: int = 32, sheet: int = 2048, upper: Sequence[Level] = UPPER_LEVELS,
                         chunk: int = CHUNK) -> dict:
    """Write a site folder holding the map page of n synthetic works (plus assets); return map URLs.

    `upper` are the sprite pyramid's levels above level 0 (`cell` px cells in `sheet` px sheets)."""
    works, cmap = synthetic_collection(n)
    config = SiteConfig(base_url=BASE_URL, title="Synthetic atlas")
    writer = SiteWriter(out)
    data = SiteData(config, works, {}, {}, {}, CultureSimilarity([], [], [], []), cmap)
    ctx = make_context(data)
    for name, payload in package_assets():
        writer.write_bytes(urls.asset_path(name), payload)
    for c in cmap.clusters:  # the cluster strips under the map show these works' thumbnails
        for work_id in c.representatives:
            out_jpg = io.BytesIO()
            tiny_thumbnail(work_id, 64).save(out_jpg, format="JPEG", quality=80)
            writer.write_bytes(urls.thumb_path(ctx.small, work_id), out_jpg.getvalue())
    write_outputs(writer, map_files(BASE_URL, works, cmap, {w.id: w.id for w in works},
                                    lambda i: tiny_thumbnail(i, max([cell, *(lv.cell for lv in upper)])), None,
                                    cell=cell, sheet=sheet, upper=upper, chunk=chunk), [])
    write_outputs(writer, map_page(ctx), [])
    explorer_map = ctx.env.globals["explorer"]["map"]
    return explorer_map


def serve_in_thread(site: Path):
    """(server, origin) of atlas.site.serve on a free port of 127.0.0.1, serving `site` under BASE_URL."""
    from atlas.site.serve import make_server

    server = make_server(site, BASE_URL, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


PAN_SCRIPT = """(ms) => { window.__pan = null; (async () => {
  const v = document.querySelector('.map-viewport').getBoundingClientRect();
  const frames = [];
  const start = performance.now();
  const drawsBefore = window.atlasMap.stats.draws, drawBefore = window.atlasMap.stats.totalDrawMs;
  let t = start;
  while (t - start < ms) {
    t = await new Promise(requestAnimationFrame);
    frames.push(t);
  }
  const gaps = frames.slice(1).map((x, i) => x - frames[i]).sort((a, b) => a - b);
  return { frames: frames.length, seconds: (t - start) / 1000, draws: window.atlasMap.stats.draws - drawsBefore,
           drawMs: window.atlasMap.stats.totalDrawMs - drawBefore, p95gap: gaps[Math.floor(gaps.length * 0.95)] || 0,
           width: v.width, height: v.height };
})().then((r) => { window.__pan = r; }); }"""


def measure(origin: str, chromium: str, pan_ms: int = 3000) -> dict:
    """Load the map page, wait for every sheet, then pan by mouse drag while counting frames."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        t0 = time.perf_counter()
        page.goto(origin + BASE_URL + "map/")
        page.wait_for_function("window.atlasMap && window.atlasMap.stats.draws > 0 && window.atlasMap.count() > 0", timeout=120_000)
        dots = time.perf_counter() - t0
        page.wait_for_function("window.atlasMap.stats.ready && window.atlasMap.stats.captions", timeout=300_000)
        loaded = time.perf_counter() - t0
        box = page.locator(".map-viewport").bounding_box()
        results = {}
        for label, zoom in (("zoomed out", 0), ("zoomed in about 10x", 8)):
            page.get_by_role("button", name="Reset").click()
            at = page.evaluate(  # zoom in on the work nearest the centre of the view
                "(r) => window.atlasMap.screenOf(window.atlasMap.pick(r.width / 2, r.height / 2, 10000))", box)
            cx, cy = box["x"] + at["x"], box["y"] + at["y"]
            page.evaluate("document.querySelector('.map-viewport').focus({preventScroll: true})")  # the wheel zooms a focused map
            page.mouse.move(cx, cy)
            t_zoom = time.perf_counter()
            for _ in range(zoom):
                page.mouse.wheel(0, -200)
            page.wait_for_timeout(100)
            page.wait_for_function("window.atlasMap.stats.ready && window.atlasMap.stats.captions", timeout=120_000)
            sheets_s = time.perf_counter() - t_zoom
            page.mouse.down()
            page.evaluate(PAN_SCRIPT, pan_ms)
            k, until = 0, time.perf_counter() + pan_ms / 1000 + 0.2
            while time.perf_counter() < until:  # sweep left and right while the page counts frames
                phase = (k % 120) / 120
                dx = 200 * (phase * 4 - 1 if phase < 0.5 else 3 - phase * 4)
                page.mouse.move(cx + dx, cy + dx / 3)
                k += 1
            page.wait_for_function("window.__pan !== null", timeout=60_000)
            stats = page.evaluate("window.__pan")
            stats["mouse_moves"] = k
            stats["view_ready_s"] = round(sheets_s, 3)
            stats["sheets_fetched"] = page.evaluate("window.atlasMap.stats.sheetsRequested")
            page.mouse.up()
            stats["mode"] = page.evaluate("window.atlasMap.stats.mode")
            stats["visible"] = page.evaluate("window.atlasMap.visibleCount()")
            results[label] = stats
        requested = page.evaluate("performance.getEntriesByType('resource').map(e => e.transferSize || e.encodedBodySize)")
        browser.close()
    return {"first_dots_s": round(dots, 3), "view_and_captions_s": round(loaded, 3), "pan": results,
            "console_errors": errors, "resource_bytes": int(sum(requested))}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--cell", type=int, default=32, help="sprite cell size in px")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--output", default=str(ROOT / "benchmarks/results/map_100k.json"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        t0 = time.perf_counter()
        write_synthetic_site(site, args.points, cell=args.cell)
        generate = time.perf_counter() - t0
        sizes = {p.relative_to(site).as_posix(): p.stat().st_size for p in site.rglob("*") if p.is_file()}
        server, origin = serve_in_thread(site)
        try:
            result = measure(origin, args.chromium)
        finally:
            server.shutdown()
    files = {
        "points.json": sizes["data/map/points.json"],
        "point_chunks": sum(v for k, v in sizes.items() if k.startswith("data/map/points-")),
        "captions": sum(v for k, v in sizes.items() if k.startswith("data/map/captions-")),
        "sheets": sum(v for k, v in sizes.items() if k.startswith("data/map/sheets/sheet-")),
        "sheet_count": sum(1 for k in sizes if k.startswith("data/map/sheets/sheet-")),
        "level1_tiles": sum(v for k, v in sizes.items() if k.startswith("data/map/sheets/1/")),
        "map/index.html": sizes["map/index.html"],
    }
    result.update(points=args.points, cell=args.cell, generate_s=round(generate, 2), files=files)
    print(f"{'measure':44} value")
    print(f"{'points':44} {args.points:,}")
    print(f"{'generate site (sprites, JSON, page)':44} {generate:.1f} s")
    print(f"{'page load to first dots drawn':44} {result['first_dots_s']:.2f} s")
    print(f"{'page load to view + captions ready':44} {result['view_and_captions_s']:.2f} s")
    for label, stats in result["pan"].items():
        fps = stats["frames"] / stats["seconds"] if stats["seconds"] else 0
        per_draw = stats["drawMs"] / stats["draws"] if stats["draws"] else 0
        print(f"{'pan, ' + label:44} {fps:.1f} fps, {per_draw:.1f} ms per draw, p95 frame gap "
              f"{stats['p95gap']:.1f} ms, {stats['visible']:,} points on screen ({stats['mode']}), "
              f"{stats['sheets_fetched']} sheets fetched, view ready in {stats['view_ready_s']:.2f} s")
    print(f"{'points.json / point chunks / caption chunks':44} {files['points.json']:,} / {files['point_chunks']:,} / {files['captions']:,} bytes")
    print(f"{'level-1 sprite tiles (all, fetched on demand)':44} {files['level1_tiles']:,} bytes")
    print(f"{'sprite sheets (all, fetched on demand)':44} {files['sheet_count']} files, {files['sheets']:,} bytes")
    print(f"{'bytes fetched by the page in all':44} {result['resource_bytes']:,}")
    print(f"{'console errors':44} {len(result['console_errors'])}")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
