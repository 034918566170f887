"""The map at 100,000 and 1,000,000 points: first dots, frame rate while panning and memory in headless Chromium.

    python benchmarks/map_scale.py                         # 100k and 1M points; WebGL, the 2D path, map.js's choice
    python benchmarks/map_scale.py --points 1000000 --renderers webgl --pan-ms 2000

The points are written straight as the map's binary chunks (atlas.site.map_chunks, the real writer: seeded
positions in 24 Gaussian blobs, Z-ordered like the build's, six cultures, five media), with a points.json
index and the real map page and assets (the page itself is rendered from a 100-work stand-in collection,
so its text and scripts-off list are those of 100 works; no sprite sheet is written, so the map stays in
dots at every zoom). Served by atlas.site.serve on 127.0.0.1 and loaded in headless Chromium (Playwright
driving /usr/bin/chromium; its WebGL is whatever the browser reports, printed in the table: SwiftShader
on a machine without a GPU) at 1280x900. For each renderer ("webgl": forced even in software; "2d": WebGL
switched off, so map.js draws dots into an ImageData; "auto": map.js's own choice, what a visitor gets):

- first dots: performance.now() at the first frame drawn with points in it, from the start of navigation
  (map.js's stats.firstDotsMs); all points: when the last chunk was in (stats.allPointsMs);
- panning: a requestAnimationFrame loop that moves the view every frame for --pan-ms, zoomed out (every
  point on screen) and zoomed in 9.3x on the largest cluster; frames per second, the mean time of map.js's draw() call (CPU side;
  WebGL's own work is in the frame rate), p95 gap between frames;
- memory: the page's JS heap in use (CDP Performance.getMetrics JSHeapUsedSize) after loading, its typed
  arrays' memory outside that heap (CDP Runtime.getHeapUsage backingStorageSize), and the WebGL buffers'
  size (12 bytes a point: x, y, colour; GPU or SwiftShader memory, in neither figure).

Prints a table and writes benchmarks/results/map_scale.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from atlas.analysis.chord import palette
from atlas.core.jsonio import json_bytes
from atlas.site.map_chunks import CHUNK, build_chunks, chunk_index, columns
from atlas.site.map_data import MAP_DIR, SCALE, _spread
from benchmarks.map_100k import (
    BASE_URL,
    CULTURES,
    MEDIA,
    serve_in_thread,
    write_synthetic_site,
)

CHOOSE = "window.atlasMapRenderer = '{}';"  # map.js's renderer choice: webgl, 2d, or auto (what a visitor gets)

CENTRE = """([cx, cy]) => {
  const m = window.atlasMap, r = document.querySelector('.map-viewport').getBoundingClientRect();
  const b = Math.min(r.width, r.height) * m.view.s;
  m.panBy(r.width / 2 - (m.view.x + b * cx), r.height / 2 - (m.view.y + b * cy));
}"""

PAN = """async ([ms, step]) => {
  const m = window.atlasMap, s0 = {...m.stats};
  const frames = [];
  const start = performance.now();
  let t = start, k = 0;
  while (t - start < ms) {
    const phase = (k++ % 120) / 120;
    m.panBy(phase < 0.5 ? step : -step, phase < 0.5 ? step / 3 : -step / 3);
    t = await new Promise(requestAnimationFrame);
    frames.push(t);
  }
  const gaps = frames.slice(1).map((x, i) => x - frames[i]).sort((a, b) => a - b);
  const draws = m.stats.draws - s0.draws;
  return { fps: frames.length / ((t - start) / 1000), draws, draw_ms: draws ? (m.stats.totalDrawMs - s0.totalDrawMs) / draws : 0,
           p95_gap_ms: gaps[Math.floor(gaps.length * 0.95)] || 0, visible: m.visibleCount(), mode: m.stats.mode };
}"""


def synthetic_points(n: int, clusters: int = 24, seed: int = 0) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """n points in Gaussian blobs on the unit square, in Z-order as the build writes them; and the blob centres."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0.1, 0.9, size=(clusters, 2))
    which = rng.integers(0, clusters, size=n)
    xy = np.clip(centres[which] + rng.normal(0, 0.04, size=(n, 2)), 0.0, 1.0)
    xy = np.round(xy * SCALE) / SCALE
    q = np.clip(np.round(xy * 65535), 0, 65535).astype(np.int64)
    order = np.argsort(spread_array(q[:, 0]) | (spread_array(q[:, 1]) << 1), kind="stable")
    k = np.arange(n)
    cols = columns(xy[order, 0], xy[order, 1], which[order], (k % len(CULTURES))[order], (k % len(MEDIA))[order])
    return cols, centres


