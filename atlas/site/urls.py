"""Every page URL and every output path of the site is built here, and only here.

Page URLs come from the work's own id through a reversible encoding (datasette's tilde-encoding), never
from titles or row numbers, so a teacher's link to /work/S0001/ survives any rebuild. The encoding
keeps A-Z a-z 0-9 _ - and writes every other UTF-8 byte as ~XX, so '/' '..' spaces, unicode and HTML
in ids can never make a path that escapes the output folder or collides with another id; a segment
never holds a dot, so it never ends in a dot or a space either.

A segment must also exist on every host a site is copied to, so slug() adds two rules, each of which
leaves every ordinary id as it was (S0001, Chinese, Print keep their URLs):
  * a Windows device name (CON, PRN, AUX, NUL, COM0-9, LPT0-9, any case) gets its first letter
    tilde-encoded too ('CON' -> '~43ON', still reversible by unslug);
  * a segment over MAX_SEGMENT bytes is cut and ends in '~~' + 12 hex digits of the full key's SHA-256
    (so every file name, suffix included, stays within 120 bytes). Tilde-encoding writes '~' only before
    two upper-case hex digits, so such a segment can never equal the encoding of another key.
Two keys differing only in case ('Ab1', 'aB1') would share a folder on macOS and Windows. That cannot be
decided one key at a time without changing the ordinary ones, so PathNames decides it per build, over
all the keys of one kind: a key keeps its plain segment unless its case-folded form is already taken,
in which case it gets the '~~' hash suffix. Who keeps the plain one is stable: segments recorded in the
URL ledger first, then keys published before, then the rest in sorted order. Every segment that is not
the plain encoding is recorded in the ledger (atlas.site.ledger) and in data/path_names.json, which
the pair viewer reads, so a URL never changes between builds and the scripts build the same paths.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
MAX_SEGMENT = 100  # bytes of one segment; with ".json" or ".jpg" after it a file name stays within MAX_COMPONENT
MAX_COMPONENT = 120  # bytes of any file or folder name the site writes
HASH_MARK = "~~"  # starts the hash suffix; never produced by tilde-encoding
HASH_DIGITS = 12  # hex digits of SHA-256 in a suffix: 48 bits, and more are taken if ever needed
DEVICE_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"{name}{n}" for name in ("COM", "LPT") for n in range(10)]
)
SEGMENT = re.compile(rf"^[A-Za-z0-9_~-]{{1,{MAX_SEGMENT}}}$")  # what a recorded segment may be (ledger check)
_PLAIN = re.compile(r"[A-Za-z0-9_-]+")  # a key that encodes to itself (most ids and group names)

# Each kind of page -> its path relative to the site root. Keys are filled with slug(key).
PAGE_PATTERNS = {
    "home": "",
    "work": "work/{slug}/",
    "culture": "culture/{slug}/",
    "medium": "medium/{slug}/",
    "cultures": "culture/",
    "media": "medium/",
    "chord": "chord/",
    "search": "search/",
    "map": "map/",
    "about": "about/",
    "model": "model/",
    "patterns": "pattern/",
    "pattern": "pattern/{slug}/",
    "surprises": "surprises/",
    "report": "report/",
    "pair": "pair/{slug}/{slug_b}/",  # key = (query work id, analogy work id), in the analogy's direction
    "pair_viewer": "pair/",  # one static page that shows any other pair: pair/?a=<id>&b=<id>
    "pairings": "pairings/",  # index of the curated pairings
    "journey": "journey/",  # one static page that finds any journey: journey/?from=<id>&to=<id>[&via=field:group,...]
    "journey_page": "journey/{slug}/{slug_b}/",  # a pre-rendered journey (no script needed)
    "worksheet": "worksheet/",  # the teacher's worksheet, kept in the browser
    "downloads": "data/",  # the whole-collection downloads and the README of their columns
    "404": "404.html",
    "sitemap": "sitemap.xml",
}


def encode(key: str) -> str:
    """Tilde-encode a text: A-Z a-z 0-9 _ - kept, every other UTF-8 byte written ~XX. Reversible: see unslug.
    Used alone for what is not a file name (the fragment of a condition row, search shard names)."""
    if not key:
        raise ValueError("an empty id has no URL")
    if key.isascii() and _PLAIN.fullmatch(key):  # the common case, without a generator per byte (250k calls at 10k works)
        return key
    return "".join(chr(b) if b in _SAFE else f"~{b:02X}" for b in key.encode("utf-8"))


@functools.lru_cache(maxsize=1 << 17)
def slug(key: str) -> str:
    """The path segment of an id (or group name) on its own: encode(key), a device name's first letter
    encoded too, bounded to MAX_SEGMENT bytes (see the module docstring). Collisions in case are
    PathNames' job. Made once per key while it is among the last 131,072 (a pure function of the key: a work's
    segment is asked for ~20 times per build, 200,000 calls at 10,000 works)."""
    encoded = encode(key)
    if encoded.upper() in DEVICE_NAMES:
        encoded = f"~{ord(encoded[0]):02X}{encoded[1:]}"
    return encoded if len(encoded) <= MAX_SEGMENT else hashed(key)


def hashed(key: str, digits: int = HASH_DIGITS) -> str:
    """The key's encoding cut to fit, then '~~' and `digits` hex digits of its SHA-256 (lower case, so two
    suffixes that differ still differ on a case-insensitive file system)."""
    suffix = HASH_MARK + hashlib.sha256(key.encode("utf-8")).hexdigest()[:digits]
    head = encode(key)[: MAX_SEGMENT - len(suffix)]
    tilde = head.rfind("~", max(0, len(head) - 2))
    if tilde >= 0 and tilde + 3 > len(head):  # never cut a ~XX in half
        head = head[:tilde]
    return head + suffix


def portable(path: str) -> bool:
    """Whether every component of a site-relative path can exist on Linux, macOS and Windows alike:
    at most MAX_COMPONENT bytes, not a device name (before any suffix), not ending in a dot or a space."""
    for part in path.strip("/").split("/"):
        stem = part.split(".", 1)[0]
        if len(part.encode("utf-8")) > MAX_COMPONENT or stem.upper() in DEVICE_NAMES or part.endswith((".", " ")):
            return False
    return True


def unslug(encoded: str) -> str:
    """Invert encode() and slug() ('~2F' -> '/'); ValueError for a hashed segment (its key is in PathNames)."""
    if HASH_MARK in encoded:
        raise ValueError(f"a hashed segment is not reversible: {encoded!r}")
    out = bytearray()
    i = 0
    while i < len(encoded):
        if encoded[i] == "~":
            out.append(int(encoded[i + 1 : i + 3], 16))
            i += 3
        else:
            out.append(ord(encoded[i]))
            i += 1
    return out.decode("utf-8")


# The key space of each kind of page: two keys need different segments only within one space.
KIND_SPACE = {"work": "work", "pair": "work", "journey_page": "work", "culture": "culture", "medium": "medium", "pattern": "pattern"}
SPACES = ("work", "culture", "medium", "pattern")


@dataclass(frozen=True)
class PathNames:
    """The path segment of every key of one build, by space ('work', 'culture', 'medium', 'pattern').

    Only the exceptions are kept (`special`: space -> key -> segment, every key whose segment is not
    encode(key)); any other key's segment is slug(key). Made by plan_paths; an empty PathNames gives the
    plain segments (what the module-level functions below use)."""

    special: dict[str, dict[str, str]] = field(default_factory=dict)

    def segment(self, space: str, key: str) -> str:
        return self.special.get(space, {}).get(key) or slug(key)

    def page_path(self, kind: str, key: str | tuple[str, str] | None = None) -> str:
        """Path of a page relative to the site root, as used in URLs ('work/S0001/', 'pair/S0001/S0002/')."""
        pattern = PAGE_PATTERNS[kind]
        if "{slug_b}" in pattern:
            if not isinstance(key, tuple) or len(key) != 2:
                raise ValueError(f"a {kind} page needs a pair of ids")
            space = KIND_SPACE[kind]
            return pattern.format(slug=self.segment(space, key[0]), slug_b=self.segment(space, key[1]))
        if "{slug}" in pattern:
            if key is None or isinstance(key, tuple):
                raise ValueError(f"a {kind} page needs a key")
            return pattern.format(slug=self.segment(KIND_SPACE[kind], key))
        return pattern

    def page_file(self, kind: str, key: str | tuple[str, str] | None = None) -> str:
        """File that holds a page, relative to the site root ('work/S0001/index.html')."""
        path = self.page_path(kind, key)
        return path + "index.html" if path == "" or path.endswith("/") else path

    def culture_pair_path(self, a: str, b: str) -> str:
        """Page of the closest works between two cultures: chord/<a>/<b>/, names sorted (one page per pair)."""
        first, second = sorted((a, b))
        return f"chord/{self.segment('culture', first)}/{self.segment('culture', second)}/"

    def pair_card_path(self, a: str, b: str) -> str:
        """The Open Graph / Twitter card image of a pre-rendered pair, beside its page."""
        return self.page_path("pair", (a, b)) + "card.jpg"

    def thumb_path(self, size: int, key: str) -> str:
        return f"thumbs/{size}/{self.segment('work', key)}.jpg"

    def larger_path(self, key: str) -> str:
        """The larger view of a work's image (atlas.ingest.larger_images), when it has one."""
        return f"larger/{self.segment('work', key)}.jpg"

    def iiif_manifest_path(self, key: str) -> str:
        """A work's IIIF Presentation 3 manifest (atlas.site.iiif_out)."""
        return MANIFEST_PATTERN.format(segment=self.segment("work", key))

    def work_data_path(self, key: str, in_manifest: bool) -> str:
        """The one file that holds a work's JSON record: see `work_data_pattern`."""
        return work_data_pattern(in_manifest).format(segment=self.segment("work", key))

    def iiif_image_path(self, key: str) -> str:
        """A work's static IIIF level-0 image service (its deep-zoom tiles); info.json lies inside."""
        return f"iiif/{self.segment('work', key)}/image"

    def iiif_collection_path(self, space: str | None = None, key: str | None = None) -> str:
        """The IIIF Collection of the whole atlas, or of one culture / medium group. A segment never holds a
        dot, so neither 'collection.json' nor 'culture.collections' can be a work's folder in iiif/, in any case."""
        if space is None:
            return "iiif/collection.json"
        return f"iiif/{space}.collections/{self.segment(space, key)}.json"

    def parse_page_path(self, path: str) -> tuple[str, str | tuple[str, str] | None] | None:
        """Invert page_path: 'pair/S0001/S0002/' -> ('pair', ('S0001', 'S0002')); None for no known page."""
        return parse_page_path(path, self.special)


