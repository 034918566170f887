"""A local stand-in for the institutions behind IIIF documents: their manifests served over HTTP, their
image services replaced by generated level-0 services (fetch.rewrite maps each service's URL to its
stand-in), so a build from real manifests runs on a machine with no internet. Used by the IIIF example's
test and by benchmarks/iiif_fetch.py. Everything generated lives in memory or in the caller's tmp folder;
../shared is only read.
"""

from __future__ import annotations

import json
from pathlib import Path

from atlas.core.config import CollectionConfig
from atlas.ingest.iiif import read_iiif
from atlas.ingest.remote_images import info_url, is_service
from tests.http_fixtures import LocalServer, jpeg

SERVICE_SIZE = (800, 600)  # every stand-in image: full size, and the level-0 sizes listed below
LISTED_SIZES = [(100, 75), (200, 150), (400, 300), (800, 600)]


def serve_documents(server: LocalServer, folder: Path, prefix: str = "/iiif") -> str:
    """Every JSON document under `folder` at prefix/<relative path>, and a generated Collection listing the
    Manifests and Collections among them by their local URLs; returns the collection's URL."""
    members = []
    for path in sorted(folder.rglob("*.json")):
        relative = path.relative_to(folder).as_posix()
        body = path.read_bytes()
        url = server.static(f"{prefix}/{relative}", body, "application/json")
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        kind = str((doc.get("type") or doc.get("@type") or "") if isinstance(doc, dict) else "").rsplit(":", 1)[-1]
        members.append({"id": url, "type": kind if kind in ("Manifest", "Collection") else "Manifest",
                        "label": {"none": [relative]}})
    collection = {"@context": "http://iiif.io/api/presentation/3/context.json", "id": server.url(f"{prefix}/all.json"),
                  "type": "Collection", "label": {"en": ["Every document"]}, "items": members}
    return server.static(f"{prefix}/all.json", json.dumps(collection).encode(), "application/ld+json")


def mirror_images(server: LocalServer, folder: Path) -> dict[str, str]:
    """A level-0 stand-in for every image service (and a static image for every bare image URL) that the
    documents under `folder` use; returns the fetch.rewrite map from their URLs to the stand-ins."""
    urls = set()
    for path in sorted(folder.rglob("*.json")):
        result = read_iiif(CollectionConfig(format="iiif", path=str(path)), folder, None)
        urls |= {r.image_url for r in result.records}
    rewrite = {}
    for n, url in enumerate(sorted(urls)):
        if is_service(url):
            base = info_url(url)[: -len("/info.json")]
            rewrite[base] = server.level0_service(f"/svc/{n}", *SERVICE_SIZE, LISTED_SIZES, seed=n)
        else:
            rewrite[url] = server.static(f"/img/{n}.jpg", jpeg(*LISTED_SIZES[2], seed=n))
    return rewrite