def spread_array(v: np.ndarray) -> np.ndarray:
    """atlas.site.map_data._spread on a whole array (the same bit steps; checked against it in main)."""
    v = v & 0xFFFF
    v = (v | (v << 8)) & 0x00FF00FF
    v = (v | (v << 4)) & 0x0F0F0F0F
    v = (v | (v << 2)) & 0x33333333
    return (v | (v << 1)) & 0x55555555


def write_site(out: Path, n: int) -> dict:
    """The map page and assets, then n points as binary chunks and their points.json index; file sizes."""
    write_synthetic_site(out, 100, cell=48, upper=())  # page, assets, a stand-in map we replace below
    for stale in (out / "data/map").glob("points-*.bin"):
        stale.unlink()
    cols, centres = synthetic_points(n)
    chunks = build_chunks(cols, CHUNK)
    for c in chunks:
        (out / MAP_DIR / c.name).write_bytes(c.data)
    index = {
        "count": n, "scale": SCALE, "cultures": CULTURES, "media": MEDIA,
        "colours": {"culture": palette(len(CULTURES)), "medium": palette(len(MEDIA))},
        "clusters": [{"id": c, "label": f"Cluster {c + 1}", "size": int((cols["cluster"] == c).sum()),
                      "x": round(float(x) * SCALE), "y": round(float(y) * SCALE)} for c, (x, y) in enumerate(centres)],
        "points": chunk_index(chunks, BASE_URL + MAP_DIR, CHUNK),
        "sprites": {"cell": 48, "columns": 42, "per_sheet": 1764, "sheets": []},
        "pyramid": [],
    }
    (out / MAP_DIR / "points.json").write_bytes(json_bytes(index))
    largest = max(index["clusters"], key=lambda c: c["size"])
    return {"chunks": len(chunks), "chunk_bytes": sum(len(c.data) for c in chunks),
            "centre": [largest["x"] / SCALE, largest["y"] / SCALE],
            "index_bytes": (out / MAP_DIR / "points.json").stat().st_size}


