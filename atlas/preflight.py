"""The whole configuration checked before any heavy work, and before anything is written.

A build reads a collection, embeds thousands of images and only then renders; a typo in a regex, a
missing pairings file or an output folder that would swallow the images must not wait an hour to show,
and must never cost the user a file. `check_config` looks at every key that names a file or a limit,
reads the small files (pairings, id renames) and compiles the label rules, and returns every problem at
once: errors (the build refuses to start) and warnings (the build goes on; `build --strict` and
`check --strict` refuse). It writes nothing and reads no table row or image.

The output folder: publishing replaces the output folder whole (atlas.site.writer), so whatever lies
in it is gone. The rule "refuse output that is, contains or lies inside the config folder, the table,
the image folder or the cache, or is /, the home folder or the current folder" is applied like this:

  * output equal to, or an ancestor of, any input is refused: the config folder (so site.yaml itself),
    the collection table (for `sample`: the folder it is generated into), the image folder, the cache,
    the pairings and id-rename files and the theme's templates and stylesheets;
  * output inside an input folder is refused (inside the image folder, the cache, the sample folder),
    except inside the config folder: the default layout (site.yaml beside build/site and build/cache)
    puts the output there, and that is safe as long as the output holds no input, which the first rule
    guarantees. The same exception covers an image folder or cache that is the config folder itself or
    one of its ancestors (`image_folder: .`, images beside site.yaml): such a folder is a project
    folder, not one the build could be confused about;
  * output equal to, or an ancestor of, `/`, the home folder or the current folder is refused;
  * the cache must not be the output or inside it (the first rule, seen from the cache).

Paths are compared with symlinks resolved, so a symlinked output is judged by the folder it points to;
the symlink itself is neither followed for writing nor changed here.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from atlas.core.config import ConfigError, SiteConfig
from atlas.core.pairings_file import read_pairings_file
from atlas.core.patterns_file import read_patterns_file
from atlas.core.engine import ray_missing
from atlas.core.records import CONDITIONS as LABEL_FIELDS
from atlas.ingest.labels import REGEX_PREFIX, rule_key, rule_pattern
from atlas.ingest.readers import FIELDS as COLUMN_FIELDS
from atlas.site.ledger import load_renames
from atlas.site.writer import foreign_files

MAX_K = 1000  # neighbours.k and quality.k: pages list k works per group; see _check_limits
NEIGHBOUR_BYTES = 8  # one id (int32) and one score (float32) kept per neighbour, per work and group


class PreflightError(ConfigError):
    """The configuration cannot be built; str() is one line per problem, the first line summarising."""

    def __init__(self, problems: tuple[str, ...], summary: str):
        self.problems = problems
        lines = [problems[0]] if len(problems) == 1 else [summary, *(f"  {p}" for p in problems)]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Preflight:
    """What check_config found: errors stop a build, warnings are reported (and fail with --strict)."""

    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def raise_for_errors(self, strict: bool = False) -> None:
        """Raise PreflightError when there are errors, or with `strict` when there are warnings too."""
        if self.errors:
            raise PreflightError(self.errors, f"the configuration has {len(self.errors)} errors; nothing was built:")
        if strict and self.warnings:
            raise PreflightError(
                tuple(f"{w} (--strict: warnings are failures)" for w in self.warnings),
                f"--strict: the configuration has {len(self.warnings)} warnings; nothing was built:",
            )


@dataclass
class _Found:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check_config(config: SiteConfig) -> Preflight:
    """Every problem of `config` that can be known without reading the collection. Writes nothing."""
    found = _Found()
    _check_label_rules(config, found)
    _check_collection(config, found)
    _check_small_files(config, found)
    _check_theme(config, found)
    _check_output(config, found)
    _check_limits(config, found)
    _check_deep_zoom(config, found)
    if config.engine.kind == "ray" and (missing := ray_missing()):
        found.errors.append(missing)
    return Preflight(tuple(found.errors), tuple(found.warnings))


# -- label rules ------------------------------------------------------------------------------------
def _check_label_rules(config: SiteConfig, found: _Found) -> None:
    """Every regex compiles; an entry that an earlier group already has can never win, so it is a warning."""
    for name in LABEL_FIELDS:
        claimed: dict[tuple[str, str], str] = {}
        for group, entries in getattr(config.labels, name).rules.items():
            where = f"labels.{name}.rules.{group}"
            for entry in entries:
                entry = str(entry).strip()
                if entry.startswith(REGEX_PREFIX):
                    try:
                        rule_pattern(entry)
                    except re.error as exc:
                        found.errors.append(f"{where}: '{entry}' is not a valid regular expression: {exc}")
                        continue
                owner = claimed.setdefault(rule_key(entry), group)
                if owner != group:
                    found.warnings.append(f"{where}: '{entry}' is also a rule of the earlier group '{owner}', "
                                          "which wins (first matching group); this entry never matches")


# -- input files ------------------------------------------------------------------------------------
def _check_collection(config: SiteConfig, found: _Found) -> None:
    """The table is a readable file (for `sample`, its folder is not a file); the image folder is a folder."""
    cfg = config.collection
    table = config.resolve(cfg.path)
    if cfg.format == "sample":
        if table.exists() and not table.is_dir():
            found.errors.append(f"collection.path: {table} is a file; with format sample it is the folder the "
                                "sample is generated into")
    elif cfg.format == "iiif" and (_is_url(cfg.path) or table.is_dir()):
        pass  # a IIIF Collection's URL, or a folder of documents: read (and reported) by atlas.ingest.iiif
    elif not table.is_file():
        found.errors.append(f"collection.path: collection table not found: {table} ('{cfg.path}', relative to "
                            f"{config.root})")
    else:
        _check_readable(table, "collection.path", found)
    if cfg.image_folder:
        images = config.resolve(cfg.image_folder)
        if not images.is_dir():
            found.errors.append(f"collection.image_folder: image folder not found: {images} ('{cfg.image_folder}')")
    try:
        cfg.image_pattern.format(id="x")
    except (KeyError, IndexError, ValueError) as exc:
        found.errors.append(f"collection.image_pattern: '{cfg.image_pattern}' must use only {{id}}: {exc!r}")
    unknown = sorted(set(cfg.columns) - set(COLUMN_FIELDS))
    if unknown:
        found.errors.append(f"collection.columns: unknown field '{unknown[0]}'; fields are: {', '.join(COLUMN_FIELDS)}")


def _is_url(path: str) -> bool:
    """A IIIF collection.path may be an http(s) URL: not a local input."""
    return path.lower().startswith(("http://", "https://", "http:/", "https:/"))


def _check_readable(path: Path, key: str, found: _Found) -> None:
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        found.errors.append(f"{key}: cannot read {path}: {exc.strerror}")


def _check_small_files(config: SiteConfig, found: _Found) -> None:
    """pairings.file and id_renames parse, and every pairing entry is well formed (ids are checked later,
    against the collection, by the build)."""
    if config.pairings.file:
        try:
            _, problems = read_pairings_file(config.resolve(config.pairings.file), config.pairings.file)
        except (OSError, ValueError) as exc:
            found.errors.append(f"pairings.file: {_one_line(exc)}")
        else:
            for p in problems:
                entry = f" ({p.record})" if p.record else ""
                found.errors.append(f"pairings.file: {p.file}, line {p.line}: entry{entry}: {p.reason}")
    if config.patterns.file:
        _check_patterns_file(config, found)
    if config.id_renames:
        try:
            load_renames(config.resolve(config.id_renames))
        except (OSError, ValueError) as exc:
            found.errors.append(f"id_renames: {_one_line(exc)}")
        except yaml.YAMLError as exc:
            found.errors.append(f"id_renames: {config.resolve(config.id_renames)}: not valid YAML: {_one_line(exc)}")


def _check_patterns_file(config: SiteConfig, found: _Found) -> None:
    """patterns.file is there and is a YAML list. A malformed entry or an unknown id is a warning the build
    reports itself (naming the file and line) and leaves out, so it is not repeated here."""
    try:
        read_patterns_file(config.resolve(config.patterns.file), config.patterns.file)
    except (OSError, ValueError) as exc:
        found.errors.append(f"patterns.file: {_one_line(exc)}")


def _check_theme(config: SiteConfig, found: _Found) -> None:
    """theme.templates is a folder and every theme.css a file, when the config has a theme at all."""
    for key, path, want_folder in _theme_paths(config):
        if want_folder and not path.is_dir():
            found.errors.append(f"{key}: template folder not found: {path}")
        elif not want_folder and not path.is_file():
            found.errors.append(f"{key}: stylesheet not found: {path}")


def _theme_paths(config: SiteConfig) -> list[tuple[str, Path, bool]]:
    """(key, path, is a folder) of the theme's overrides (theme.templates, theme.css)."""
    paths = []
    if config.theme.templates:
        paths.append(("theme.templates", config.resolve(config.theme.templates), True))
    for n, sheet in enumerate(config.theme.css):
        paths.append((f"theme.css[{n}]", config.resolve(sheet), False))
    return paths