def plan_paths(keys: dict[str, Iterable[str]], recorded: dict[str, dict[str, str]] | None = None,
               published: dict[str, set[str]] | None = None) -> PathNames:
    """Give every key of every space a segment no other key of its space shares, case-insensitively.

    `recorded` are the segments the URL ledger holds (they are kept), `published` the keys earlier builds
    published at their plain segment (they keep it); the other keys follow in sorted order, and a key
    whose segment is already taken, in any case, gets the hash suffix instead (see the module docstring)."""
    recorded, published = recorded or {}, published or {}
    special: dict[str, dict[str, str]] = {}
    for space, values in keys.items():
        wanted = sorted(set(values))
        taken: set[str] = set()  # segments given, lower-cased (segments are ASCII)
        chosen: dict[str, str] = {}
        old = recorded.get(space, {})
        for key in wanted:
            segment = old.get(key, "")
            if SEGMENT.match(segment) and segment.lower() not in taken:
                chosen[key] = segment
                taken.add(segment.lower())
        before = published.get(space, set())
        for key in [k for k in wanted if k not in chosen and k in before] + [k for k in wanted if k not in chosen and k not in before]:
            segment, digits = slug(key), HASH_DIGITS
            while segment.lower() in taken:
                segment, digits = hashed(key, digits), digits + 4
            chosen[key] = segment
            taken.add(segment.lower())
        special[space] = {k: v for k, v in chosen.items() if v != encode(k)}
    return PathNames({space: names for space, names in special.items() if names})


