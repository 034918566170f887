"""`collection.format: iiif`: IIIF Presentation 2.1 and 3.0 manifests in, `Record`s and `Problem`s out.

Each manifest becomes one record (collection.iiif_records: manifest), or each of its canvases that holds
an image does (canvas). The record's image is the start canvas's painted image when the manifest names
one, else the first canvas's with an image: the Image API service's info.json when the image has a
service (atlas.ingest.remote_images picks the size), else the image body's own URL; the body's URL is
kept as the fallback (extra["iiif_image"]).

Fields: the id is the manifest's (or canvas's) id, shortened to its last meaningful path segment
(".../artworks/27992/manifest.json" -> "27992"; the full host and path when two manifests would share
one; a templated or missing id falls back to the file's path in the folder), or the metadata value named
by `collection.columns.id`. The title is the `label`; every other field (artist, date, culture, medium,
and `extra_columns`) is the `metadata` value whose label (in any language, any case) is named in
`collection.columns` (e.g. `artist: "Artist"`). `requiredStatement` (2.1: `attribution`) becomes the
credit line, `rights` (2.1: `license`) the rights, `homepage` (2.1: `related`) the source link; each can
be taken from a metadata label instead by naming it in `collection.columns`. Values follow the spec:
language maps in collection.iiif_language, arrays of values joined by "; ", HTML as plain text (the
credit's sanitised HTML is kept in extra["credit_html"] when it has markup).

A manifest with no image (audio, video, a text or PDF, empty canvases) is a Problem saying what it
holds instead; so is a duplicate id. Nothing here raises for a bad document.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from atlas.core.config import CollectionConfig
from atlas.core.records import Problem, ReadResult, Record
from atlas.ingest.dates import resolve_years
from atlas.ingest.fetch import Fetcher
from atlas.ingest.iiif_documents import Manifest, doc_id, doc_type, find_manifests, is_url
from atlas.ingest.iiif_values import all_texts, html_of, text_of

FIELDS = ("id", "title", "artist", "date", "culture", "medium", "source_url", "credit", "rights")
_UNINFORMATIVE = {"", "manifest", "manifest.json", "info.json", "iiif", "index.json", "presentation", "v2", "v3"}
_KINDS = {"sound": "audio", "audio": "audio", "video": "video", "movingimage": "video", "text": "text",
          "dataset": "data", "model": "a 3-D model"}


@dataclass(frozen=True)
class PaintedImage:
    """An image painted on a canvas: its body's URL and, when it has one, its Image API service."""

    body: str
    service: str = ""


@dataclass(frozen=True)
class _Canvas:
    id: str
    label: object
    metadata: list
    image: PaintedImage | None
    other: str  # what the canvas paints instead of an image ("audio", "video", "text (application/pdf)"), if anything


def read_iiif(cfg: CollectionConfig, base_dir: Path, fetcher: Fetcher | None) -> ReadResult:
    """Every record of the IIIF Collection or Manifest named by collection.path."""
    result = ReadResult()
    reader = _Reader(cfg, result)
    for manifest in find_manifests(cfg.path, Path(base_dir), cfg.iiif_depth, fetcher, result.problems):
        reader.add(manifest)
        if cfg.limit > 0 and len(result.records) >= cfg.limit:
            break
    return result


