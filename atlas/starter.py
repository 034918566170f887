"""`atlas init`: a commented starter site.yaml for a collection kept as a CSV table and a folder of images.

A first-time user has a spreadsheet export and some images, not a config. init reads the table's header
(and a few rows), proposes which column feeds each field atlas reads, finds the image folder, and writes
a site.yaml in which every line says what it does, so that the next step is reading and correcting a
file rather than learning the config reference. It never overwrites an existing site.yaml: that file may
hold hours of label rules.

Everything here is a proposal. Fields no column was found for are written as commented-out lines with
a note; the printed summary names what was matched and what was not.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from atlas.core.config import load_config
from atlas.core.text import printable
from atlas.ingest.readers import FIELDS, IMAGE_SUFFIXES

CONFIG_NAME = "site.yaml"
SAMPLE_ROWS = 5  # rows read for example values and to check image paths
IMAGE_FOLDER_NAMES = ("images", "img", "photos")  # checked in this order before counting image files
SEARCH_DEPTH = 2  # folders below FOLDER searched for images: init may be run in a large home folder
UNUSED_SHOWN = 12  # unused columns named in the summary (The Met's table has over 50)
COMMENT_COLUMN = 34  # comments start here, so the file reads as a table

# Header names that propose a field, best first; compared after `_normal` (case, spaces, punctuation).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("id", "object_id", "objectid", "accession", "accession_number", "object_number", "inventory_number"),
    "title": ("title", "name"),
    "artist": ("artist", "artist_display", "artist_display_name", "maker", "creator", "author"),
    "date": ("date", "date_display", "year", "object_date", "dated"),
    "date_begin": ("date_begin", "begin_date", "object_begin_date", "start_date", "year_begin", "start_year"),
    "date_end": ("date_end", "end_date", "object_end_date", "year_end", "end_year"),
    "culture": ("culture", "nationality", "place_of_origin", "country", "origin", "school"),
    "medium": ("medium", "medium_display", "classification", "technique", "material", "object_type", "type"),
    "image": ("image", "image_path", "image_file", "image_filename", "file", "filename", "file_name", "path"),
    "image_url": ("image_url", "primaryimage", "primary_image", "image_link", "iiif_url", "iiif_image"),
    "source_url": ("source_url", "url", "link", "object_url", "link_resource", "web_url"),
    "credit": ("credit", "credit_line", "creditline"),
    "rights": ("rights", "license", "licence", "copyright", "rights_statement"),
}

# What each field is for, as the comment beside its line in site.yaml.
FIELD_NOTES: dict[str, str] = {
    "id": "unique id of each work (required): its page address",
    "title": "title of the work",
    "artist": "artist or maker",
    "date": "date as written (c. 1650, 1820-30): years are parsed from it",
    "date_begin": "first year as a number (wins over the date text)",
    "date_end": "last year as a number",
    "culture": "culture: works are compared within and across these",
    "medium": "medium: the second grouping of works",
    "image": "image file of each work, relative to the table",
    "image_url": "http(s) address of the image or of its IIIF Image service, fetched when no file is given",
    "source_url": "the museum's own page for the work, linked from its atlas page",
    "credit": "credit line shown under the work on screen and in print",
    "rights": "licence or rights statement (words or a URL)",
}


class StarterError(ValueError):
    """init cannot write a starter config; the message says what to do instead."""


@dataclass
class Table:
    """What init learnt from the collection table."""

    path: Path
    encoding: str
    header: list[str]
    samples: list[dict[str, str]]  # the first SAMPLE_ROWS data rows, column -> value
    rows: int  # data rows (blank lines not counted)


@dataclass
class Images:
    """Where the images are, as far as init can tell."""

    folder: Path | None = None  # None when the image column alone finds them
    files: int = 0  # image files directly in `folder`
    notes: list[str] = field(default_factory=list)


@dataclass
class Proposal:
    """Everything the starter site.yaml is written from."""

    folder: Path
    table: Table
    columns: dict[str, str]  # field -> column, only for fields a column was found for
    images: Images
    min_group_size: int

    @property
    def notes(self) -> list[str]:
        missing = "" if "id" in self.columns else (
            "no id column found: set collection.columns.id to the column that identifies each work"
        )
        return ([missing] if missing else []) + self.images.notes


def init_site(folder: str | Path = ".", table: str | Path | None = None, images: str | Path | None = None) -> tuple[Path, Proposal]:
    """Propose a config for FOLDER and write FOLDER/site.yaml; refuses when it already exists."""
    folder = Path(folder)
    if not folder.is_dir():
        raise StarterError(f"folder not found: {folder}")
    target = folder / CONFIG_NAME
    if target.exists():
        raise StarterError(f"{target} already exists and init never overwrites it: move it away (or edit it) and run init again")
    proposal = propose(folder, table, images)
    text = render_yaml(proposal)
    check_loads(text)
    with open(target, "x", encoding="utf-8") as f:  # "x": never replace a file that appeared meanwhile
        f.write(text)
    return target, proposal


def propose(folder: Path, table: str | Path | None = None, images: str | Path | None = None) -> Proposal:
    """Read the table and look for the images; nothing is written."""
    found = read_table(find_table(folder, table))
    columns = propose_columns(found.header)
    return Proposal(folder, found, columns, find_images(folder, found, columns, images), group_size(found.rows))


def find_table(folder: Path, given: str | Path | None) -> Path:
    """--table when given, else the one *.csv in FOLDER; several or none is the user's choice to make."""
    if given is not None:
        path = Path(given)
        if not path.is_file():
            raise StarterError(f"table not found: {path}")
        return path
    tables = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
    if not tables:
        raise StarterError(f"no CSV table in {folder}: put the collection's table there, or name it with --table PATH")
    if len(tables) > 1:
        names = ", ".join(p.name for p in tables[:5]) + (", ..." if len(tables) > 5 else "")
        raise StarterError(f"{len(tables)} CSV tables in {folder} ({names}): choose one with --table PATH")
    return tables[0]