# -- the output folder ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Input:
    """A path the build reads and must never replace."""

    what: str  # "the image folder (collection.image_folder)"
    path: Path  # resolved: symlinks followed
    may_hold_output: bool  # the config folder (or one of its ancestors): output may lie inside it


def _check_output(config: SiteConfig, found: _Found) -> None:
    """The output is a folder (or absent) that holds no input, lies in no data folder and is not /, ~ or .

    Everything wrong with the output is one line (one refusal, however many inputs it would swallow)."""
    output = _real(config.output_dir)
    shown = f"output {output}" + (f" ('{config.output}')" if str(output) != config.output else "")
    if config.output_dir.exists() and not output.is_dir():
        found.errors.append(f"{shown} exists and is not a folder")
    blocking = _file_above(output)
    if blocking is not None:
        found.errors.append(f"{shown} cannot be made: {blocking} is a file, not a folder")
    replaces, among = [], []  # what publishing would delete; data folders the output would sit inside
    for item in _inputs(config):
        if output == item.path:
            replaces.append(f"is {item.what}")
        elif _inside(item.path, output):
            replaces.append(f"contains {item.what} {item.path}")
        elif _inside(output, item.path) and not item.may_hold_output:
            among.append(f"lies inside {item.what} {item.path}")
    for what, place in _protected_places():
        if output == place:
            replaces.append(f"is {what}")
        elif _inside(place, output):
            replaces.append(f"contains {what} {place}")
    reasons = (["publishing replaces the output folder and everything in it"] if replaces else [])
    reasons += (["the build never writes among its inputs"] if among else [])
    if reasons:
        found.errors.append(f"{shown} {', '.join(replaces + among)}: refused, since {' and '.join(reasons)}")
    elif foreign_files(output):  # the user's own files, not an input this config names: still never replaced
        found.errors.append(f"{shown} holds files that atlas did not publish (it has no _atlas/ledger.json): "
                            "publishing replaces the whole folder, so atlas never publishes there; choose an "
                            "empty or new folder")
    cache = _real(config.cache_dir)
    if config.cache_dir.exists() and not cache.is_dir():
        found.errors.append(f"cache {cache} exists and is not a folder")


