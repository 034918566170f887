"""Collection tables (CSV, JSON Lines, The Met's MetObjects.csv) in, `Record`s and `Problem`s out.

Museum exports are messy, so a bad row never stops a build: it becomes one `Problem` naming the file,
line, record id and what was wrong. Only what makes the whole table unusable raises: a missing table
or image folder (FileNotFoundError), a configuration that cannot match it (CollectionError).

Decisions: numeric begin/end columns win over the parsed date text, and 0/0 means "no date" (there
is no year 0). `met`: an empty "Culture" falls back to the first "Artist Nationality" (The Met leaves
Culture empty on most European paintings, whose makers have a nationality), marked by
extra["culture_source"]; makers joined by "|" are shown joined by "; ". A record whose image is not
found is still returned, with a Problem: the build skips it. So is a record whose image lies outside
the image folder and the table's folder (`../x.png`, an absolute path, a symlink pointing out: the table
may come from someone else, and the site publishes what it reads) unless collection.allow_outside_paths.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from atlas.core.config import CollectionConfig
from atlas.core.real_paths import RealPaths
from atlas.core.records import Problem, ReadResult, Record
from atlas.ingest.dates import resolve_years

FIELDS = ("id", "title", "artist", "date", "date_begin", "date_end", "culture", "medium", "image", "image_url",
          "source_url", "credit", "rights")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".gif")
MET_COLUMNS = {"id": "Object ID", "title": "Title", "artist": "Artist Display Name", "date": "Object Date",
               "date_begin": "Object Begin Date", "date_end": "Object End Date", "culture": "Culture",
               "medium": "Classification"}
MET_EXTRA = {"medium_detail": "Medium", "public_domain": "Is Public Domain", "department": "Department",
             "object_number": "Object Number"}
MET_CULTURE_FALLBACK = "Artist Nationality"


class CollectionError(ValueError):
    """The table cannot be read with this configuration at all (not one bad row: all of them)."""


@dataclass
class _Layout:
    """Which source column feeds which record field, for one format."""

    columns: dict[str, str]  # atlas field -> column
    required: dict[str, str]  # "columns.title" -> column: asked for in site.yaml, so it must exist
    extra: dict[str, str]  # extra key -> column
    met: bool = False


@dataclass
class _Row:
    line: int
    values: dict | None = None  # column -> value, None when the row is unusable
    error: str = ""
    guess_id: str = ""  # best-effort id of an unusable row, for the message


def read_collection(cfg: CollectionConfig, base_dir: Path) -> ReadResult:
    """Read the table named by `cfg` (paths relative to `base_dir`, the folder of site.yaml)."""
    base_dir = Path(base_dir)
    path = _resolve(cfg.path, base_dir)
    if not path.is_file():
        raise FileNotFoundError(f"collection table not found: {path} (collection.path: '{cfg.path}', relative to {base_dir})")
    reader = _Reader(cfg.path, _layout(cfg), _ImageFinder(cfg, base_dir, path.parent))
    lines = _Lines(path, cfg.encoding)
    rows = _jsonl_rows(lines) if cfg.format == "jsonl" else _csv_rows(lines, reader.layout, cfg.path)
    for count, row in enumerate(rows, 1):
        reader.add(row)
        if cfg.limit > 0 and count >= cfg.limit:
            break
    if lines.fallback:
        reader.result.problems.append(lines.warning(cfg.path))
    return reader.result


def _plain_file(path: Path) -> bool:
    """Whether `path` is a regular file and not a symbolic link, from one lstat (is_file and is_symlink were
    two system calls and most of the time of finding 10,000 images)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except (OSError, ValueError):
        return False


def _resolve(path: str, base: Path) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else base / p


def _layout(cfg: CollectionConfig) -> _Layout:
    unknown = sorted(set(cfg.columns) - set(FIELDS))
    if unknown:
        raise CollectionError(f"collection.columns: unknown field '{unknown[0]}'; fields are: {', '.join(FIELDS)}")
    met = cfg.format == "met"
    defaults = MET_COLUMNS if met else {f: f for f in FIELDS}
    columns = {**defaults, **cfg.columns}
    required = {"columns.id": columns["id"]} | {f"columns.{k}": v for k, v in cfg.columns.items()}
    required |= {f"extra_columns ({c})": c for c in cfg.extra_columns}
    extra = {**(MET_EXTRA if met else {}), **{c: c for c in cfg.extra_columns}}
    return _Layout(columns, required, extra, met)


