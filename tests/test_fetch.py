"""The fetcher against a real local HTTP server: retries, refusals, conditional requests, the cache."""

from __future__ import annotations

import threading
import time

import pytest

from atlas.core.config import FetchConfig
from atlas.ingest import fetch
from atlas.ingest.fetch import Fetcher
from tests.http_fixtures import LocalServer, jpeg, send

IMAGE = jpeg(40, 30)


@pytest.fixture()
def server():
    with LocalServer() as s:
        yield s


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch):
    monkeypatch.setattr(fetch, "BACKOFF", 0.05)


def fetcher(tmp_path, **settings) -> Fetcher:
    values = {"rate": 0, "timeout": 2.0, "retries": 2, "max_bytes": 1_000_000} | settings
    return Fetcher(tmp_path / "fetch", FetchConfig(**values))


def test_a_slow_answer_within_the_timeout_is_waited_for(server, tmp_path):
    url = server.static("/slow.jpg", IMAGE, delay=0.4)
    got = fetcher(tmp_path).get(url)
    assert got.path is not None and got.path.read_bytes() == IMAGE


def test_an_answer_slower_than_the_timeout_is_retried_then_reported(server, tmp_path):
    url = server.static("/stuck.jpg", IMAGE, delay=1.5)
    got = fetcher(tmp_path, timeout=0.3, retries=1).get(url)
    assert got.path is None
    assert got.error.startswith("timed out (0.3 s) after 2 tries") and got.error.endswith(url)
    assert server.hits["/stuck.jpg"] == 2


def test_429_waits_for_retry_after_then_succeeds(server, tmp_path):
    def answer(request, hit):
        if hit == 1:
            return send(request, 429, b"slow down", {"Retry-After": "1", "Content-Type": "text/plain"})
        send(request, 200, IMAGE, {"Content-Type": "image/jpeg"})

    url = server.add("/busy.jpg", answer)
    start = time.monotonic()
    got = fetcher(tmp_path).get(url)
    assert got.path is not None and got.path.read_bytes() == IMAGE
    assert time.monotonic() - start >= 0.95  # Retry-After honoured, not the 0.05 s backoff
    assert server.hits["/busy.jpg"] == 2


def test_retry_after_is_cut_to_the_ceiling(server, tmp_path):
    def answer(request, hit):
        if hit == 1:
            return send(request, 503, b"", {"Retry-After": "3600"})
        send(request, 200, IMAGE, {"Content-Type": "image/jpeg"})

    url = server.add("/later.jpg", answer)
    start = time.monotonic()
    assert fetcher(tmp_path, max_retry_after=1).get(url).path is not None
    assert time.monotonic() - start < 10


def test_500_then_200_is_retried(server, tmp_path):
    url = server.add("/flaky.jpg", lambda r, hit: send(r, 500, b"oops") if hit == 1 else
                     send(r, 200, IMAGE, {"Content-Type": "image/jpeg"}))
    assert fetcher(tmp_path).get(url).path is not None
    assert server.hits["/flaky.jpg"] == 2


def test_a_lasting_500_is_a_problem_naming_the_status_and_url(server, tmp_path):
    url = server.add("/down.jpg", lambda r, hit: send(r, 500, b"oops"))
    got = fetcher(tmp_path).get(url)
    assert got.path is None and got.error == f"HTTP 500 after 3 tries: {url}"
    assert server.hits["/down.jpg"] == 3


def test_404_is_not_retried(server, tmp_path):
    url = server.url("/nothing.jpg")
    got = fetcher(tmp_path).get(url)
    assert got.error == f"HTTP 404: {url}" and server.hits["/nothing.jpg"] == 1


def test_redirects_are_followed_within_the_limit_and_a_loop_is_cut(server, tmp_path):
    server.static("/target.jpg", IMAGE)
    server.add("/moved.jpg", lambda r, hit: send(r, 301, b"", {"Location": "/target.jpg"}))
    server.add("/loop.jpg", lambda r, hit: send(r, 302, b"", {"Location": "/loop.jpg"}))
    f = fetcher(tmp_path, max_redirects=3)
    assert f.get(server.url("/moved.jpg")).path.read_bytes() == IMAGE
    got = f.get(server.url("/loop.jpg"))
    assert got.path is None and got.error.startswith("too many redirects (more than 3")
    assert server.hits["/loop.jpg"] == 4


def test_a_wrong_content_type_is_refused(server, tmp_path):
    url = server.static("/page.jpg", b"<html>login</html>", "text/html")
    got = fetcher(tmp_path).get(url)
    assert got.path is None and got.error.startswith("wrong content type 'text/html' (expected an image)")
    assert not list((tmp_path / "fetch").rglob("*.jpg"))


def test_a_truncated_body_is_retried_then_reported(server, tmp_path):
    def cut(request, hit):
        request.send_response(200)
        request.send_header("Content-Type", "image/jpeg")
        request.send_header("Content-Length", str(len(IMAGE)))
        request.end_headers()
        request.wfile.write(IMAGE[:100])  # then the connection closes (HTTP/1.0)

    url = server.add("/cut.jpg", cut)
    got = fetcher(tmp_path, retries=1).get(url)
    assert got.path is None and got.error.startswith(f"body cut short after 100 of {len(IMAGE):,} bytes")
    assert "after 2 tries" in got.error
    assert server.hits["/cut.jpg"] == 2
    assert not [p for p in (tmp_path / "fetch").rglob("*") if p.is_file()]  # nothing half-written kept