def measure(origin: str, chromium: str, renderer: str, pan_ms: int, centre: list[float]) -> dict:
    """Load the map in a fresh browser, then pan zoomed out and zoomed in; timings, frame rates and memory."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.add_init_script(CHOOSE.format(renderer))
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        t0 = time.perf_counter()
        page.goto(origin + BASE_URL + "map/")
        page.wait_for_function("window.atlasMap && window.atlasMap.stats.ready && window.atlasMap.stats.draws > 0", timeout=300_000)
        wall = time.perf_counter() - t0
        stats = page.evaluate("({...window.atlasMap.stats})")
        page.wait_for_timeout(500)
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        heap = cdp.send("Runtime.getHeapUsage")  # backingStorageSize: the typed arrays' memory, outside the heap
        result = {
            "renderer": stats["renderer"], "gl": stats["glRenderer"], "first_dots_ms": round(stats["firstDotsMs"], 1),
            "all_points_ms": round(stats["allPointsMs"], 1), "load_wall_s": round(wall, 2),
            "js_heap_used_mb": round(metrics["JSHeapUsedSize"] / 2**20, 1),
            "js_heap_total_mb": round(metrics["JSHeapTotalSize"] / 2**20, 1),
            "array_buffers_mb": round(heap.get("backingStorageSize", 0) / 2**20, 1),
            "webgl_buffers_mb": round(12 * int(stats["pointsLoaded"]) / 2**20, 1) if stats["renderer"] == "webgl" else 0,
        }
        if stats["renderer"] == "webgl":  # the whole map: a WebGL draw of every point, then a read-back that waits for it
            result["gl_draw_and_read_ms"] = round(page.evaluate(
                "() => { const t = performance.now(); for (let k = 0; k < 20; k++) window.atlasMap.pixelAt(1, 1);"
                " return (performance.now() - t) / 20; }"), 1)
        for label, zoom_clicks in (("zoomed out", 0), ("zoomed in 8x", 10)):  # 1.25 ** 10 = 9.3
            page.get_by_role("button", name="Reset").click()
            for _ in range(zoom_clicks):
                page.get_by_role("button", name="Zoom in").click()
            page.evaluate(CENTRE, centre)  # the same place in every run: the largest cluster's centre
            pan = page.evaluate(PAN, [pan_ms, 6])
            pan["scale"] = round(page.evaluate("window.atlasMap.view.s"), 2)
            result[label] = {k: round(v, 2) if isinstance(v, float) else v for k, v in pan.items()}
        result["console_errors"] = errors
        browser.close()
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--renderers", nargs="+", default=["webgl", "2d", "auto"], choices=["webgl", "2d", "auto"])
    parser.add_argument("--pan-ms", type=int, default=3000)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--output", default=str(ROOT / "benchmarks/results/map_scale.json"))
    args = parser.parse_args(argv)
    probe = np.array([0, 1, 12345, 65535])
    assert spread_array(probe).tolist() == [_spread(int(v)) for v in probe]
    runs = []
    for n in args.points:
        with tempfile.TemporaryDirectory() as tmp:
            site = Path(tmp) / "site"
            t0 = time.perf_counter()
            files = write_site(site, n)
            files["write_s"] = round(time.perf_counter() - t0, 2)
            server, origin = serve_in_thread(site)
            server.RequestHandlerClass.func.log_message = lambda *a: None
            try:
                for renderer in args.renderers:
                    run = {"points": n, "asked": renderer, **files,
                           **measure(origin, args.chromium, renderer, args.pan_ms, files["centre"])}
                    runs.append(run)
                    print_row(run)
            finally:
                server.shutdown()
    print(f"GL: {next((r['gl'] for r in runs if r['gl']), 'none')}")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps({"runs": runs, "pan_ms": args.pan_ms}, indent=2, sort_keys=True) + "\n",
                                 encoding="utf-8")
    print(f"wrote {Path(args.output).relative_to(ROOT) if Path(args.output).is_relative_to(ROOT) else args.output}")


HEADER_PRINTED = []


def print_row(run: dict) -> None:
    if not HEADER_PRINTED:
        print(f"{'points':>9} {'asked':6} {'drew':6} {'chunks':>6} {'MB':>5} {'first dots':>10} {'all in':>7} "
              f"{'heap MB':>7} {'arrays MB':>9} {'pan out fps':>11} {'draw ms':>7} {'pan in fps':>10} {'draw ms':>7}")
        HEADER_PRINTED.append(True)
    out, zin = run["zoomed out"], run["zoomed in 8x"]
    print(f"{run['points']:>9,} {run['asked']:6} {run['renderer']:6} {run['chunks']:>6} {run['chunk_bytes'] / 1e6:>5.1f} "
          f"{run['first_dots_ms']:>8.0f}ms {run['all_points_ms']:>5.0f}ms {run['js_heap_used_mb']:>7.1f} {run['array_buffers_mb']:>9.1f} "
          f"{out['fps']:>11.1f} {out['draw_ms']:>7.1f} {zin['fps']:>10.1f} {zin['draw_ms']:>7.1f}"
          + (f"  (WebGL draw + read-back of the whole map: {run['gl_draw_and_read_ms']:.1f} ms)" if "gl_draw_and_read_ms" in run else ""))


if __name__ == "__main__":
    main()