def _file_above(path: Path) -> Path | None:
    """The nearest existing ancestor of `path` when it is not a folder (the build could not make `path`)."""
    for ancestor in path.parents:
        if ancestor.exists():
            return None if ancestor.is_dir() else ancestor
    return None


def _inputs(config: SiteConfig) -> list[_Input]:
    """Everything the build reads, resolved, with whether the output may lie inside it."""
    root = _real(config.root)
    cfg = config.collection
    named = [
        ("the config folder (site.yaml's folder)", config.root),
        ("the sample collection folder (collection.path)" if cfg.format == "sample"
         else "the collection table (collection.path)", config.resolve(cfg.path)),
        ("the cache (cache)", config.cache_dir),
    ]
    if cfg.image_folder:
        named.append(("the image folder (collection.image_folder)", config.resolve(cfg.image_folder)))
    if config.pairings.file:
        named.append(("the pairings file (pairings.file)", config.resolve(config.pairings.file)))
    if config.id_renames:
        named.append(("the id renames file (id_renames)", config.resolve(config.id_renames)))
    named += [(f"the theme's {key}", path) for key, path, _ in _theme_paths(config)]
    named = [(what, path) for what, path in named if not _is_url(str(path))]
    inputs = []
    for what, path in named:
        real = _real(path)
        inputs.append(_Input(what, real, real == root or _inside(root, real)))
    return inputs


def _protected_places() -> list[tuple[str, Path]]:
    """/, the home folder and the current folder: never an output, nor inside one."""
    places = [("the root folder", Path("/")), ("the current folder", _real(Path.cwd()))]
    try:
        places.append(("the home folder", _real(Path.home())))
    except (RuntimeError, KeyError):  # no HOME and no password entry: nothing to protect by that name
        pass
    return places


def _one_line(exc: Exception) -> str:
    """A parser's message (YAML's spans lines) as one line, so each problem stays one line."""
    return " ".join(str(exc).split())


def _real(path: Path) -> Path:
    """`path` absolute with every symlink followed (the path itself need not exist)."""
    return Path(os.path.realpath(path))


def _inside(path: Path, folder: Path) -> bool:
    """Whether `path` lies strictly below `folder` (both resolved)."""
    return path != folder and path.is_relative_to(folder)