def test_a_truncated_body_then_a_whole_one_succeeds(server, tmp_path):
    def once_cut(request, hit):
        if hit > 1:
            return send(request, 200, IMAGE, {"Content-Type": "image/jpeg"})
        send(request, 200, IMAGE[:50], {"Content-Type": "image/jpeg", "Content-Length": len(IMAGE)})

    url = server.add("/once.jpg", once_cut)
    assert fetcher(tmp_path).get(url).path.read_bytes() == IMAGE


class _Huge:
    """200 MB of body, streamed in 64 KB chunks until the client hangs up; counts what it managed to send."""

    def __init__(self, announce: bool):
        self.announce, self.sent, self.done = announce, 0, threading.Event()

    def __call__(self, request, hit):
        request.send_response(200)
        request.send_header("Content-Type", "image/jpeg")
        if self.announce:
            request.send_header("Content-Length", str(200 * 2**20))
        request.end_headers()
        chunk = b"\0" * 65536
        try:
            while self.sent < 200 * 2**20:
                request.wfile.write(chunk)
                self.sent += len(chunk)
        finally:
            self.done.set()


@pytest.mark.parametrize("announce", [True, False], ids=["content-length", "no-length"])
def test_a_200_mb_body_is_refused_without_reading_it(server, tmp_path, announce):
    huge = _Huge(announce)
    url = server.add("/huge.jpg", huge)
    start = time.monotonic()
    got = fetcher(tmp_path, max_bytes=1_000_000).get(url)
    assert got.path is None and got.error.startswith("too large")
    assert ("announced" in got.error) == announce
    assert huge.done.wait(10)
    assert huge.sent < 50 * 2**20  # the server could not push even a quarter of it: the client hung up
    assert time.monotonic() - start < 10
    assert server.hits["/huge.jpg"] == 1  # a refusal is not retried


def test_a_rebuild_asks_conditionally_and_downloads_nothing(server, tmp_path):
    urls = [server.static(f"/img{i}.jpg", jpeg(20, 20, i)) for i in range(3)]
    first = fetcher(tmp_path).get_many(urls, "image", "test")
    assert all(f.transferred for f in first.values())
    second = fetcher(tmp_path)  # a new build: a new fetcher over the same cache
    again = second.get_many(urls, "image", "test")
    assert [again[u].path for u in urls] == [first[u].path for u in urls]
    assert not any(f.transferred for f in again.values())
    assert sum(server.bodies.values()) == 3 and sum(server.conditional.values()) == 3
    assert second.stats.not_modified == 3 and second.stats.downloads == 0


def test_a_changed_file_is_downloaded_again_under_its_new_validator(server, tmp_path):
    url = server.static("/changing.jpg", jpeg(20, 20, 1))
    old = fetcher(tmp_path).get(url).path
    server.static("/changing.jpg", jpeg(20, 20, 2))
    new = fetcher(tmp_path).get(url)
    assert new.transferred and new.path != old and new.path.read_bytes() == jpeg(20, 20, 2)
    assert not old.exists()  # the superseded body is gone from the cache


def test_offline_answers_from_the_cache_alone(server, tmp_path):
    cached = server.static("/have.jpg", IMAGE)
    fetcher(tmp_path).get(cached)
    hits = sum(server.hits.values())
    offline = Fetcher(tmp_path / "fetch", FetchConfig(), offline=True)
    assert offline.get(cached).path.read_bytes() == IMAGE
    missing = offline.get(server.url("/never.jpg"))
    assert missing.path is None and missing.error.startswith("not in the fetch cache (offline build)")
    assert sum(server.hits.values()) == hits  # no request at all


def test_partial_files_of_a_killed_build_are_removed_and_finished_ones_kept(server, tmp_path):
    url = server.static("/kept.jpg", IMAGE)
    kept = fetcher(tmp_path).get(url).path
    partial = kept.parent / ".abc.jpg.x.tmp"
    partial.write_bytes(b"half")
    f = fetcher(tmp_path)
    assert not partial.exists() and kept.exists()
    assert f.get(url).path == kept and server.bodies["/kept.jpg"] == 1


def test_per_host_concurrency_is_bounded(server, tmp_path):
    active, most, lock = [0], [0], threading.Lock()

    def slow(request, hit):
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        time.sleep(0.2)
        with lock:
            active[0] -= 1
        send(request, 200, IMAGE, {"Content-Type": "image/jpeg"})

    urls = [server.add(f"/c{i}.jpg", slow) for i in range(8)]
    got = fetcher(tmp_path, per_host=2).get_many(urls, "image", "test")
    assert all(f.path is not None for f in got.values())
    assert most[0] == 2


def test_the_rate_spaces_request_starts(server, tmp_path):
    urls = [server.static(f"/r{i}.jpg", IMAGE) for i in range(5)]
    start = time.monotonic()
    fetcher(tmp_path, rate=10, per_host=4).get_many(urls, "image", "test")
    assert time.monotonic() - start >= 0.4  # 5 starts at 10 per second: the last one 0.4 s after the first


def test_rewrite_maps_a_prefix_and_the_cache_keeps_the_original_url(server, tmp_path):
    server.static("/mirror/a.jpg", IMAGE)
    f = fetcher(tmp_path, rewrite={"https://images.example.org/": server.url("/mirror/")})
    got = f.get("https://images.example.org/a.jpg")
    assert got.path.read_bytes() == IMAGE and got.url == "https://images.example.org/a.jpg"


def test_only_http_urls_are_fetched(tmp_path):
    got = fetcher(tmp_path).get("file:///etc/passwd")
    assert got.path is None and got.error.startswith("not an http(s) URL")
