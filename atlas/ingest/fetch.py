"""Remote files (images, IIIF documents) fetched politely into a resumable on-disk cache.

Museums' servers are shared and sometimes slow, so the fetcher keeps to a few requests at once and a
few per second per host (fetch.per_host, fetch.rate), retries timeouts, 429 and 5xx with exponential
backoff (honouring Retry-After, cut to fetch.max_retry_after), follows a bounded number of redirects,
refuses a body of the wrong content type or over fetch.max_bytes (unread when its length is announced,
cut off as soon as it passes the limit when not), and retries a truncated body.

Library: urllib3 2.x (the HTTP engine under requests, already installed with it). Its `Retry` is this
exact policy (status and timeout retries, backoff, Retry-After with a ceiling, redirect limits), its
`PoolManager` is thread-safe and keeps connections alive per host, and its streamed responses let a body
be refused before it is read. httpx would have meant writing the retry policy by hand: its transports
retry only failed connections.

The cache (`<cache>/fetch/`) is keyed by URL and validator: `index/<sha256 of the URL>.json` records the
URL's ETag / Last-Modified and the name of its body, `bodies/<sha256 of URL + validator><suffix>`. Every
body is written to a temporary file and renamed into place when complete, so a build killed mid-download
keeps every finished file and the next build carries on from there. On a rebuild every cached URL is
asked for with If-None-Match / If-Modified-Since, so an unchanged server answers 304 and sends nothing.
Offline (fetch.offline, `atlas build --offline`) the cache alone answers. No failure raises: each is a
`Fetched` with an error naming the status or the reason, for the record's Problem.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import (
    HTTPError,
    MaxRetryError,
    ProtocolError,
    ReadTimeoutError,
    ResponseError,
)
from urllib3.util.retry import Retry

from atlas.core.cache import atomic_file, atomic_write_text
from atlas.core.config import FetchConfig
from atlas.core.progress import progress

BACKOFF = 0.5  # seconds before the first retry, doubled for each further one (urllib3's backoff_factor)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
CHUNK = 1 << 16
USER_AGENT = "atlas-static-site-builder (+https://github.com/; polite fetcher)"
SUFFIXES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif",
            "image/tiff": ".tif", "image/jp2": ".jp2"}


@dataclass(frozen=True)
class Fetched:
    """One URL's outcome: a cached file, or an error saying why not (status or reason, and the URL)."""

    url: str
    path: Path | None = None
    content_type: str = ""
    error: str = ""
    transferred: bool = False  # the body came over the network in this build (not a 304, not the cache)


@dataclass
class FetchStats:
    """What the fetcher did, for the build summary and the benchmarks."""

    requests: int = 0  # requests answered (each retry counted once, inside urllib3)
    downloads: int = 0  # bodies transferred
    not_modified: int = 0  # 304 answers to conditional requests
    from_cache: int = 0  # offline answers from the cache
    failures: int = 0
    bytes: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        with self.lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)


class FetchFailed(Exception):
    """One request's failure, already worded for the report."""


class _Host:
    """Per-host politeness: at most `per_host` requests in flight, starts spaced by 1 / rate seconds."""

    def __init__(self, per_host: int, rate: float):
        self.slots = threading.BoundedSemaphore(max(1, per_host))
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.lock = threading.Lock()
        self.next_start = 0.0

    def wait_turn(self) -> None:
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next_start)
            self.next_start = start + self.interval
        if start > now:
            time.sleep(start - now)