# -- limits -----------------------------------------------------------------------------------------
# key -> (smallest, largest or None, why the bound). Checked before reading so that a typo such as
# k: 1000000000 is one line now instead of a memory error an hour into the build.
LIMITS: dict[str, tuple[float, float | None, str]] = {
    "neighbours.k": (1, MAX_K, "pages show k analogies per work and per group"),
    "neighbours.block_size": (1, 65536, "the exact search holds block_size x group size scores at once"),
    "quality.k": (1, MAX_K, "the quality report searches k neighbours for every query"),
    "quality.queries": (1, None, "precision@k needs at least one query"),
    "quality.recall_queries": (0, None, "a count of queries"),
    "map.pca_dims": (2, None, "the map is a 2-D layout of these dimensions"),
    "patterns.pca_dims": (2, None, "patterns are clusters in at least two dimensions"),
    "embedding.batch_size": (1, 4096, "a batch is held in memory at once (4096 images at 1024 px is ~50 GB)"),
    "embedding.image_size": (32, 1024, "the networks need 32 px or more; above 1024 px memory grows with no gain"),
    "embedding.workers": (0, None, "a count of processes"),
    "render.workers": (0, None, "a count of processes (0 = one per core)"),
    "pairings.budget": (0, None, "0 means all; a count of pages"),
    "collection.limit": (0, None, "0 means all rows"),
    "thumbnails.quality": (1, 100, "JPEG quality runs from 1 to 100"),
    "heatmaps.size": (16, 4096, "the overlay is an image of this side in px"),
    "heatmaps.opacity": (0, 1, "a share of the colour"),
    "probes.test_size": (0.01, 0.99, "a share of the works held out"),
    "collection.iiif_depth": (0, 100, "levels of nested IIIF collections followed"),
    "fetch.per_host": (1, 64, "requests in flight to one museum's server; more is not polite"),
    "fetch.rate": (0, None, "requests per second per host (0 = no limit)"),
    "fetch.timeout": (0.1, 3600, "seconds to wait for a server"),
    "fetch.retries": (0, 20, "further tries of one request"),
    "fetch.max_retry_after": (0, 86400, "seconds"),
    "fetch.max_redirects": (0, 50, "redirects followed per request"),
    "fetch.max_bytes": (1, None, "bytes of one download"),
    "engine.actors": (0, None, "a count of actors (0 = one per GPU or worker CPU)"),
    "engine.cpus_per_worker": (0.01, None, "every Ray worker needs some CPU"),
    "engine.gpus_per_worker": (0, None, "a share of GPUs"),
    "engine.batch_size": (0, 4096, "a batch is held in memory at once (0 = embedding.batch_size)"),
    "engine.search_tasks": (0, None, "a count of tasks (0 = one per cluster CPU)"),
}
THUMBNAIL_SIZES = (16, 4096)  # px: smaller is not a picture, larger makes every page heavy for nothing


def _check_limits(config: SiteConfig, found: _Found) -> None:
    """Numbers from the config within what the machine and the pages can use, with the reason."""
    for key, (low, high, why) in LIMITS.items():
        section, name = key.split(".")
        value = getattr(getattr(config, section), name)
        if value < low or (high is not None and value > high):
            bounds = f"between {low:,} and {high:,}" if high is not None else f"{low:,} or more"
            found.errors.append(f"{key} is {value:,}; it must be {bounds}: {why}{_memory_note(key, value)}")
    low, high = THUMBNAIL_SIZES
    for size in config.thumbnails.sizes:
        if not low <= size <= high:
            found.errors.append(f"thumbnails.sizes has {size:,}; every size must be between {low} and {high:,} px")
    unused = sorted(set(config.thumbnails.sizes) - {min(config.thumbnails.sizes, default=0), max(config.thumbnails.sizes, default=0)})
    if unused:  # pages use the smallest (cards, map, search) and the largest (artwork and pair pages) only
        found.warnings.append(f"thumbnails.sizes has {', '.join(map(str, unused))} between its smallest and largest "
                              "sizes: no page uses them, so they are neither made nor published")
    cores = os.cpu_count() or 1
    for key in ("embedding.workers", "render.workers"):
        section, name = key.split(".")
        workers = getattr(getattr(config, section), name)
        if workers > 4 * cores:
            found.warnings.append(f"{key} is {workers}, but this machine has {cores} CPU cores: the extra "
                                  "processes only add memory")


def _check_deep_zoom(config: SiteConfig, found: _Found) -> None:
    """Deep zoom needs libvips (pyvips); say so before any image is read, not after the embeddings."""
    if not config.deep_zoom.enabled:
        return
    try:
        import pyvips  # noqa: F401  (heavy: only when deep zoom is on)
    except (ImportError, OSError) as exc:
        found.errors.append(f"deep_zoom.enabled: libvips cannot be loaded ({_one_line(exc)}); install it with "
                            "pip install 'pyvips[binary]', or set deep_zoom.enabled: false")


def _memory_note(key: str, value: float) -> str:
    """For k: what the neighbour lists alone would take, since the number of works is not known yet."""
    if key not in ("neighbours.k", "quality.k") or value <= MAX_K:
        return ""
    per_thousand = value * NEIGHBOUR_BYTES * 1000
    return f" (the lists alone would take {_size(per_thousand)} per 1,000 works and group)"


def _size(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return ""