class _Reader:
    def __init__(self, cfg: CollectionConfig, result: ReadResult):
        unknown = sorted(set(cfg.columns) - set(FIELDS))
        if unknown:
            raise ValueError(f"collection.columns: '{unknown[0]}' cannot come from IIIF metadata; fields are: "
                             f"{', '.join(FIELDS)}")
        self.cfg, self.result = cfg, result
        self.language = cfg.iiif_language
        self.seen: dict[str, str] = {}  # record id -> source
        self.short: dict[str, str] = {}  # short id -> the full id that took it

    def problem(self, source: str, record_id: str, reason: str, severity: str = "skipped") -> None:
        self.result.problems.append(Problem("read", record_id, reason, source, 0, severity))

    def add(self, manifest: Manifest) -> None:
        doc, source = manifest.data, manifest.source
        version = 2 if "@id" in doc and "id" not in doc else 3
        canvases = [_canvas(c, version) for c in _canvas_list(doc, version)]
        with_image = [c for c in canvases if c.image is not None]
        base_id = self._base_id(doc, manifest)
        if not with_image:
            return self.problem(source, base_id, _no_image_reason(canvases))
        if self.cfg.iiif_records == "canvas":
            for canvas in with_image:
                self._add(doc, version, source, canvas, f"{base_id}-{_short(canvas.id) or with_image.index(canvas) + 1}")
        else:
            self._add(doc, version, source, _start_canvas(doc, version, with_image), base_id)

    def _base_id(self, doc: dict, manifest: Manifest) -> str:
        ident = doc_id(doc)
        if not is_url(ident):  # a templated or missing id: where the document was found names it
            if manifest.local_name or not is_url(manifest.source):
                return manifest.local_name or ident or manifest.source
            ident = manifest.source
        short = _short(ident)
        if self.short.setdefault(short, ident) != ident:
            parts = urlsplit(ident)
            return (parts.netloc + parts.path).rstrip("/")
        return short

    def _add(self, doc: dict, version: int, source: str, canvas: _Canvas, default_id: str) -> None:
        pairs = _pairs(canvas.metadata, version) + _pairs(doc.get("metadata"), version)  # the canvas's own first
        value = lambda f: self._metadata(pairs, f, version)  # noqa: E731
        record_id = value("id") or default_id
        if record_id in self.seen:
            return self.problem(source, record_id, f"duplicate id '{record_id}' (first in {self.seen[record_id]})")
        self.seen[record_id] = source
        title = value("title") or self._title(doc, canvas, version)
        date = value("date") or _nav_year(doc)
        begin, end, notes = resolve_years(date, "", "")
        for note in notes:
            self.problem(source, record_id, note, "warning")
        credit_value = _credit_value(doc, version)
        extra = {c: self._lookup(pairs, c, version) for c in self.cfg.extra_columns}
        credit_html = html_of(credit_value, self.language, version)
        credit = value("credit") or text_of(credit_value, self.language, version)
        if credit_html and credit_html != credit and not value("credit"):
            extra["credit_html"] = credit_html
        image = canvas.image
        if image.service:
            extra["iiif_image"] = image.body
        self.result.records.append(Record(
            id=record_id, title=title, artist=value("artist"), date_text=date, date_begin=begin, date_end=end,
            culture_raw=value("culture"), medium_raw=value("medium"),
            image_url=f"{image.service}/info.json" if image.service else image.body,
            source_url=value("source_url") or _homepage(doc), credit=credit,
            rights=value("rights") or _rights(doc), extra=extra,
        ))

    def _title(self, doc: dict, canvas: _Canvas, version: int) -> str:
        title = text_of(doc.get("label"), self.language, version)
        if self.cfg.iiif_records == "canvas":
            part = text_of(canvas.label, self.language, version)
            if part and part != title:
                return f"{title} ({part})" if title else part
        return title

    def _metadata(self, pairs, field: str, version: int) -> str:
        label = self.cfg.columns.get(field)
        return self._lookup(pairs, label, version) if label else ""

    def _lookup(self, pairs, label: str, version: int) -> str:
        wanted = label.strip().casefold()
        for labels, value in pairs:
            if wanted in labels:
                return text_of(value, self.language, version)
        return ""


def _pairs(metadata, version: int) -> list[tuple[set[str], object]]:
    if not isinstance(metadata, list):
        return []
    return [(all_texts(m.get("label"), version), m.get("value")) for m in metadata if isinstance(m, dict)]


def _canvas_list(doc: dict, version: int) -> list[dict]:
    if version >= 3:
        items = doc.get("items")
        return [c for c in items if isinstance(c, dict)] if isinstance(items, list) else []
    sequences = doc.get("sequences")
    first = sequences[0] if isinstance(sequences, list) and sequences and isinstance(sequences[0], dict) else {}
    canvases = first.get("canvases")
    return [c for c in canvases if isinstance(c, dict)] if isinstance(canvases, list) else []


def _canvas(canvas: dict, version: int) -> _Canvas:
    bodies = _painted_bodies(canvas, version)
    image, other = None, ""
    for body in bodies:
        kind = _kind(body)
        if kind == "image" and image is None:
            image = _image(body)
        elif kind != "image" and not other:
            other = kind
    metadata = canvas.get("metadata") if isinstance(canvas.get("metadata"), list) else []
    return _Canvas(doc_id(canvas), canvas.get("label"), metadata, image, other)


