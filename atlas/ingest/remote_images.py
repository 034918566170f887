"""Records whose image is a URL get a local file: fetched (or found in the fetch cache) before embedding.

A record's `image_url` is a IIIF Image API service when it ends in `/info.json` or its last path
segment has no file suffix (a service's base URI, as tables often give it); anything else is a plain
image URL. For a service the info.json is read first and the smallest image it offers that covers the
build's largest need (the biggest thumbnail, or the network's input size) is asked for
(atlas.ingest.iiif_image); when the info.json cannot be had or used, the image body's own URL
(extra["iiif_image"], from the manifest) or, for a table's bare service URL, the URL itself is fetched
instead, with a warning. The fetched file then goes through the normal pipeline: hashed, checked by the
decompression-bomb guard when opened, embedded, thumbnailed. Every failure is one Problem for the
record, naming the status or reason and the URL; the rest of the collection builds.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from urllib.parse import urlsplit

from atlas.core.records import Problem, Record
from atlas.ingest.fetch import Fetched, Fetcher
from atlas.ingest.iiif_image import NotAService, image_request, parse_info


@dataclasses.dataclass(frozen=True)
class _Plan:
    record: Record
    url: str  # what will be fetched as the image
    note: str = ""  # a warning to report when the image is fetched from a fallback


def is_service(url: str) -> bool:
    """Whether an image_url names an Image API service rather than an image file."""
    path = urlsplit(url).path.rstrip("/")
    return path.endswith("/info.json") or "." not in path.rsplit("/", 1)[-1]


def info_url(url: str) -> str:
    return url if urlsplit(url).path.endswith("/info.json") else url.rstrip("/") + "/info.json"


def fetch_record_images(records: list[Record], fetcher: Fetcher, need: int) -> tuple[list[Record], list[Problem]]:
    """`records` with every fetchable image_url turned into image_path (order kept), and the problems.

    Records that already have an image file, or no image_url, pass through unchanged; a record whose
    image cannot be fetched keeps image_path None (the build skips it) and gets a Problem."""
    wanted = [r for r in records if r.image_path is None and r.image_url]
    problems: list[Problem] = []
    plans = _plans(wanted, fetcher, need, problems)
    images = fetcher.get_many([p.url for p in plans], "image", "fetch images")
    paths: dict[str, Path] = {}
    for plan in plans:
        fetched = images[plan.url]
        if fetched.path is None:
            problems.append(Problem("fetch", plan.record.id, f"image not fetched: {fetched.error}"))
            continue
        paths[plan.record.id] = fetched.path
        if plan.note:
            problems.append(Problem("fetch", plan.record.id, plan.note, severity="warning"))
    return [dataclasses.replace(r, image_path=paths[r.id]) if r.id in paths else r for r in records], problems


def _plans(records: list[Record], fetcher: Fetcher, need: int, problems: list[Problem]) -> list[_Plan]:
    """The image URL of every record: read from its service's info.json where it has one."""
    services = [info_url(r.image_url) for r in records if is_service(r.image_url)]
    infos = fetcher.get_many(services, "json", "IIIF image services")
    plans = []
    for record in records:
        if not is_service(record.image_url):
            plans.append(_Plan(record, record.image_url))
            continue
        url, error = _from_service(infos[info_url(record.image_url)], need)
        if url:
            plans.append(_Plan(record, url))
            continue
        fallback = record.extra.get("iiif_image", "") or ("" if record.image_url.endswith("info.json") else record.image_url)
        if fallback:
            plans.append(_Plan(record, fallback, f"image service unusable ({error}); fetched the image itself: {fallback}"))
        else:
            problems.append(Problem("fetch", record.id, f"image service unusable: {error}"))
    return plans


def _from_service(fetched: Fetched, need: int) -> tuple[str, str]:
    """(image URL, "") from a fetched info.json, or ("", why not)."""
    if fetched.path is None:
        return "", fetched.error
    try:
        info = json.loads(fetched.path.read_bytes().decode("utf-8-sig"))
        return image_request(parse_info(info, fetched.url), need), ""
    except (ValueError, UnicodeDecodeError) as exc:
        reason = str(exc) if isinstance(exc, NotAService) else f"info.json is not valid JSON ({str(exc)[:80]})"
        return "", f"{reason}: {fetched.url}"