class Fetcher:
    """Fetches URLs into `folder` (the cache's fetch folder) under the policy of `cfg`."""

    def __init__(self, folder: Path, cfg: FetchConfig, *, offline: bool | None = None):
        self.folder, self.cfg = Path(folder), cfg
        self.offline = cfg.offline if offline is None else offline
        self.stats = FetchStats()
        self.hosts: dict[str, _Host] = {}
        self.hosts_lock = threading.Lock()
        self.memo: dict[tuple[str, str], Fetched] = {}
        self.memo_lock = threading.Lock()
        self.pool = urllib3.PoolManager(num_pools=32, maxsize=max(1, cfg.per_host), block=False,
                                        headers={"User-Agent": USER_AGENT})
        self.retry_class = type("CappedRetry", (_CappedRetry,), {"ceiling": float(max(0, cfg.max_retry_after))})
        self._remove_partial_files()

    # -- public -----------------------------------------------------------------------------------
    def get(self, url: str, accept: str = "image") -> Fetched:
        """The URL's body as a cached file (`accept`: "image" or "json" decides the content types taken).
        Each URL is asked for once per fetcher (one build): a second call answers from memory."""
        with self.memo_lock:
            known = self.memo.get((url, accept))
        if known is None:
            known = self._get(url, accept)
            with self.memo_lock:
                self.memo[(url, accept)] = known
        return known

    def _get(self, url: str, accept: str) -> Fetched:
        entry = self._entry(url)
        if self.offline:
            if entry is not None:
                self.stats.add(from_cache=1)
                return Fetched(url, entry[1], entry[0].get("content_type", ""))
            self.stats.add(failures=1)
            return Fetched(url, error=f"not in the fetch cache (offline build): {url}")
        try:
            return self._download(url, accept, entry)
        except FetchFailed as exc:
            self.stats.add(failures=1)
            return Fetched(url, error=f"{exc}: {url}")

    def get_many(self, urls: list[str], accept: str, desc: str) -> dict[str, Fetched]:
        """Each distinct URL once, concurrently (bounded per host), with a progress bar."""
        unique = sorted(set(urls))
        if not unique:
            return {}
        workers = min(32, len(unique), max(1, self.cfg.per_host) * max(1, len({_host(u) for u in unique})))
        results: dict[str, Fetched] = {}
        with ThreadPoolExecutor(max_workers=workers) as pool, progress(total=len(unique), desc=desc, unit="file") as bar:
            for url, fetched in zip(unique, pool.map(lambda u: self.get(u, accept), unique)):
                results[url] = fetched
                bar.update(1)
        return results

    def get_json(self, url: str) -> tuple[object | None, str]:
        """(parsed JSON, "") or (None, why not)."""
        fetched = self.get(url, "json")
        if fetched.path is None:
            return None, fetched.error
        try:
            return json.loads(fetched.path.read_bytes().decode("utf-8-sig")), ""
        except (ValueError, UnicodeDecodeError) as exc:
            return None, f"not valid JSON ({_short(exc)}): {url}"

    # -- the request ------------------------------------------------------------------------------
    def _download(self, url: str, accept: str, entry: tuple[dict, Path] | None) -> Fetched:
        target = self._rewritten(url)
        if urlsplit(target).scheme not in ("http", "https"):
            raise FetchFailed("not an http(s) URL")
        headers = {"Accept": "image/*" if accept == "image" else "application/ld+json, application/json"}
        if entry is not None:
            meta = entry[0]
            if meta.get("etag"):
                headers["If-None-Match"] = meta["etag"]
            if meta.get("last_modified"):
                headers["If-Modified-Since"] = meta["last_modified"]
        host = self._host(target)
        last = ""
        for attempt in range(self.cfg.retries + 1):  # bodies cut short are retried here; statuses in urllib3
            if attempt:
                time.sleep(min(BACKOFF * 2 ** (attempt - 1), 30))
            with host.slots:
                host.wait_turn()
                try:
                    return self._once(url, target, accept, headers, entry)
                except _Truncated as exc:
                    last = str(exc)
        raise FetchFailed(f"{last} after {self.cfg.retries + 1} tries")

    def _once(self, url: str, target: str, accept: str, headers: dict, entry) -> Fetched:
        try:
            response = self.pool.request("GET", target, headers=headers, retries=self._retry(),
                                         timeout=urllib3.Timeout(connect=self.cfg.timeout, read=self.cfg.timeout),
                                         preload_content=False)
        except MaxRetryError as exc:
            raise FetchFailed(self._reason(exc.reason)) from exc
        except HTTPError as exc:
            raise FetchFailed(_short(exc)) from exc
        self.stats.add(requests=1)
        try:
            return self._answer(url, accept, response, entry)
        finally:
            response.close()

    def _retry(self) -> Retry:
        tries = self.cfg.retries
        return self.retry_class(total=None, connect=tries, read=tries, status=tries, other=0, redirect=self.cfg.max_redirects,
                     status_forcelist=RETRY_STATUSES, backoff_factor=BACKOFF, backoff_max=30,
                     raise_on_status=False, raise_on_redirect=True,
                     allowed_methods=frozenset({"GET"}))

    def _reason(self, reason) -> str:
        if isinstance(reason, ReadTimeoutError) or "timed out" in str(reason).lower():
            return f"timed out ({self.cfg.timeout:g} s) after {self.cfg.retries + 1} tries"
        if isinstance(reason, ResponseError) and "redirect" in str(reason):
            return f"too many redirects (more than {self.cfg.max_redirects}; a redirect loop?)"
        return _short(reason)

    def _answer(self, url: str, accept: str, response, entry) -> Fetched:
        status = response.status
        if status == 304 and entry is not None:
            self.stats.add(not_modified=1)
            return Fetched(url, entry[1], entry[0].get("content_type", ""))
        if status in RETRY_STATUSES:
            raise FetchFailed(f"HTTP {status} after {self.cfg.retries + 1} tries")
        if status != 200:
            raise FetchFailed(f"HTTP {status}")
        content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if not _acceptable(content_type, accept):
            expected = "an image" if accept == "image" else "JSON"
            raise FetchFailed(f"wrong content type '{content_type or 'none'}' (expected {expected})")
        announced = _length(response.headers.get("Content-Length"))
        if announced is not None and announced > self.cfg.max_bytes:
            raise FetchFailed(f"too large: {announced:,} bytes announced, over the {self.cfg.max_bytes:,} bytes "
                              "of fetch.max_bytes (not downloaded)")
        return self._store(url, response, content_type, entry, announced)

    def _store(self, url: str, response, content_type: str, entry, announced: int | None) -> Fetched:
        validator = response.headers.get("ETag") or response.headers.get("Last-Modified") or ""
        body = self.folder / "bodies" / (_sha(url + "\n" + validator) + SUFFIXES.get(content_type, ".bin"))
        digest, size = hashlib.sha256(), 0
        try:
            with atomic_file(body) as out:
                for chunk in response.stream(CHUNK):
                    size += len(chunk)
                    if size > self.cfg.max_bytes:
                        raise FetchFailed(f"too large: over the {self.cfg.max_bytes:,} bytes of fetch.max_bytes "
                                          "(cut off)")
                    digest.update(chunk)
                    out.write(chunk)
        except (ProtocolError, ReadTimeoutError) as exc:
            got = max(size, response.tell())
            if isinstance(exc, ReadTimeoutError):
                raise _Truncated(f"body stalled after {got:,} bytes (no data for {self.cfg.timeout:g} s)") from exc
            of = f" of {announced:,}" if announced is not None else ""
            raise _Truncated(f"body cut short after {got:,}{of} bytes (connection closed)") from exc
        meta = {"url": url, "etag": response.headers.get("ETag", ""), "content_type": content_type,
                "last_modified": response.headers.get("Last-Modified", ""), "body": body.name, "size": size,
                "sha256": digest.hexdigest()}
        atomic_write_text(self._index(url), json.dumps(meta, sort_keys=True))
        if entry is not None and entry[1] != body:
            entry[1].unlink(missing_ok=True)  # the old version of this URL: ours, in the cache
        self.stats.add(downloads=1, bytes=size)
        return Fetched(url, body, content_type, transferred=True)

    # -- the cache --------------------------------------------------------------------------------
    def _index(self, url: str) -> Path:
        return self.folder / "index" / f"{_sha(url)}.json"

    def _entry(self, url: str) -> tuple[dict, Path] | None:
        """The cached (meta, body) of `url`, when both are there and agree."""
        try:
            meta = json.loads(self._index(url).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or meta.get("url") != url or not isinstance(meta.get("body"), str):
            return None
        body = self.folder / "bodies" / Path(meta["body"]).name
        try:
            if body.stat().st_size != meta.get("size"):
                return None
        except OSError:
            return None
        return meta, body

    def _remove_partial_files(self) -> None:
        """Temporary files of a build that died mid-download (the build holds the cache's lock)."""
        for part in (self.folder / "bodies").glob(".*.tmp"):
            part.unlink(missing_ok=True)

    def _rewritten(self, url: str) -> str:
        for prefix in sorted(self.cfg.rewrite, key=len, reverse=True):
            if url.startswith(prefix):
                return self.cfg.rewrite[prefix] + url[len(prefix):]
        return url

    def _host(self, url: str) -> _Host:
        name = _host(url)
        with self.hosts_lock:
            if name not in self.hosts:
                self.hosts[name] = _Host(self.cfg.per_host, self.cfg.rate)
            return self.hosts[name]


class _CappedRetry(Retry):
    """urllib3's Retry with Retry-After cut to a ceiling (fetch.max_retry_after): a server asking for a day
    must not stall the build for a day."""

    ceiling = 120.0

    def get_retry_after(self, response) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, self.ceiling)


class _Truncated(Exception):
    """The body ended before its announced length (or the connection broke): worth another try."""


def _acceptable(content_type: str, accept: str) -> bool:
    if accept == "image":
        return content_type.startswith("image/")
    return "json" in content_type or content_type in ("text/plain", "")


def _length(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _short(exc: object) -> str:
    """An exception as a short reason: urllib3 nests the useful words inside its wrappers."""
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "timed out", "Temporary failure"):
        if marker in text:
            return marker.lower() if marker != "Connection refused" else "connection refused"
    return text.split(": ", 1)[-1][:200] if len(text) > 200 else text
