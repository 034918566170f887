"""First-load bytes of the home, artwork and map pages: every resource a fresh browser fetches.

    python -m atlas build && python benchmarks/first_load.py          # the site of site.yaml
    python benchmarks/first_load.py --site /tmp/x/site --base-url /atlas/ --work S0001

Serves the built site with atlas.site.serve on 127.0.0.1, opens each page in headless Chromium (Playwright
driving Debian's /usr/bin/chromium) with an empty cache at 1280x900, waits until the network is idle
(the map: until every sprite sheet and the captions are in), and adds up the bytes of every response
(headers + body, as received). Prints a table and writes benchmarks/results/first_load.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import threading
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from atlas.core.config import load_config
from atlas.site import urls
from atlas.site.serve import make_server


def kind_of(url: str) -> str:
    path = url.split("?", 1)[0]
    for suffix, kind in ((".js", "script"), (".css", "style"), (".json", "data"), (".jpg", "image"), (".svg", "image")):
        if path.endswith(suffix):
            return kind
    return "html"


def first_load(browser, page_url: str, is_map: bool) -> dict:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sizes: dict[str, int] = {}

    def finished(request) -> None:
        s = request.sizes()
        sizes[request.url] = s["responseBodySize"] + s["responseHeadersSize"]

    page.on("requestfinished", finished)
    page.goto(page_url, wait_until="networkidle")
    if is_map:
        page.wait_for_function("window.atlasMap && window.atlasMap.stats.ready && window.atlasMap.stats.captions")
        page.wait_for_load_state("networkidle")
    context.close()
    by_kind: dict[str, int] = defaultdict(int)
    for url, size in sizes.items():
        by_kind[kind_of(url)] += size
    return {"requests": len(sizes), "bytes": sum(sizes.values()), "by_kind": dict(sorted(by_kind.items()))}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=str(ROOT / "site.yaml"))
    parser.add_argument("--site", help="built site folder (default: the config's output)")
    parser.add_argument("--base-url", help="the site's base_url (default: the config's)")
    parser.add_argument("--work", default="S0001", help="id of the artwork page to load")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--output", default=str(ROOT / "benchmarks/results/first_load.json"))
    args = parser.parse_args(argv)
    config = load_config(Path(args.config))
    site = Path(args.site) if args.site else config.output_dir
    base = args.base_url or config.base_url
    server = make_server(site, base, port=0)
    server.RequestHandlerClass.func.log_message = lambda *a: None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    pages = {"home": urls.page_path("home"), "artwork": urls.page_path("work", args.work), "map": urls.page_path("map")}
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
            results = {name: first_load(browser, origin + urls.join_url(base, path), name == "map") for name, path in pages.items()}
            browser.close()
    finally:
        server.shutdown()
    print(f"{'page':10} {'requests':>8} {'bytes':>12}  by kind")
    for name, r in results.items():
        kinds = ", ".join(f"{k} {v:,}" for k, v in r["by_kind"].items())
        print(f"{name:10} {r['requests']:>8} {r['bytes']:>12,}  {kinds}")
    out = {"site": str(site), "work": args.work, "viewport": [1280, 900], "pages": results}
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(out, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
