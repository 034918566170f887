"""pairings.yaml parsed on its own, without the collection: a list of {a, b, title, commentary}.

Kept in the core layer because two layers read it: the site's pairings pages (atlas.site.pairings, which
then checks the ids against the published works) and `atlas finetune --objective connections`
(atlas.vectors.connections), which trains on the curated pairs as known visual connections.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from atlas.core import yamlsafe
from atlas.core.records import Problem

Pair = tuple[str, str]


@dataclass(frozen=True)
class PairingEntry:
    """One well-formed entry of pairings.yaml as written: ids before renames, title "" when none is given."""

    a: str
    b: str
    title: str
    commentary: str
    line: int


def read_pairings_file(path: Path, key: str = "") -> tuple[list[PairingEntry], list[Problem]]:
    """Parse pairings.yaml on its own, without the collection: the well-formed entries in file order, and
    a warning Problem for each malformed one (not a mapping, no a or b, an unknown key, one work twice).

    Kept apart from the collection so atlas.preflight can refuse a malformed file before any heavy work;
    whether the ids exist is only known after reading the collection (load_curated). Raises
    FileNotFoundError for a missing file and ValueError for one that is not YAML or not a list."""
    entries, problems = [], []
    for item in yamlsafe.list_items(path, key, "pairings", "a, b, title and commentary"):
        line = item.start_mark.line + 1
        entry = yaml.safe_load(yaml.serialize(item))
        reason, pair = _check_form(entry)
        if reason:
            record = f"{pair[0]} -> {pair[1]}" if pair else ""
            problems.append(Problem("pairings", record, reason, str(path), line, severity="warning"))
            continue
        title, commentary = (str(entry.get(k) or "").strip() for k in ("title", "commentary"))
        entries.append(PairingEntry(pair[0], pair[1], title, commentary, line))
    return entries, problems


def _check_form(entry) -> tuple[str, Pair | None]:
    """("", (a, b)) for an entry shaped as the file format says, else (why not, the pair as written or None)."""
    if not isinstance(entry, dict) or entry.get("a") in (None, "") or entry.get("b") in (None, ""):
        return "curated pairing needs an 'a' and a 'b' work id", None
    unknown = sorted(set(entry) - {"a", "b", "title", "commentary"}, key=str)
    written = (str(entry["a"]), str(entry["b"]))
    if unknown:
        return f"curated pairing has unknown key '{unknown[0]}' (keys: a, b, title, commentary)", written
    if written[0] == written[1]:
        return "curated pairing names the same work twice", written
    return "", written