def _painted_bodies(canvas: dict, version: int) -> list[dict]:
    """The resources painted on the canvas; a Choice gives its first (default) option."""
    if version >= 3:
        annotations = [a for page in _dicts(canvas.get("items")) for a in _dicts(page.get("items"))]
        annotations = [a for a in annotations if str(a.get("motivation") or "painting").endswith("painting")]
        found = [b for a in annotations for b in _dicts(a.get("body"))]
    else:
        found = [a.get("resource") for a in _dicts(canvas.get("images")) if isinstance(a.get("resource"), dict)]
    return [_chosen(b) for b in found]


def _chosen(body: dict) -> dict:
    kind = doc_type(body)
    if kind == "Choice":
        options = _dicts(body.get("items")) or _dicts(body.get("default")) or _dicts(body.get("item"))
        return _chosen(options[0]) if options else body
    if kind == "SpecificResource" and isinstance(body.get("source"), dict):
        return _chosen(body["source"])
    return body


def _kind(body: dict) -> str:
    kind = doc_type(body).lower()
    fmt = str(body.get("format") or "").lower()
    if kind == "image" or fmt.startswith("image/"):
        return "image"
    if fmt.startswith(("audio/", "video/")):
        return fmt.split("/")[0]
    named = _KINDS.get(kind, kind or "an unknown resource")
    return f"{named} ({fmt})" if fmt and named in ("text", "data") else named


def _image(body: dict) -> PaintedImage | None:
    service = next((s for s in _dicts(body.get("service")) if _is_image_service(s)), None)
    service_id = doc_id(service).rstrip("/") if service else ""
    body_id = doc_id(body)
    if service_id.endswith("/info.json"):
        service_id = service_id[: -len("/info.json")]
    if not is_url(body_id) and not is_url(service_id):
        return None
    return PaintedImage(body_id if is_url(body_id) else "", service_id if is_url(service_id) else "")


def _is_image_service(service: dict) -> bool:
    kind = doc_type(service)
    profile = " ".join(str(p) for p in (service.get("profile") if isinstance(service.get("profile"), list)
                                         else [service.get("profile")]))
    context = str(service.get("@context") or "")
    return kind.startswith("ImageService") or "iiif.io/api/image" in profile + context or "level" in profile


def _start_canvas(doc: dict, version: int, with_image: list[_Canvas]) -> _Canvas:
    start = doc.get("start") if version >= 3 else _first_sequence(doc).get("startCanvas")
    start_id = doc_id(start) if isinstance(start, dict) else (start if isinstance(start, str) else "")
    return next((c for c in with_image if start_id and c.id == start_id), with_image[0])


def _first_sequence(doc: dict) -> dict:
    sequences = _dicts(doc.get("sequences"))
    return sequences[0] if sequences else {}


def _no_image_reason(canvases: list[_Canvas]) -> str:
    if not canvases:
        return "no image: the manifest has no canvas"
    others = sorted({c.other for c in canvases if c.other})
    if others:
        return f"no image: the manifest holds {', '.join(others)}, not an image"
    return "no image: no canvas of the manifest paints an image (empty canvases)"


def _credit_value(doc: dict, version: int):
    if version >= 3:
        statement = doc.get("requiredStatement")
        return statement.get("value") if isinstance(statement, dict) else None
    return doc.get("attribution")


def _rights(doc: dict) -> str:
    value = doc.get("rights") if "rights" in doc else doc.get("license")
    values = value if isinstance(value, list) else [value]
    found = [doc_id(v) if isinstance(v, dict) else v for v in values]
    return next((v.strip() for v in found if isinstance(v, str) and v.strip()), "")


def _homepage(doc: dict) -> str:
    value = doc.get("homepage") if "homepage" in doc else doc.get("related")
    values = value if isinstance(value, list) else [value]
    found = [doc_id(v) if isinstance(v, dict) else v for v in values]
    return next((v for v in found if isinstance(v, str) and is_url(v)), "")


def _nav_year(doc: dict) -> str:
    """navDate's year ("1871-01-01T00:00:00Z" -> "1871"), the date when no metadata label gives one."""
    value = doc.get("navDate")
    return value[:4] if isinstance(value, str) and value[:4].isdigit() else ""


def _short(ident: str) -> str:
    """The last meaningful path segment of an id: ".../artworks/27992/manifest.json" -> "27992"."""
    segments = [s for s in urlsplit(ident).path.split("/")]
    while segments and segments[-1].lower() in _UNINFORMATIVE:
        segments.pop()
    last = segments[-1] if segments else ""
    return last[:-5] if last.lower().endswith(".json") else last


def _dicts(value) -> list[dict]:
    items = value if isinstance(value, list) else [value]
    return [v for v in items if isinstance(v, dict)]