class _Lines:
    """The table's text lines; a line that is not valid in the configured encoding is read as cp1252
    (the usual culprit: one row pasted from Excel on Windows) and remembered for a warning."""

    def __init__(self, path: Path, encoding: str):
        try:
            name = codecs.lookup(encoding).name
        except LookupError as exc:
            raise CollectionError(f"collection.encoding: unknown text encoding '{encoding}'") from exc
        self.path, self.encoding = path, ("utf-8-sig" if name == "utf-8" else name)
        self.fallback: list[int] = []

    def __iter__(self) -> Iterator[str]:
        if self.encoding.startswith(("utf-16", "utf-32")):  # not line-safe as bytes: decode whole
            with open(self.path, encoding=self.encoding, errors="replace", newline="") as f:
                yield from f
            return
        number = 0
        with open(self.path, "rb") as f:
            for raw in f:
                parts = raw.splitlines(keepends=True) if b"\r" in raw.rstrip(b"\r\n") else [raw]
                for part in parts:  # old Mac files end lines with a lone \r
                    number += 1
                    yield self._decode(part, number)

    def _decode(self, raw: bytes, number: int) -> str:
        try:
            return raw.decode(self.encoding)
        except UnicodeDecodeError:
            self.fallback.append(number)
            try:
                return raw.decode("cp1252")
            except UnicodeDecodeError:
                return raw.decode("latin-1")

    def warning(self, file: str) -> Problem:
        shown = ", ".join(map(str, self.fallback[:10])) + (f" and {len(self.fallback) - 10} more" if len(self.fallback) > 10 else "")
        encoding = "utf-8" if self.encoding == "utf-8-sig" else self.encoding
        reason = f"{len(self.fallback)} line(s) not valid {encoding}, read as cp1252: line {shown}"
        return Problem("read", "", reason, file, self.fallback[0], "warning")


def _csv_rows(lines: Iterable[str], layout: _Layout, file: str) -> Iterator[_Row]:
    """Rows as column dicts, each with the line it starts on; bad rows carry an error instead."""
    reader = csv.reader(iter(lines))
    header = next((r for r in reader if any(c.strip() for c in r)), None)
    if header is None:
        raise CollectionError(f"{file}: the table is empty (no header line)")
    header = [h.strip() for h in header]
    _check_header(header, layout, file)
    index = {name: i for i, name in reversed(list(enumerate(header)))}  # first of duplicate names wins
    id_at = index[layout.columns["id"]]
    previous = reader.line_num
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            fields, error = None, f"unreadable CSV row: {exc}"
        start, previous = previous + 1, reader.line_num
        if fields is None:
            yield _Row(start, error=error + (f" (lines {start}-{previous}, an unclosed quote?)" if previous > start else ""))
        elif not any(f.strip() for f in fields):
            continue  # blank line
        elif len(fields) != len(header):
            guess = fields[id_at].strip() if id_at < len(fields) else ""
            yield _Row(start, error=_count_error(fields, header, start, previous), guess_id=guess)
        else:
            yield _Row(start, {name: fields[i] for name, i in index.items()})


def _count_error(fields: list[str], header: list[str], start: int, end: int) -> str:
    """A row spanning many lines usually means a stray quote swallowed the rows after it: say so."""
    span = f"; the row runs on to line {end}, an unclosed quote?" if end > start else ""
    return f"row has {len(fields)} fields, the header has {len(header)}{span}"