def published_keys(pages: Iterable[str], recorded: dict[str, dict[str, str]] | None = None) -> dict[str, set[str]]:
    """Keys of each space that the ledger's page paths show, for plan_paths' `published`."""
    out: dict[str, set[str]] = {space: set() for space in SPACES}
    for path in pages:
        parsed = parse_page_path(path, recorded)
        if parsed and parsed[0] in KIND_SPACE:
            kind, key = parsed
            out[KIND_SPACE[kind]].update(key if isinstance(key, tuple) else (key,))
    return out


PLAIN = PathNames()  # no exceptions: the segment of a key is slug(key)


def page_path(kind: str, key: str | tuple[str, str] | None = None) -> str:
    """PathNames.page_path without exceptions; pages use their context's PathNames (SiteContext.paths)."""
    return PLAIN.page_path(kind, key)


def page_file(kind: str, key: str | tuple[str, str] | None = None) -> str:
    return PLAIN.page_file(kind, key)


def culture_pair_path(a: str, b: str) -> str:
    return PLAIN.culture_pair_path(a, b)


_PAGE_REGEXES = {kind: re.compile("^" + re.escape(pattern).replace(r"\{slug\}", "([^/]+)").replace(r"\{slug_b\}", "([^/]+)") + "$")
                 for kind, pattern in PAGE_PATTERNS.items()}  # made once: 10,500 paths are parsed per build at 10k works


