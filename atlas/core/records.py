"""The plain data that flows between the ingest stages: one record per artwork, one problem per rejection.

Every stage after ingest works on `Record`s (never on raw rows), and every record that is skipped or
changed on the way leaves a `Problem` behind, so the build summary can explain it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

CONDITIONS = ("culture", "medium")  # the two fields analogies are conditioned on, in the order pages show them
UNKNOWN_ARTIST = "Unknown artist"


def byline(artist: str, date: str, *more: str, sep: str = ", ") -> str:
    """"Artist, date" as every page, caption and search result shows it (further parts appended)."""
    return sep.join(x for x in (artist or UNKNOWN_ARTIST, date, *more) if x)


@dataclass(frozen=True)
class Record:
    """One artwork as the collection describes it, after parsing but before embedding."""

    id: str
    title: str = ""
    artist: str = ""
    date_text: str = ""  # the catalogue's own words: "ca. 1650", "19th century"
    date_begin: int | None = None  # parsed years; None when the text gave no year
    date_end: int | None = None
    culture_raw: str = ""  # label as written in the source
    medium_raw: str = ""
    culture: str | None = None  # normalised group (set by atlas.ingest.labels); None = no usable group
    medium: str | None = None
    image_path: Path | None = None
    image_url: str = ""  # an http(s) image or IIIF Image API service to fetch, when the source gives one
    source_url: str = ""  # the museum's own page for the work (shown as "See it at the museum")
    credit: str = ""  # credit line / required statement, shown on screen and in print
    rights: str = ""  # licence or rights statement (a URL or words)
    extra: dict[str, str] = field(default_factory=dict)  # further columns asked for in site.yaml
    source_line: int = 0  # line (CSV) or row number (JSONL) in the source file, for messages


@dataclass(frozen=True)
class Problem:
    """Why a record (or a file) was skipped or changed; one line in the build report."""

    stage: str  # "read", "labels", "images", "embed", ...
    record: str  # record id, or "" when the row had none
    reason: str  # plain words: "image file not found", "duplicate id (first seen on line 12)"
    file: str = ""  # the file concerned, when there is one
    line: int = 0  # source line, when known
    severity: str = "skipped"  # "skipped": the record is not published; "warning": published, but changed

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class ReadResult:
    """What a collection reader returns: the usable records and everything it had to reject."""

    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
