"""The URL ledger: every page URL the site has ever published, so that no link a teacher pasted breaks.

The ledger lives inside the published site (`_atlas/ledger.json`, see atlas.site.urls.ledger_path), so it
travels with the output from build to build. Each build reads the previous one before writing, adds
every page it publishes now, and never drops an entry. It also records every path segment that is not
the plain encoding of its key (`names`: a device name, a cut long id, an id that differs from another only
in case; see atlas.site.urls), so the next build gives each key the same segment and its URL stays. For each work it keeps the last caption it was
published with and its closest analogies, so that when the work leaves the collection its old URL can
still say what it was and where to look instead (atlas.site.pair_pages renders those notices).

Renamed ids come from a mapping file (site.yaml `id_renames`): a YAML mapping or a two-column CSV
(old,new). Chains (A -> B, B -> C) are followed to the end; a cycle is a configuration error.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from atlas.core import yamlsafe
from atlas.core.exits import DamagedSite
from atlas.site import urls
from atlas.site.writer import previous_path

LEDGER_FORMAT = 1
CAPTION_FIELDS = ("title", "artist", "date", "culture", "medium", "culture_raw", "medium_raw")
KEPT_ANALOGIES = 8  # closest works remembered per work, to link from its notice page if it leaves


@dataclass
class Ledger:
    """Published page paths (site-relative, 'work/S0001/') and the last known caption of every work."""

    pages: set[str] = field(default_factory=set)
    works: dict[str, dict] = field(default_factory=dict)  # id -> caption fields + "analogies": [ids]
    names: dict[str, dict[str, str]] = field(default_factory=dict)  # space -> key -> segment (urls.PathNames)

    @classmethod
    def load(cls, output_dir: Path) -> Ledger:
        """The ledger of the site published in output_dir (or of a swap interrupted halfway); empty if none.

        An unreadable or corrupt ledger stops the build (DamagedSite, naming the file) rather than being
        read as empty: the build would then publish a new ledger without the old URLs, and their redirects
        and notice pages would be gone for good, silently. Restoring the file, or deleting it on purpose to
        start a new ledger, is the user's choice."""
        for folder in (output_dir, previous_path(output_dir)):
            path = folder / urls.ledger_path()
            if path.is_file():
                return cls._read(path)
        return cls()

    @classmethod
    def _read(cls, path: Path) -> Ledger:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("format") != LEDGER_FORMAT:
                found = data.get("format") if isinstance(data, dict) else type(data).__name__
                raise ValueError(f"URL ledger format {found!r} is not {LEDGER_FORMAT}")
            ledger = cls(set(data["pages"]), dict(data["works"]), _checked_names(data.get("names", {})))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DamagedSite(
                f"{path}: the URL ledger is unreadable or corrupt ({_reason(exc)}). Restore it "
                "from a copy of the site, or delete it to start a new ledger (the old URLs would then break)"
            ) from exc
        if not all(isinstance(p, str) for p in ledger.pages):
            raise DamagedSite(f"{path}: the URL ledger is corrupt (a page that is not a path)")
        return ledger

    def merged(self, pages: set[str], works: dict[str, dict], names: dict[str, dict[str, str]] | None = None) -> Ledger:
        """This ledger plus what a new build published; current captions and segments replace older ones."""
        spaces = set(self.names) | set(names or {})
        merged = {s: {**self.names.get(s, {}), **(names or {}).get(s, {})} for s in sorted(spaces)}
        return Ledger(self.pages | pages, {**self.works, **works}, {s: n for s, n in merged.items() if n})

    def plan_paths(self, keys: dict[str, list[str]]) -> urls.PathNames:
        """The segments of this build's keys (urls.plan_paths), keeping what this ledger published: its
        recorded segments, and the plain segment of every key it published without one."""
        published = urls.published_keys(self.pages, self.names)
        published["work"] |= set(self.works)
        return urls.plan_paths(keys, self.names, published)

    def to_json(self) -> bytes:
        """The ledger as JSON with its keys sorted, one page and one work per line (a rebuild's diff shows the
        works that changed). Each line is encoded on its own: json's `indent=` makes it use its pure-Python
        encoder, 0.2 s of every rebuild at 10,000 works."""
        parts = [f'"format": {LEDGER_FORMAT}']
        if self.names:  # only when there are exceptions: a ledger without them reads as before
            parts.append('"names": ' + _dumps(self.names))
        parts.append('"pages": ' + _block("[]", [_dumps(page) for page in sorted(self.pages)]))
        parts.append('"works": ' + _block("{}", [f"{_dumps(w)}: {_dumps(self.works[w])}" for w in sorted(self.works)]))
        return ("{\n" + ",\n".join(parts) + "\n}\n").encode("utf-8")