def parse_page_path(path: str, recorded: dict[str, dict[str, str]] | None = None) -> tuple[str, str | tuple[str, str] | None] | None:
    """Invert page_path: 'pair/S0001/S0002/' -> ('pair', ('S0001', 'S0002')); None for no known page.

    The URL ledger stores site-relative paths; this tells a path that vanished what it used to show.
    `recorded` (space -> key -> segment, the ledger's names) inverts the segments unslug cannot."""
    for kind, regex in _PAGE_REGEXES.items():
        match = regex.match(path)
        if match:
            inverse = {v: k for k, v in (recorded or {}).get(KIND_SPACE.get(kind, ""), {}).items()}
            try:
                keys = tuple(inverse.get(g) or unslug(g) for g in match.groups())
            except (ValueError, IndexError, UnicodeDecodeError):
                return None
            return kind, (keys if len(keys) == 2 else keys[0] if keys else None)
    return None


def condition_anchor(field: str, group: str) -> str:
    """Fragment id of one condition row on an artwork page ('culture-Chinese'): work/S0001/#culture-Chinese.

    Built only from the field and the group's name (plain encoding: a fragment is no file name), so a
    deep link survives every rebuild; the pair viewer's script builds the same."""
    return f"{field}-{encode(group)}"


def pair_card_path(a: str, b: str) -> str:
    return PLAIN.pair_card_path(a, b)


def ledger_path() -> str:
    """The URL ledger travels inside the published site, so the next build finds it."""
    return "_atlas/ledger.json"


def path_names_path() -> str:
    """id -> segment of the works whose segment is not the plain encoding, for the pair viewer's script;
    written only when there are such works."""
    return "data/path_names.json"


def thumb_path(size: int, key: str) -> str:
    return PLAIN.thumb_path(size, key)


def work_data_path(key: str, in_manifest: bool = True) -> str:
    """A work's data file with the plain segment (see `work_data_pattern`); manifests are on by default."""
    return PLAIN.work_data_path(key, in_manifest)


WORK_JSON_PATTERN = "data/work/{segment}.json"  # a work's record alone (iiif.manifests: false)
MANIFEST_PATTERN = "iiif/{segment}/manifest.json"  # a work's IIIF manifest, its record under "atlas"


def work_data_pattern(in_manifest: bool) -> str:
    """Where a work's JSON record (atlas.site.work_json) is published, as a path with `{segment}`: inside its
    IIIF manifest when manifests are published (iiif.manifests, the default), so a work has one data file
    (issue 20), else data/work/<segment>.json. The one place this is decided: the pages, the downloads links,
    the manifests and the front end's reader (assets/work_data.js, given this pattern) all follow it."""
    return MANIFEST_PATTERN if in_manifest else WORK_JSON_PATTERN


def asset_path(name: str) -> str:
    return f"assets/{name}"


def join_url(base_url: str, path: str) -> str:
    """base_url ('/' or '/atlas/') + a site-relative path."""
    return base_url + path.lstrip("/")


def safe_join(root: Path, relative: str) -> Path:
    """root / relative, refusing anything that would land outside root (defence in depth)."""
    rel = PurePosixPath(relative)
    if rel.is_absolute() or ".." in rel.parts:
        raise ValueError(f"refusing to write outside the output folder: {relative!r}")
    target = (root / rel).resolve()
    if not target.is_relative_to(root.resolve()):
        raise ValueError(f"refusing to write outside the output folder: {relative!r}")
    return target
