"""A local HTTP server in a thread for the fetcher's tests, the IIIF example and its benchmark.

Routes map a path to a handler `fn(request, hit)` (hit = 1 for the first request to that path), so a
test can answer slowly, with 429 + Retry-After, 500 then 200, a redirect loop, a wrong content type, a
truncated or a huge body. `static` routes answer conditional requests (ETag / Last-Modified) with 304.
The server counts every request, every conditional one and every body it sent, per path.
Images are made here, in memory, with Pillow: nothing is downloaded and nothing is read from ../shared
except the manifests the example serves.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

import numpy as np
from PIL import Image

Handler = Callable[[BaseHTTPRequestHandler, int], None]


def jpeg(width: int, height: int, seed: int = 0) -> bytes:
    """A deterministic JPEG: colour gradients and stripes that differ with `seed`."""
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    stripes = 127 + 127 * np.sin((x + y * (seed % 5)) / (8 + seed % 7))
    rgb = np.stack(np.broadcast_arrays((x + seed * 37) % 256, (y + seed * 11) % 256, stripes), axis=-1)
    out = io.BytesIO()
    Image.fromarray(rgb.astype(np.uint8), "RGB").save(out, "JPEG", quality=80)
    return out.getvalue()


def send(request: BaseHTTPRequestHandler, status: int, body: bytes = b"", headers: dict | None = None) -> None:
    request.send_response(status)
    for name, value in (headers or {}).items():
        request.send_header(name, str(value))
    if "Content-Length" not in (headers or {}):
        request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    if body:
        request.wfile.write(body)


class LocalServer:
    """`with LocalServer() as server:` serves its routes on 127.0.0.1 at a free port."""

    def __init__(self):
        self.routes: dict[str, Handler] = {}
        self.hits: Counter = Counter()
        self.conditional: Counter = Counter()
        self.bodies: Counter = Counter()  # 200 answers with a body, per path
        self.lock = threading.Lock()

    def __enter__(self) -> LocalServer:
        server = self

        class Request(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the stdlib's name)
                path = unquote(urlsplit(self.path).path)
                with server.lock:
                    server.hits[path] += 1
                    hit = server.hits[path]
                    if self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since"):
                        server.conditional[path] += 1
                handler = server.routes.get(path)
                if handler is None:
                    return send(self, 404, b"not found", {"Content-Type": "text/plain"})
                try:
                    handler(self, hit)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Request)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, handler: Handler) -> str:
        self.routes[path] = handler
        return self.url(path)

    def static(self, path: str, body: bytes, content_type: str = "image/jpeg", delay: float = 0.0) -> str:
        """A file with an ETag and a Last-Modified: conditional requests get 304 and no body."""
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        modified = "Mon, 01 Jan 2024 00:00:00 GMT"

        def answer(request, hit):
            if delay:
                time.sleep(delay)
            if request.headers.get("If-None-Match") == etag or (
                    not request.headers.get("If-None-Match") and request.headers.get("If-Modified-Since") == modified):
                return send(request, 304, b"", {"ETag": etag})
            with self.lock:
                self.bodies[path] += 1
            send(request, 200, body, {"Content-Type": content_type, "ETag": etag, "Last-Modified": modified})

        return self.add(path, answer)

    def level0_service(self, prefix: str, width: int, height: int, sizes: list[tuple[int, int]], version: int = 3,
                       seed: int = 0) -> str:
        """A static level-0 Image API service at `prefix`: info.json listing `sizes`, an image for each listed
        size and for the full image, and nothing else (any other size is a 404, as on a static host)."""
        service = self.url(prefix)
        info = {"width": width, "height": height, "sizes": [{"width": w, "height": h} for w, h in sizes]}
        if version >= 3:
            info |= {"@context": "http://iiif.io/api/image/3/context.json", "id": service, "type": "ImageService3",
                     "protocol": "http://iiif.io/api/image", "profile": "level0"}
            full = "max"
        else:
            info |= {"@context": "http://iiif.io/api/image/2/context.json", "@id": service,
                     "protocol": "http://iiif.io/api/image", "profile": ["http://iiif.io/api/image/2/level0.json"]}
            full = "full"
        self.static(f"{prefix}/info.json", json.dumps(info).encode(), "application/ld+json")
        for w, h in sizes:
            self.static(f"{prefix}/full/{w},{h}/0/default.jpg", jpeg(w, h, seed))
        self.static(f"{prefix}/full/{full}/0/default.jpg", jpeg(width, height, seed))
        return service

    def allowed_level0(self, prefix: str) -> set[str]:
        """The paths a level-0 service at `prefix` serves (for asserting no other size was asked for)."""
        return {p for p in self.routes if p.startswith(prefix + "/")}