def _check_header(header: list[str], layout: _Layout, file: str) -> None:
    for key, column in layout.required.items():
        if column not in header:
            close = difflib.get_close_matches(column, header, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; columns are: {', '.join(header)}"
            raise CollectionError(f"{file}: column '{column}' ({key}) is not in the header{hint}")


def _jsonl_rows(lines: Iterable[str]) -> Iterator[_Row]:
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text:
            continue
        if number == 1 and text.startswith("["):
            raise CollectionError("the table is a JSON array; collection.format jsonl needs one JSON object per line")
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            yield _Row(number, error=f"not valid JSON: {exc.msg} (column {exc.colno})")
            continue
        if isinstance(value, dict):
            yield _Row(number, {k: _text(v) for k, v in value.items()})
        else:
            yield _Row(number, error=f"line is a JSON {type(value).__name__}, not an object")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class _Reader:
    """Rows -> Records and Problems (never an exception), remembering the ids already seen."""

    def __init__(self, file: str, layout: _Layout, images: _ImageFinder):
        self.file, self.layout, self.images = file, layout, images
        self.seen: dict[str, int] = {}
        self.result = ReadResult()

    def problem(self, row: _Row, record_id: str, reason: str, severity: str = "skipped") -> None:
        self.result.problems.append(Problem("read", record_id, reason, self.file, row.line, severity))

    def add(self, row: _Row) -> None:
        if row.values is None:
            return self.problem(row, row.guess_id, row.error)
        values, columns = row.values, self.layout.columns
        get = lambda f: str(values.get(columns.get(f, ""), "") or "").strip()  # noqa: E731
        record_id = get("id")
        if not record_id:
            return self.problem(row, "", f"no id (column '{columns['id']}' is empty)")
        if record_id in self.seen:
            return self.problem(row, record_id, f"duplicate id '{record_id}' (first on line {self.seen[record_id]})")
        self.seen[record_id] = row.line
        self.result.records.append(self._record(row, record_id, get))

    def _record(self, row: _Row, record_id: str, get) -> Record:
        begin, end, notes = resolve_years(get("date"), get("date_begin"), get("date_end"))
        for note in notes:
            self.problem(row, record_id, note, "warning")
        image, missing = self.images.find(record_id, get("image"))
        if missing and not get("image_url"):  # a record with an image URL has it fetched (remote_images)
            self.problem(row, record_id, missing)
        extra = {key: str(row.values.get(column, "") or "").strip() for key, column in self.layout.extra.items()}
        artist, culture = get("artist"), get("culture")
        if self.layout.met:
            artist = "; ".join(p.strip() for p in artist.split("|") if p.strip())
            if not culture and self.layout.columns["culture"] == MET_COLUMNS["culture"]:
                culture = _met_nationality(row.values, extra)
        return Record(
            id=record_id, title=get("title"), artist=artist, date_text=get("date"), date_begin=begin,
            date_end=end, culture_raw=culture, medium_raw=get("medium"), image_path=image, extra=extra,
            image_url=get("image_url"), source_url=get("source_url"), credit=get("credit"), rights=get("rights"),
            source_line=row.line,
        )


def _met_nationality(values: dict, extra: dict[str, str]) -> str:
    """The first maker's nationality ("French|French" -> "French"), noted in extra when used."""
    parts = [p.strip() for p in str(values.get(MET_CULTURE_FALLBACK, "") or "").split("|")]
    culture = next((p for p in parts if p), "")
    if culture:
        extra["culture_source"] = MET_CULTURE_FALLBACK
    return culture


class _ImageFinder:
    """Finds each record's image: the path in its image column, else image_folder + image_pattern."""

    def __init__(self, cfg: CollectionConfig, base_dir: Path, table_dir: Path):
        self.table_dir, self.pattern = table_dir, cfg.image_pattern
        self.folder = _resolve(cfg.image_folder, base_dir) if cfg.image_folder else None
        if self.folder is not None and not self.folder.is_dir():
            raise FileNotFoundError(f"image folder not found: {self.folder} (collection.image_folder: '{cfg.image_folder}')")
        self.allow_outside = cfg.allow_outside_paths
        self.roots = [p.resolve() for p in (self.folder, table_dir) if p is not None]  # symlinks followed
        try:
            self.pattern.format(id="x")
        except (KeyError, IndexError, ValueError) as exc:
            raise CollectionError(f"collection.image_pattern '{self.pattern}' must use only {{id}}: {exc!r}") from exc
        tail = self.pattern.rsplit("}", 1)[-1]
        self.probe = not re.search(r"\.[A-Za-z0-9]{1,5}$", tail)  # "{id}" -> try the usual suffixes
        self.listings: dict[Path, tuple[set[str], dict[str, str]]] = {}
        self.real_paths = RealPaths()  # each image's real path, its folder resolved once
        self.inside: dict[str, bool] = {}  # a folder as written -> whether it resolves inside a root (_inside)

    def find(self, record_id: str, given: str) -> tuple[Path | None, str]:
        """(path, "") when found, else (None, a reason that names what was looked for)."""
        tried = []
        if given:
            path = _resolve(given, self.table_dir)
            if _plain_file(path):  # one lstat: a regular file, not a link (the usual case)
                return self._confined(path, f"image '{given}'", link=False)
            if path.is_file():
                return self._confined(path, f"image '{given}'")
            tried.append(str(path))
        if self.folder is not None:
            path = self._in_folder(record_id)
            if path is not None:
                return self._confined(path, "image")
            name = self.folder / self.pattern.format(id=record_id)
            tried.append(f"{name} (tried {', '.join(IMAGE_SUFFIXES)})" if self.probe else str(name))
        if not tried:
            return None, "image file not found: no image path given and collection.image_folder is not set"
        return None, f"image file not found: {' or '.join(tried)}"

    def _confined(self, path: Path, what: str, link: bool | None = None) -> tuple[Path | None, str]:
        """(path, "") when the file, symlinks followed, lies inside the image folder or the table's folder
        (or collection.allow_outside_paths is true); else (None, why), and the file is never opened.
        `link`: whether the file itself is a link, when the caller knows."""
        if self.allow_outside:
            return path, ""
        plain = path.name not in ("", ".", "..") and not (link if link is not None else path.is_symlink())
        if plain and self._inside(os.path.dirname(path)):  # not a link: inside where its real folder is
            return path, ""
        real = self._real(path, link)
        if any(real.is_relative_to(root) for root in self.roots):
            return path, ""
        shown = f"{path} -> {real}" if real != path.absolute() else str(real)
        return None, (f"image outside the image folder and the table's folder: {what} is {shown}; not read "
                      "(set collection.allow_outside_paths: true to allow it)")

    def _inside(self, folder: str) -> bool:
        """Whether `folder`, resolved, lies in the image folder or the table's folder; once per folder (keyed by
        its text: a Path made for each image and hashed was half of reading 10,000 records)."""
        found = self.inside.get(folder)
        if found is None:
            real = Path(os.path.realpath(folder or "."))
            found = self.inside[folder] = any(real.is_relative_to(root) for root in self.roots)
        return found

    def _real(self, path: Path, link: bool | None = None) -> Path:
        """path.resolve(), each folder resolved once (atlas.core.real_paths)."""
        return Path(self.real_paths.of(os.fspath(path), link))

    def _in_folder(self, record_id: str) -> Path | None:
        candidate = self.folder / self.pattern.format(id=record_id)
        exact, lower = self._listing(candidate.parent)
        base = candidate.name if self.probe else candidate.name.rsplit(".", 1)[0]
        wanted = [candidate.name] + ([candidate.name + s for s in IMAGE_SUFFIXES] if self.probe else [])
        for name in wanted:
            if name in exact:
                return candidate.parent / name
        for name in wanted:  # the suffix in any casing (.JPG, .Jpeg), the id as written
            found = lower.get(name.lower(), "")
            if found.startswith(base):
                return candidate.parent / found
        return None

    def _listing(self, folder: Path) -> tuple[set[str], dict[str, str]]:
        """File names, and lower-cased name -> name: one directory scan instead of a stat per try."""
        if folder not in self.listings:
            try:
                names = sorted(e.name for e in folder.iterdir() if e.is_file())
            except OSError:
                names = []
            lower: dict[str, str] = {}
            for name in names:
                lower.setdefault(name.lower(), name)
            self.listings[folder] = (set(names), lower)
        return self.listings[folder]
