"""IIIF documents found from `collection.path`: the manifests of a Collection tree, each read once.

`collection.path` is a IIIF Collection or Manifest as a local file, a folder of such files (read
recursively, in sorted order), or an http(s) URL. Collections are followed into their manifests and
sub-collections (Presentation 3 `items`; 2.1 `manifests`, `collections` and `members`), at most
collection.iiif_depth levels deep; a collection that includes itself, directly or further down, is cut
with a Problem. A referenced document is taken from the local files when one of them has that id (a
folder holding a collection and its manifests needs no network), else fetched. Each manifest is yielded
once, however many collections list it. Nothing here raises for a bad document: a broken file, a
document that is neither a Manifest nor a Collection, an unreachable reference each become a Problem.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from atlas.core.records import Problem
from atlas.ingest.fetch import Fetcher


@dataclass(frozen=True)
class Manifest:
    """One manifest to read, with where it came from (a file path as configured, or a URL)."""

    data: dict
    source: str
    local_name: str = ""  # the file's path inside the configured folder, without .json ("" for URLs)


@dataclass
class _Walk:
    depth_limit: int
    local: dict[str, tuple[dict, str, str]]  # document id -> (document, source, local name)
    fetcher: Fetcher | None
    problems: list[Problem] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)


def is_url(path: str) -> bool:
    return path.lower().startswith(("http://", "https://"))


def doc_type(doc: dict) -> str:
    """"Manifest", "Collection", ... for both versions ("sc:Manifest" in 2.1)."""
    value = doc.get("type") or doc.get("@type") or ""
    value = value[0] if isinstance(value, list) and value else value
    return str(value).rsplit(":", 1)[-1]


def doc_id(doc: dict) -> str:
    value = doc.get("id") or doc.get("@id") or ""
    return value if isinstance(value, str) else ""


def find_manifests(path: str, base_dir: Path, depth_limit: int, fetcher: Fetcher | None,
                   problems: list[Problem]) -> Iterator[Manifest]:
    """Every manifest reachable from `path` (relative to `base_dir`), each once, in a stable order."""
    roots: list[tuple[dict, str, str]] = []
    if is_url(path):
        doc = _fetch(path, fetcher, problems, path)
        roots = [(doc, path, "")] if doc is not None else []
    else:
        roots = _local_documents(path, base_dir, problems)
    walk = _Walk(depth_limit, {doc_id(d): (d, s, n) for d, s, n in roots if doc_id(d)}, fetcher, problems)
    for doc, source, name in roots:
        yield from _visit(walk, doc, source, name, 0, ())


def _local_documents(path: str, base_dir: Path, problems: list[Problem]) -> list[tuple[dict, str, str]]:
    target = Path(path).expanduser()
    target = target if target.is_absolute() else base_dir / target
    if target.is_dir():
        files = sorted(p for p in target.rglob("*.json") if p.is_file())
        named = [(f, str(f.relative_to(target).with_suffix("")).replace("\\", "/")) for f in files]
    elif target.is_file():
        named = [(target, target.stem)]
    else:
        raise FileNotFoundError(f"IIIF collection not found: {target} (collection.path: '{path}', relative to {base_dir})")
    found = []
    for file, name in named:
        shown = str(Path(path) / name) + ".json" if target.is_dir() else path
        doc = _parse_file(file, shown, problems)
        if doc is not None:
            found.append((doc, shown, name))
    return found


def _parse_file(file: Path, shown: str, problems: list[Problem]) -> dict | None:
    try:
        doc = json.loads(file.read_bytes().decode("utf-8-sig"))
    except OSError as exc:
        problems.append(Problem("read", "", f"cannot read: {exc.strerror}", shown))
        return None
    except (ValueError, UnicodeDecodeError) as exc:
        problems.append(Problem("read", "", f"not valid JSON: {str(exc)[:160]}", shown))
        return None
    return _an_object(doc, shown, problems)


def _fetch(url: str, fetcher: Fetcher | None, problems: list[Problem], where: str) -> dict | None:
    if fetcher is None:
        problems.append(Problem("read", "", f"{url} is remote and no fetcher was given", where))
        return None
    doc, error = fetcher.get_json(url)
    if doc is None:
        problems.append(Problem("read", "", f"cannot fetch the IIIF document: {error}", where))
        return None
    return _an_object(doc, url, problems)


def _an_object(doc: object, shown: str, problems: list[Problem]) -> dict | None:
    """The parsed document when it is a JSON object (every IIIF document is), else a problem naming `shown`."""
    if not isinstance(doc, dict):
        problems.append(Problem("read", "", f"not a IIIF document: a JSON {type(doc).__name__}, not an object", shown))
        return None
    return doc


def _visit(walk: _Walk, doc: dict, source: str, name: str, depth: int, trail: tuple[str, ...]) -> Iterator[Manifest]:
    kind, ident = doc_type(doc), doc_id(doc)
    key = ident if is_url(ident) else f"{source}#{ident}"  # templated or missing ids are not identities
    if kind == "Manifest":
        if key not in walk.seen:
            walk.seen.add(key)
            yield Manifest(doc, source, name)
    elif kind == "Collection":
        if key in trail:
            walk.problems.append(Problem("read", "", f"collection {ident} includes itself (a cycle): not followed "
                                         "again", source))
        elif key not in walk.seen:
            walk.seen.add(key)
            yield from _children(walk, doc, source, depth, (*trail, key))
    else:
        shown = kind or "no type"
        walk.problems.append(Problem("read", "", f"not a IIIF Manifest or Collection ({shown}): nothing to read", source))


def _children(walk: _Walk, collection: dict, source: str, depth: int, trail: tuple[str, ...]) -> Iterator[Manifest]:
    members = _members(collection)
    remote = [doc_id(m) for m in members if not _is_embedded(m) and doc_id(m) not in walk.local
              and is_url(doc_id(m)) and doc_id(m) not in trail
              and not (doc_type(m) == "Collection" and depth + 1 > walk.depth_limit)]
    if walk.fetcher is not None and len(remote) > 1:
        walk.fetcher.get_many(remote, "json", "IIIF documents")  # concurrently; read back in order below
    for child in members:
        ident = doc_id(child)
        if ident and ident in trail:
            walk.problems.append(Problem("read", "", f"collection {ident} includes itself (a cycle): not followed "
                                         "again", source))
            continue
        if doc_type(child) == "Collection" and depth + 1 > walk.depth_limit:
            walk.problems.append(Problem("read", "", f"collection {ident} is nested more than collection.iiif_depth "
                                         f"({walk.depth_limit}) levels deep: not followed", source))
            continue
        if _is_embedded(child):
            yield from _visit(walk, child, source, "", depth + 1, trail)
        elif ident in walk.local:
            doc, child_source, name = walk.local[ident]
            yield from _visit(walk, doc, child_source, name, depth + 1, trail)
        elif is_url(ident):
            doc = _fetch(ident, walk.fetcher, walk.problems, source)
            if doc is not None:
                yield from _visit(walk, doc, ident, "", depth + 1, trail)
        else:
            walk.problems.append(Problem("read", "", f"lists '{ident or 'a member without id'}', which is neither a "
                                         "local document nor an http(s) URL", source))


def _members(collection: dict) -> list[dict]:
    """The collection's manifests and sub-collections, both versions, in document order."""
    found = []
    for key in ("items", "collections", "manifests", "members"):
        value = collection.get(key)
        if isinstance(value, list):
            found += [m for m in value if isinstance(m, dict) and doc_type(m) in ("Manifest", "Collection")]
    return found


def _is_embedded(child: dict) -> bool:
    """Whether a listed member carries its own content (else it is a reference to fetch)."""
    if doc_type(child) == "Manifest":
        return any(child.get(k) for k in ("items", "sequences"))
    return any(child.get(k) for k in ("items", "collections", "manifests", "members"))