def read_table(path: Path) -> Table:
    """Header, first rows and row count. A table that is not UTF-8 is read as cp1252 (Excel on Windows),
    else as latin-1, which decodes any bytes; the encoding chosen is written to site.yaml."""
    for encoding in ("utf-8", "cp1252"):
        try:
            return _read_table(path, encoding)
        except UnicodeDecodeError:
            continue
    return _read_table(path, "latin-1")


def _read_table(path: Path, encoding: str) -> Table:
    with open(path, encoding="utf-8-sig" if encoding == "utf-8" else encoding, newline="") as f:
        reader = csv.reader(f)
        try:
            header = next((r for r in reader if any(c.strip() for c in r)), None)
            if header is None:
                raise StarterError(f"{path}: the table is empty (no header line)")
            header = [h.strip() for h in header]
            samples, rows = [], 0
            for values in reader:
                if not any(v.strip() for v in values):
                    continue
                rows += 1
                if len(samples) < SAMPLE_ROWS:
                    samples.append(dict(zip(header, values)))
        except csv.Error as exc:
            raise StarterError(f"{path}: not a readable CSV table (line {reader.line_num}: {exc})") from exc
    return Table(path, encoding, header, samples, rows)


def propose_columns(header: list[str]) -> dict[str, str]:
    """field -> column, by synonym; each column feeds at most one field, and a field takes the column
    of its best synonym (`id` takes "Object ID" before "Object Number")."""
    by_name: dict[str, str] = {}
    for column in header:
        by_name.setdefault(_normal(column), column)  # the first of duplicate names, as the reader does
    columns: dict[str, str] = {}
    taken: set[str] = set()
    for name in FIELDS:
        for synonym in SYNONYMS.get(name, ()):
            column = by_name.get(_normal(synonym))
            if column is not None and column not in taken:
                columns[name] = column
                taken.add(column)
                break
    return columns


def _normal(name: str) -> str:
    """'Object Number', 'object-number' and 'OBJECT_NUMBER' all become 'object_number'."""
    return re.sub(r"[^0-9a-z]+", "_", name.casefold()).strip("_")