def _block(brackets: str, lines: list[str]) -> str:
    """A JSON array or object of already encoded `lines`, one to a line."""
    return brackets[0] + "\n" + ",\n".join(lines) + "\n" + brackets[1] if lines else brackets


def _dumps(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _checked_names(data) -> dict[str, dict[str, str]]:
    """The ledger's recorded segments, keeping only well-formed ones: a damaged or edited ledger must never
    make a path ('../x', a device name) that slug() would not."""
    if not isinstance(data, dict):
        return {}
    out = {}
    for space, names in data.items():
        if space in urls.SPACES and isinstance(names, dict):
            kept = {k: v for k, v in names.items() if isinstance(k, str) and k and isinstance(v, str)
                    and urls.SEGMENT.match(v) and urls.portable(v + ".json")}
            if kept:
                out[space] = kept
    return out


def _reason(exc: Exception) -> str:
    """Why the ledger could not be read, in a few words."""
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    if isinstance(exc, KeyError):
        return f"no {exc.args[0]!r} entry"
    return str(exc) or type(exc).__name__


def work_entry(view: dict, firsts: Iterable[tuple[str, float]]) -> dict:
    """What the ledger remembers of a published work: its caption and its closest analogies, best first, from
    its closest analogy in each group, (other, score) (atlas.analysis.analogy_table.first_analogies)."""
    ranked = sorted((-score, other) for other, score in firsts)
    closest: list[str] = []
    for _, other in ranked:
        if other not in closest:
            closest.append(other)
    entry = {k: view.get(k) or "" for k in CAPTION_FIELDS}
    entry["analogies"] = closest[:KEPT_ANALOGIES]
    return entry


def page_paths(written: set[str]) -> set[str]:
    """Site-relative URLs of the HTML pages among the files a build wrote ('work/S0001/index.html' -> 'work/S0001/')."""
    return {p[: -len("index.html")] for p in written if p == "index.html" or p.endswith("/index.html")}


def load_renames(path: Path) -> dict[str, str]:
    """{old id: current id} from a YAML mapping or a CSV with two columns (old, new; a header row is allowed)."""
    if not path.is_file():
        raise FileNotFoundError(f"id_renames file not found: {path}")
    if path.suffix.lower() == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = [r for r in csv.reader(fh) if r and any(c.strip() for c in r)]
        if rows and [c.strip().lower() for c in rows[0][:2]] == ["old", "new"]:
            rows = rows[1:]
        bad = [r for r in rows if len(r) < 2 or not r[0].strip() or not r[1].strip()]
        if bad:
            raise ValueError(f"{path}: every row needs an old and a new id; first bad row: {bad[0]!r}")
        raw = {r[0].strip(): r[1].strip() for r in rows}
    else:
        data = yamlsafe.load_file(path) or {}  # aliases bounded: an alias bomb is refused at once, naming the file
        if not isinstance(data, dict):
            raise ValueError(f"{path}: id_renames must be a mapping of old id: new id")
        raw = {str(k): str(v) for k, v in data.items()}
    return resolve_chains(raw, path)


def resolve_chains(raw: dict[str, str], path: Path | str = "id_renames") -> dict[str, str]:
    """Follow A -> B -> C to A -> C, so an old link goes straight to the current page."""
    out = {}
    for old, new in raw.items():
        seen, current = {old}, new
        while current in raw:
            if current in seen:
                raise ValueError(f"{path}: id renames form a cycle through {current!r}")
            seen.add(current)
            current = raw[current]
        if current != old:
            out[old] = current
    return out
