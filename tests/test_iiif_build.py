"""Whole builds from IIIF: a collection over a local server where some images fail, its rebuild (conditional
requests only) and its offline rebuild; and the IIIF example from the real manifests in ../shared."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from atlas.build import build
from atlas.core.config import load_config
from atlas.ingest import fetch
from tests.conftest import ROOT, SHARED_DATA, TEST_EMBEDDING, write_small_collection
from tests.http_fixtures import LocalServer, send
from tests.iiif_mirror import mirror_images, serve_documents
from tests.test_iiif_reader import v3_manifest

IIIF_DATA = SHARED_DATA / "iiif"


def _manifest(server: LocalServer, n: int, image: str, service: str = "") -> str:
    doc = v3_manifest(server.url(f"/m/{n}/manifest.json"), f"Work {n}",
                      metadata=[{"label": {"en": ["Culture"]}, "value": {"en": ["A" if n % 2 else "B"]}}])
    body = doc["items"][0]["items"][0]["items"][0]["body"]
    body["id"] = image
    if service:
        body["service"] = [{"id": service, "type": "ImageService3", "profile": "level0"}]
    else:
        body.pop("service")
    return server.static(f"/m/{n}/manifest.json", json.dumps(doc).encode(), "application/ld+json")


def _huge(request, hit):
    request.send_response(200)
    request.send_header("Content-Type", "image/jpeg")
    request.send_header("Content-Length", str(200 * 2**20))
    request.end_headers()
    for _ in range(3200):
        request.wfile.write(b"\0" * 65536)


@pytest.mark.slow
def test_a_iiif_collection_builds_around_its_failures_and_rebuilds_from_304s(tmp_path, monkeypatch):
    monkeypatch.setattr(fetch, "BACKOFF", 0.05)
    with LocalServer() as server:
        manifests = []
        for n in range(6):  # good: level-0 services, v3 and v2, and two bare images
            if n < 4:
                service = server.level0_service(f"/svc/{n}", 400, 300, [(100, 75), (200, 150)], version=3 if n % 2 else 2, seed=n)
                manifests.append(_manifest(server, n, server.url(f"/nowhere/{n}.jpg"), service))
            else:
                manifests.append(_manifest(server, n, server.static(f"/img/{n}.jpg", _jpeg(n))))
        server.add("/down/info.json", lambda r, hit: send(r, 500, b"down"))
        manifests.append(_manifest(server, 6, server.url("/missing.jpg"), server.url("/down")))  # service down, body 404
        manifests.append(_manifest(server, 7, server.add("/huge.jpg", _huge)))
        manifests.append(_manifest(server, 8, server.static("/login.jpg", b"<html>login</html>", "text/html")))
        collection = {"@context": "http://iiif.io/api/presentation/3/context.json", "id": server.url("/c.json"),
                      "type": "Collection", "label": {"en": ["c"]},
                      "items": [{"id": m, "type": "Manifest"} for m in manifests] + [{"id": server.url("/gone.json"),
                                                                                        "type": "Manifest"}]}
        url = server.static("/c.json", json.dumps(collection).encode(), "application/json")
        site = write_small_collection(tmp_path, [{"id": "unused"}], "IIIF", collection={"format": "iiif", "path": url,
                                      "columns": {"culture": "Culture"}},
                                      fetch={"rate": 0, "retries": 1, "max_bytes": 1_000_000, "timeout": 5})
        report = build(load_config(site))
        assert report.counts["works_published"] == 6
        reasons = {p.record: p.reason for p in report.problems}
        assert reasons["6"].startswith(f"image not fetched: HTTP 404: {server.url('/missing.jpg')}")
        assert reasons["7"].startswith("image not fetched: too large: 209,715,200 bytes announced")
        assert reasons["8"].startswith("image not fetched: wrong content type 'text/html'")
        assert any(p.reason.startswith("cannot fetch the IIIF document: HTTP 404") for p in report.problems)
        level0_paths = {p for n in range(4) for p in server.allowed_level0(f"/svc/{n}")}
        assert {p for p in server.hits if p.startswith("/svc/")} <= level0_paths  # only listed sizes asked for
        assert all(f"/svc/{n}/full/200,150/0/default.jpg" in server.hits for n in range(4))  # the smallest covering 128
        works = json.loads((tmp_path / "out/site/data/works.json").read_text(encoding="utf-8"))
        assert len(works) == 6

        cached = {p: c for p, c in server.bodies.items() if p != "/login.jpg"}  # the refused one is asked again
        again = build(load_config(site))
        assert again.counts["works_published"] == 6
        assert {p: server.bodies[p] for p in cached} == cached  # nothing downloaded again
        assert {server.conditional[p] for p in cached} == {1}  # every cached file asked for once, conditionally

        hits = sum(server.hits.values())
        offline = build(load_config(site, overrides={"fetch.offline": True}))
        assert offline.counts["works_published"] == 6
        assert sum(server.hits.values()) == hits  # not one request
    assert any(n.startswith("fetch (offline): ") for n in offline.notes)


def _jpeg(n: int) -> bytes:
    from tests.http_fixtures import jpeg

    return jpeg(160, 120, seed=n)


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.skipif(not IIIF_DATA.is_dir(), reason=f"IIIF documents not found at {IIIF_DATA}")
def test_the_iiif_example_builds_from_the_real_manifests_served_locally(tmp_path):
    with LocalServer() as server:
        collection = serve_documents(server, IIIF_DATA)
        rewrite = mirror_images(server, IIIF_DATA)
        overrides = {"output": str(tmp_path / "site"), "cache": str(tmp_path / "cache"), "collection.path": collection,
                     "fetch.rewrite": rewrite, "fetch.rate": 0, "fetch.per_host": 8,
                     "fetch.retries": 0,  # the fixtures' collections list iiif.io documents: unreachable here, fail at once
                     "thumbnails.sizes": [64, 128]}
        overrides |= {f"embedding.{k}": v for k, v in TEST_EMBEDDING.items()} | {"embedding.on_missing_weights": "fail"}
        config = load_config(ROOT / "examples/iiif/site.yaml", overrides=overrides)
        report = build(config)
        foreign = [p for p in server.hits if p.startswith("/svc/") and not p.endswith(("/info.json", "/full/200,150/0/default.jpg"))]
    assert not foreign  # level 0: only the listed size covering the need (128 px) was asked for
    published = report.counts["works_published"]
    assert published >= 60
    reasons = [p.reason for p in report.problems]
    assert sum(r.startswith("no image: the manifest holds audio") for r in reasons) >= 3
    assert sum(r.startswith("no image: the manifest holds video") for r in reasons) >= 5
    assert any(r.startswith("no image: the manifest holds text (application/pdf)") for r in reasons)
    assert not [p for p in report.problems if p.stage == "fetch"]  # every image came from the stand-ins
    works = json.loads(Path(config.output_dir / "data/works.json").read_text(encoding="utf-8"))
    assert len(works) == published


@pytest.mark.parametrize("name", [
    pytest.param("site.yaml", marks=pytest.mark.skipif(  # its collection.path is the real manifests in ../shared
        not IIIF_DATA.is_dir(), reason=f"IIIF documents not found at {IIIF_DATA} (examples/iiif/site.yaml reads them)")),
    "aic.yaml",
])
def test_the_iiif_example_configs_pass_the_config_check(name):
    from atlas.preflight import check_config

    config = load_config(ROOT / "examples/iiif" / name)
    assert config.collection.format == "iiif"
    found = check_config(config)
    assert not found.errors, found.errors


def test_the_aic_endpoint_config_lists_real_manifest_urls_and_reports_them_offline(tmp_path):
    from atlas.core.report import BuildReport
    from atlas.ingest.collection import read_records

    config = load_config(ROOT / "examples/iiif/aic.yaml", overrides={"cache": str(tmp_path / "cache"),
                                                                     "fetch.offline": True})
    report = BuildReport()
    assert read_records(config, report) == []
    assert len(report.problems) == 12
    assert all(p.reason.startswith("cannot fetch the IIIF document: not in the fetch cache (offline build): "
                                   "https://api.artic.edu/api/v1/artworks/") for p in report.problems)


def test_fetch_settings_out_of_bounds_are_refused_before_the_build(tmp_path):
    from atlas.preflight import check_config

    site = write_small_collection(tmp_path, [{"id": "a"}], "t", fetch={"per_host": 0, "retries": -1})
    errors = check_config(load_config(site)).errors
    assert any(e.startswith("fetch.per_host is 0; it must be between 1 and 64") for e in errors)
    assert any(e.startswith("fetch.retries is -1") for e in errors)


def test_build_offline_flag_sets_fetch_offline(tmp_path, monkeypatch):
    from atlas import cli

    seen = {}
    monkeypatch.setattr(cli, "load_config", lambda path, overrides: seen.update(overrides) or (_ for _ in ()).throw(SystemExit(0)))
    with pytest.raises(SystemExit):
        cli.run_build(cli.make_parser("atlas").parse_args(["build", "--offline", "--config", str(tmp_path / "x.yaml")]))
    assert seen == {"fetch.offline": True}
