"""patterns.yaml: what curators decided about the proposed visual patterns (site.yaml `patterns.file`).

A list of entries, one per pattern a curator looked at:

    - name: Boats under sail        # the pattern's name; its page is pattern/boats-under-sail/
      status: confirmed             # confirmed | rejected
      members: [S0001, S0017, S0033] # the works, as the proposed pattern's page lists them for pasting
      add: [S0200]                  # optional: works to add
      remove: [S0017]               # optional: works to take out
      text: |                       # optional: the curator's text, shown on the pattern's page
        Sails drawn as one dark triangle, in three cultures.

A confirmed pattern is defined by its own member list, not by the clustering that proposed it, so its
page and URL survive any rebuild with changed data; it also feeds `atlas finetune --objective
connections` (every two of its works are a known connection). A rejected entry's members identify the
proposal it rejected: a later proposal sharing most of its works is not proposed again.

Parsed here, in the core layer, because the build (atlas.analysis.curated_patterns) and fine-tuning
(atlas.vectors.connections) both read it. Malformed entries and unknown ids are warnings naming the file
and line; a file that is not YAML or not a list is an error (atlas.preflight refuses it before a build).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from atlas.core import yamlsafe
from atlas.core.records import Problem

STATUSES = ("confirmed", "rejected")
KEYS = ("name", "status", "members", "add", "remove", "text")


@dataclass(frozen=True)
class PatternEntry:
    """One well-formed entry as written; ids are (id, line) so an unknown one can be reported by line."""

    status: str
    name: str
    members: tuple[tuple[str, int], ...]
    add: tuple[tuple[str, int], ...] = ()
    remove: tuple[tuple[str, int], ...] = ()
    text: str = ""
    line: int = 0


@dataclass(frozen=True)
class CuratedPattern:
    """An entry with its edits applied and its ids checked against the collection."""

    status: str
    name: str
    members: tuple[str, ...]  # members + add - remove, known ids only, first mention first
    text: str
    line: int


@dataclass
class CuratedPatterns:
    confirmed: list[CuratedPattern] = field(default_factory=list)
    rejected: list[CuratedPattern] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def read_patterns_file(path: Path, key: str = "") -> tuple[list[PatternEntry], list[Problem]]:
    """The well-formed entries in file order, and a warning for each malformed one.

    Raises FileNotFoundError for a missing file and ValueError for one that is not YAML or not a list."""
    entries, problems = [], []
    for item in yamlsafe.list_items(path, key, "patterns", "name, status and members"):
        line = item.start_mark.line + 1
        entry, reason = _entry(item, line)
        if reason:
            problems.append(Problem("patterns", "", reason, str(path), line, severity="warning"))
        else:
            entries.append(entry)
    return entries, problems


def _entry(item, line: int) -> tuple[PatternEntry | None, str]:
    """(entry, "") for an entry shaped as the format says, else (None, why not)."""
    if not isinstance(item, yaml.MappingNode):
        return None, "pattern entry must be a mapping with name, status and members"
    nodes = {str(k.value): v for k, v in item.value}
    unknown = sorted(set(nodes) - set(KEYS))
    if unknown:
        return None, f"pattern entry has unknown key '{unknown[0]}' (keys: {', '.join(KEYS)})"
    status = _scalar(nodes.get("status")).lower()
    name = _scalar(nodes.get("name"))
    if status not in STATUSES:
        return None, f"pattern entry{f' {name!r}' if name else ''}: status must be confirmed or rejected"
    if status == "confirmed" and not slugify(name):
        return None, "confirmed pattern needs a name (its page's URL is made from it)"
    lists = {k: _ids(nodes.get(k)) for k in ("members", "add", "remove")}
    if any(v is None for v in lists.values()):
        return None, f"pattern {name or '(unnamed)'}: members, add and remove must be lists of work ids"
    if not lists["members"] and not lists["add"]:
        return None, f"pattern {name or '(unnamed)'} has no members"
    return PatternEntry(status, name, lists["members"], lists["add"], lists["remove"],
                        _scalar(nodes.get("text")), line), ""


def _scalar(node) -> str:
    return str(node.value).strip() if isinstance(node, yaml.ScalarNode) and node.value is not None else ""


def _ids(node) -> tuple[tuple[str, int], ...] | None:
    """((id, line), ...) of a list of scalars; () when absent; None when not such a list."""
    if node is None:
        return ()
    if not isinstance(node, yaml.SequenceNode) or not all(isinstance(n, yaml.ScalarNode) for n in node.value):
        return None
    return tuple((str(n.value).strip(), n.start_mark.line + 1) for n in node.value if str(n.value).strip())


def resolve_patterns(entries: list[PatternEntry], known: set[str], path: Path) -> CuratedPatterns:
    """Apply each entry's add and remove, drop ids not in `known` with a warning naming the file and line,
    and keep confirmed patterns that still have two works. Names are slugged later (unique_slugs)."""
    out = CuratedPatterns()
    for entry in entries:
        members: list[str] = []
        removed = {i for i, _ in entry.remove}
        for work, line in (*entry.members, *entry.add, *entry.remove):
            if work not in known:
                out.problems.append(Problem("patterns", work, f"pattern {entry.name or '(unnamed)'}: work {work} "
                                            "is not in the collection (left out)", str(path), line, "warning"))
        for work, _ in (*entry.members, *entry.add):
            if work in known and work not in removed and work not in members:
                members.append(work)
        pattern = CuratedPattern(entry.status, entry.name, tuple(members), entry.text, entry.line)
        if entry.status == "rejected":
            out.rejected.append(pattern)
        elif len(members) >= 2:
            out.confirmed.append(pattern)
        else:
            out.problems.append(Problem("patterns", "", f"confirmed pattern {entry.name}: fewer than two of its "
                                        "works are in the collection (not shown)", str(path), entry.line, "warning"))
    return out


def slugify(name: str) -> str:
    """'Boats under sail!' -> 'boats-under-sail': lower case, runs of anything but letters and digits
    become one '-' (letters of any script are kept; atlas.site.urls encodes them)."""
    return re.sub(r"[\W_]+", "-", name.casefold()).strip("-")


def unique_slugs(names: list[str], taken: set[str] = frozenset()) -> list[str]:
    """One slug per name, in order: a slug already taken (an earlier entry, or `taken`) gets -2, -3, ...
    A slug of digits alone is prefixed 'pattern-' so it never looks like a proposed pattern's number.
    An entry added later never changes the slug of one before it."""
    used, out = set(taken), []
    for name in names:
        base = slugify(name) or "pattern"
        base = f"pattern-{base}" if base.isdigit() else base
        slug, n = base, 1
        while slug in used:
            n += 1
            slug = f"{base}-{n}"
        used.add(slug)
        out.append(slug)
    return out


def connection_pairs(patterns: list[CuratedPattern]) -> list[tuple[str, str]]:
    """Every two works of each confirmed pattern, as (smaller id, larger id), sorted, without repeats."""
    pairs = {tuple(sorted((a, b))) for p in patterns for i, a in enumerate(p.members) for b in p.members[i + 1:]}
    return sorted(pairs)
