"""Which size is asked of a IIIF Image API service, and remote images resolved against a local server."""

from __future__ import annotations

import pytest

from atlas.core.config import FetchConfig
from atlas.core.records import Record
from atlas.ingest import fetch
from atlas.ingest.fetch import Fetcher
from atlas.ingest.iiif_image import NotAService, image_request, parse_info
from atlas.ingest.remote_images import fetch_record_images, is_service
from tests.http_fixtures import LocalServer, jpeg

V2 = "http://iiif.io/api/image/2/context.json"


def info(version: int, level: int, width=4000, height=3000, sizes=(), **more) -> dict:
    base = {"width": width, "height": height, "sizes": [{"width": w, "height": h} for w, h in sizes], **more}
    if version == 3:
        return {"@context": "http://iiif.io/api/image/3/context.json", "id": "https://i.org/x", "type": "ImageService3",
                "profile": f"level{level}", **base}
    return {"@context": V2, "@id": "https://i.org/x", "profile": [f"http://iiif.io/api/image/2/level{level}.json"], **base}


@pytest.mark.parametrize("version", [2, 3])
def test_level0_takes_the_smallest_listed_size_that_covers(version):
    service = parse_info(info(version, 0, sizes=[(250, 188), (500, 375), (1000, 750), (2000, 1500)]), "u")
    assert service.level == 0
    assert image_request(service, 600) == "https://i.org/x/full/1000,750/0/default.jpg"
    assert image_request(service, 500) == "https://i.org/x/full/500,375/0/default.jpg"


@pytest.mark.parametrize("version, full", [(2, "full"), (3, "max")])
def test_level0_without_a_covering_size_takes_the_full_image_never_an_arbitrary_one(version, full):
    service = parse_info(info(version, 0, sizes=[(100, 75)]), "u")
    assert image_request(service, 600) == f"https://i.org/x/full/{full}/0/default.jpg"
    assert image_request(parse_info(info(version, 0), "u"), 600) == f"https://i.org/x/full/{full}/0/default.jpg"


@pytest.mark.parametrize("version", [2, 3])
@pytest.mark.parametrize("level", [1, 2])
def test_levels_1_and_2_scale_the_longest_side_to_the_need(version, level):
    assert image_request(parse_info(info(version, level), "u"), 600) == "https://i.org/x/full/600,/0/default.jpg"
    tall = parse_info(info(version, level, width=1000, height=3000), "u")
    assert image_request(tall, 600) == "https://i.org/x/full/,600/0/default.jpg"


def test_no_upscaling_and_the_services_limits_are_kept():
    small = parse_info(info(3, 2, width=400, height=300), "u")
    assert image_request(small, 600) == "https://i.org/x/full/max/0/default.jpg"
    limited = parse_info(info(3, 2, maxWidth=500), "u")
    assert image_request(limited, 600) == "https://i.org/x/full/max/0/default.jpg"
    v2_limited = parse_info(info(2, 2) | {"profile": ["http://iiif.io/api/image/2/level2.json", {"maxArea": 100000}]}, "u")
    assert image_request(v2_limited, 600) == "https://i.org/x/full/full/0/default.jpg"


def test_an_unknown_profile_is_treated_as_level0_and_junk_is_refused():
    assert parse_info({"@id": "https://i.org/y", "profile": "something"}, "u").level == 0
    with pytest.raises(NotAService):
        parse_info(["not", "an", "object"], "u")
    with pytest.raises(NotAService):
        parse_info({"width": 10}, "u")


def test_service_urls_are_told_from_image_urls():
    assert is_service("https://www.artic.edu/iiif/2/abc-123")
    assert is_service("https://i.org/iiif/x/info.json")
    assert not is_service("https://i.org/images/painting.jpg")


def test_remote_images_against_a_level0_server_ask_only_what_it_lists(tmp_path, monkeypatch):
    monkeypatch.setattr(fetch, "BACKOFF", 0.05)
    with LocalServer() as server:
        v3 = server.level0_service("/svc3", 1600, 1200, [(160, 120), (640, 480), (1600, 1200)], version=3, seed=1)
        v2 = server.level0_service("/svc2", 900, 1200, [(300, 400)], version=2, seed=2)
        plain = server.static("/plain.jpg", jpeg(50, 40, 3))
        broken = server.static("/bad/info.json", b"{nope", "application/json")
        records = [
            Record("a", image_url=f"{v3}/info.json"), Record("b", image_url=v2),  # a bare service base, as tables give it
            Record("c", image_url=plain), Record("d", image_url=server.url("/bad/info.json"),
                                                 extra={"iiif_image": plain}),
            Record("e", image_url=server.url("/gone.jpg")), Record("f"),
        ]
        out, problems = fetch_record_images(records, Fetcher(tmp_path / "fetch", FetchConfig(rate=0)), need=600)
        hits = set(server.hits)
        assert hits - {"/gone.jpg", "/bad/info.json", "/plain.jpg"} <= server.allowed_level0("/svc3") | server.allowed_level0("/svc2")
        assert "/svc3/full/640,480/0/default.jpg" in hits and "/svc2/full/full/0/default.jpg" in hits
    paths = {r.id: r.image_path for r in out}
    assert paths["a"].read_bytes() == jpeg(640, 480, 1) and paths["b"].read_bytes() == jpeg(900, 1200, 2)
    assert paths["c"].read_bytes() == paths["d"].read_bytes() == jpeg(50, 40, 3)
    assert paths["e"] is None and paths["f"] is None and broken
    reasons = {p.record: (p.severity, p.reason) for p in problems}
    assert reasons["d"][0] == "warning" and reasons["d"][1].startswith("image service unusable (info.json is not valid JSON")
    assert reasons["e"] == ("skipped", f"image not fetched: HTTP 404: {server.url('/gone.jpg')}")
    assert set(reasons) == {"d", "e"}


def test_a_csv_image_url_column_is_fetched_instead_of_reported_missing(tmp_path):
    from atlas.core.config import CollectionConfig
    from atlas.ingest.readers import read_collection

    with LocalServer() as server:
        url = server.static("/w1.jpg", jpeg(30, 20, 5))
        (tmp_path / "t.csv").write_text(f"id,title,image_url\nw1,One,{url}\nw2,Two,\n", encoding="utf-8")
        result = read_collection(CollectionConfig(path="t.csv", columns={"image_url": "image_url"}), tmp_path)
        assert [p.record for p in result.problems] == ["w2"]  # no file and no URL: reported; w1 has its URL
        out, problems = fetch_record_images(result.records, Fetcher(tmp_path / "fetch", FetchConfig(rate=0)), 128)
    assert out[0].image_path.read_bytes() == jpeg(30, 20, 5) and out[1].image_path is None and not problems