def group_size(rows: int) -> int:
    """labels.min_group_size for this many works: the default 100 suits 2,500 works and more; a small
    collection would have no groups at all, so aim at about one work in 25, and never under 3."""
    return max(3, min(100, rows // 25))


def find_images(folder: Path, table: Table, columns: dict[str, str], given: str | Path | None) -> Images:
    """The image folder: --images, else none when the image column's paths already lead to files, else
    a sub-folder named images/img/photos, else the folder (up to SEARCH_DEPTH down) with most images."""
    if given is not None:
        path = Path(given)
        if not path.is_dir():
            raise StarterError(f"image folder not found: {path}")
        return _folder_images(path, table, columns)
    column_notes: list[str] = []
    if "image" in columns:
        found, tried = _image_column_hits(table, columns["image"])
        if tried and found == tried:
            return Images(None, 0, [])
        column_notes.append(
            f"{found} of the first {tried} paths in column '{printable(columns['image'])}' lead to a file "
            f"(they are read relative to {printable(table.path.parent.name or str(table.path.parent))}/)"
        )
    path = _named_image_folder(folder) or _busiest_image_folder(folder)
    if path is None:
        return Images(None, 0, column_notes + ["no image folder found: set collection.image_folder, or use --images DIR"])
    images = _folder_images(path, table, columns)
    images.notes[:0] = column_notes
    return images


def _image_column_hits(table: Table, column: str) -> tuple[int, int]:
    """(paths that are files, non-empty paths) among the sample rows' image column."""
    values = [row.get(column, "").strip() for row in table.samples]
    values = [v for v in values if v]
    found = sum(1 for v in values if (table.path.parent / Path(v).expanduser()).is_file())
    return found, len(values)


def _named_image_folder(folder: Path) -> Path | None:
    subfolders = {p.name.casefold(): p for p in sorted(folder.iterdir()) if p.is_dir()}
    return next((subfolders[name] for name in IMAGE_FOLDER_NAMES if name in subfolders), None)


def _busiest_image_folder(folder: Path) -> Path | None:
    """The folder holding most image files, skipping hidden folders and build/ (atlas's own output)."""
    best, most = None, 0
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        depth = len(here.relative_to(folder).parts)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not (depth == 0 and d == "build"))
        if depth >= SEARCH_DEPTH:
            dirnames[:] = []
        count = sum(1 for name in filenames if _is_image(name))
        if count > most:
            best, most = here, count
    return best


def _folder_images(path: Path, table: Table, columns: dict[str, str]) -> Images:
    """Count the folder's images and check that the first ids name one (image_pattern "{id}")."""
    names = {p.name.casefold() for p in path.iterdir() if p.is_file() and _is_image(p.name)}
    images = Images(path, len(names), [])
    id_column = columns.get("id")
    ids = [row.get(id_column, "").strip() for row in table.samples] if id_column else []
    ids = [i for i in ids if i]
    hits = sum(1 for i in ids if any(f"{i}{s}".casefold() in names for s in IMAGE_SUFFIXES))
    if ids and hits < len(ids) and "image" not in columns:
        images.notes.append(
            f"only {hits} of the first {len(ids)} ids name an image in {printable(path.name)}/ (as {{id}}.jpg, {{id}}.png, ...): "
            "set collection.image_pattern (e.g. \"img_{id}.jpg\") or add an image column"
        )
    return images


def _is_image(name: str) -> bool:
    return name.casefold().endswith(IMAGE_SUFFIXES)


# ---- writing -------------------------------------------------------------------------------------


def render_yaml(p: Proposal) -> str:
    """The starter site.yaml: every line carries a comment saying what it does."""
    table = p.table
    lines = [
        f"# site.yaml for {printable(table.path.name)} ({_count(table.rows, 'work')}), written by `atlas init`.",
        "# Every key is explained in README.md (\"Config reference\"); check the proposals below, then build.",
        "# Relative paths are read from this file's folder.",
        *_aligned([
            (f"title: {_quote('Atlas of visual analogies: ' + (p.folder.resolve().name or 'my collection'))}", "the site's name, on every page"),
            (f"description: {_quote('Works from the collection, each shown with its closest visual analogies.')}", "one sentence for the home page and search engines"),
            ("base_url: /", "the path the site is served from, e.g. /atlas/"),
            ("output: build/site", "the built site (replaced whole at the end of a build)"),
            ("cache: build/cache", "embeddings and thumbnails, reused by the next build"),
        ]),
        "",
        *_aligned(_collection_lines(p)),
        "",
        *_aligned(_labels_lines(p)),
        "",
        *_aligned([
            ("embedding:", "how images become the features analogies are found with"),
            ("  model: resnet50", "any torchvision classification network"),
            ("  weights: imagenet", "ImageNet weights, downloaded once by torchvision"),
            ("  on_missing_weights: fallback", "offline: use weights-free features, and say so"),
            ("  device: auto", "the GPU when there is one, else the CPU"),
            ("", ""),
            ("neighbours:", "the analogies"),
            ("  k: 6", "analogies shown per work in each group"),
        ]),
    ]
    return "\n".join(lines) + "\n"


def _collection_lines(p: Proposal) -> list[tuple[str, str]]:
    table = p.table
    lines = [
        ("collection:", "the metadata table and the images"),
        ("  format: csv", "a CSV table with a header line"),
        (f"  path: {_quote(_relative(table.path, p.folder))}", f"the table: {_count(table.rows, 'row')}, {len(table.header)} columns"),
        (f"  encoding: {table.encoding}", "the table's text encoding"),
    ]
    lines.append(("  columns:", "atlas field: column in the table (proposed by init)") if p.columns
                 else ("  # columns:", "no column matched a field: uncomment and fill in"))
    for name in FIELDS:
        column = p.columns.get(name)
        if column is not None:
            lines.append((f"    {name}: {_quote(column)}", FIELD_NOTES[name]))
        else:
            lines.append((f"    # {name}:", f"no column found; name it to use: {FIELD_NOTES[name]}"))
    folder = p.images.folder
    if folder is not None:
        lines.append((f"  image_folder: {_quote(_relative(folder, p.folder))}", f"the images ({p.images.files} files), looked up by id"))
        lines.append(("  image_pattern: \"{id}\"", "image file name; with no suffix .jpg, .png, ... are tried"))
    else:
        reason = "the image column finds every image" if "image" in p.columns else "no image folder found"
        lines.append(("  # image_folder: images", f"{reason}; a folder of images named by id"))
    return lines


def _labels_lines(p: Proposal) -> list[tuple[str, str]]:
    size = p.min_group_size
    return [
        ("labels:", "how raw culture and medium values become groups"),
        ("  culture:", "rules: {Group: [raw values]} merge spellings"),
        (f"    min_group_size: {size}", f"smaller cultures are not compared as a group ({_count(p.table.rows, 'work')} in all)"),
        ("  medium:", "the same for media"),
        (f"    min_group_size: {size}", "smaller media are not compared as a group"),
    ]


def _aligned(pairs: list[tuple[str, str]]) -> list[str]:
    """'code  # comment' lines with the comments in one column (long code pushes its comment right)."""
    return [f"{code:<{COMMENT_COLUMN - 2}}  # {printable(note)}" if code else "" for code, note in pairs]


def _quote(text: str) -> str:
    """A YAML double-quoted scalar: any column or file name reads back exactly, control characters too."""
    return yaml.safe_dump(text, default_style='"', allow_unicode=True, width=2**31).strip()


def _relative(path: Path, folder: Path) -> str:
    """`path` as site.yaml should name it: relative to its folder when inside it, else absolute."""
    path, folder = path.resolve(), folder.resolve()
    try:
        return path.relative_to(folder).as_posix() or "."
    except ValueError:
        return str(path)


def check_loads(text: str) -> None:
    """Load the starter text as atlas will, before writing it: a proposal that load_config refuses
    would be a bug here, and it must not leave a broken site.yaml behind."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / CONFIG_NAME
        path.write_text(text, encoding="utf-8")
        load_config(path)


# ---- telling the user ----------------------------------------------------------------------------


def describe(target: Path, p: Proposal, prog: str = "atlas") -> str:
    """What init wrote and proposed, and the commands to run next."""
    table, images = p.table, p.images
    where = f"{printable(_relative(images.folder, p.folder))}/ ({images.files} image files)" if images.folder else (
        f"images from column '{printable(p.columns['image'])}'" if "image" in p.columns else "no images found")
    lines = [f"Wrote {printable(str(target))}: {printable(table.path.name)} ({_count(table.rows, 'row')}, "
             f"{len(table.header)} columns, {table.encoding}), {where}.", "", "Proposed columns (collection.columns):"]
    example = table.samples[0] if table.samples else {}
    for name in FIELDS:
        column = p.columns.get(name)
        shown = f"'{printable(column)}'" if column is not None else "-- no column found"
        value = _shorten(printable(example.get(column, ""))) if column is not None else ""
        lines.append(f"  {name:<11} {shown:<28} {('e.g. ' + value) if value else ''}".rstrip())
    unused = [printable(c) for c in table.header if c not in p.columns.values()]
    if unused:
        shown = ", ".join(unused[:UNUSED_SHOWN]) + (f" and {len(unused) - UNUSED_SHOWN} more" if len(unused) > UNUSED_SHOWN else "")
        lines += ["", f"Not used (list in collection.extra_columns to keep them on each work): {shown}"]
    if p.notes:
        lines += ["", "Check:"] + [f"  - {note}" for note in p.notes]
    config = "" if p.folder.resolve() == Path.cwd().resolve() else f" --config {printable(str(target))}"
    lines += [
        "", "Next:",
        f"  1. read {printable(str(target))} and correct what init guessed wrong (every line says what it does)",
        f"  2. {prog} build{config}    embed the images and write the site to build/site",
        f"  3. {prog} serve{config}    preview it at http://127.0.0.1:8000/",
    ]
    return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _shorten(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
