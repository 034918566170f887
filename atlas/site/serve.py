"""`python -m atlas serve`: preview the built site on localhost, under its base_url.

A static host serves the folder as it is; this only adds what a preview needs: the site appears at
base_url (so links behave exactly as they will on a sub-path host) and unknown paths get the site's own
404 page. For previews only: it binds to 127.0.0.1 and has no production hardening.
"""

from __future__ import annotations

import functools
import http.server
from pathlib import Path


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    base_url = "/"

    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0].split("#", 1)[0]
        if not clean.startswith(self.base_url) and clean + "/" != self.base_url:
            return str(Path(self.directory) / "__outside_base_url__")
        return super().translate_path("/" + clean[len(self.base_url):])

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code == 404 and page.is_file():
            body = page.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        super().send_error(code, message, explain)


def make_server(directory: Path, base_url: str, host: str = "127.0.0.1", port: int = 8000) -> http.server.ThreadingHTTPServer:
    handler = functools.partial(type("Handler", (SiteHandler,), {"base_url": base_url}), directory=str(directory))
    return http.server.ThreadingHTTPServer((host, port), handler)


def serve(directory: Path, base_url: str, host: str = "127.0.0.1", port: int = 8000) -> None:
    if not (directory / "index.html").is_file():
        raise SystemExit(f"no site at {directory}: run `python -m atlas build` first")
    server = make_server(directory, base_url, host, port)
    print(f"Serving {directory} at http://{host}:{server.server_address[1]}{base_url} (Ctrl+C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
