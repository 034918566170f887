"""site.yaml: typed, documented configuration, validated once at the start of a build.

Every key is a field of one of the dataclasses below, with its default and a comment saying what it
does (a comment may go on over the next lines, indented under the field). Those comments are the only
copy of the documentation: README.md's config reference is generated from them
(`python -m atlas.core.config --write README.md`, see config_reference_markdown) and a test fails when
the README's table differs. Loading walks the YAML node tree
(not just the parsed dict) so that an unknown or mistyped key is reported with its line number and the
closest valid key ("line 7: unknown key 'neighbors' in 'site'; did you mean 'neighbours'?").
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import io
import json
import sys
import tokenize
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from atlas.core import yamlsafe


class ConfigError(ValueError):
    """site.yaml is unusable; the message names the file, the line and the key."""


@dataclass
class CollectionConfig:
    format: str = "csv"  # csv | jsonl | met | iiif | sample
    path: str = "collection.csv"  # metadata table (for `sample`: the folder the sample is generated into; for `iiif`:
        # a IIIF Collection or Manifest, as a file, a folder of them or an http(s) URL)
    encoding: str = "utf-8"  # text encoding of the table; cp1252 / latin-1 are tried when it fails
    columns: dict[str, str] = field(default_factory=dict)  # field -> column name (id, title, artist, date, ...)
    image_folder: str = ""  # folder holding the images, looked up by id; relative to site.yaml
    image_pattern: str = "{id}"  # file name in image_folder; without a suffix, common image suffixes are tried
    allow_outside_paths: bool = False  # read images outside image_folder and the table's folder (`../x.png`, absolute
        # paths, symlinks pointing out); when false such an image is a skipped record in the report, never read
    extra_columns: list[str] = field(default_factory=list)  # further columns kept on each record
    limit: int = 0  # read only the first N rows (0 = all); handy for a quick preview
    iiif_records: str = "manifest"  # iiif: one record per manifest, or per canvas (each canvas with an image)
    iiif_depth: int = 5  # iiif: how many levels of nested collections are followed (a cycle is always cut)
    iiif_language: str = "en"  # iiif: language taken from language maps (else the "none" values, else the first)


@dataclass
class FetchConfig:
    offline: bool = False  # build from the fetch cache alone, with no request (also `atlas build --offline`)
    per_host: int = 4  # most requests in flight at once to one host
    rate: float = 5.0  # most requests started per second to one host (0 = no limit)
    timeout: float = 30.0  # seconds to wait for a server to connect or to send more of its answer
    retries: int = 4  # further tries after a timeout, a 429 or a 5xx, with exponential backoff (Retry-After honoured)
    max_retry_after: int = 120  # longest Retry-After waited for, in seconds; a longer one is cut to this
    max_redirects: int = 5  # redirects followed per request; more (or a loop) fails that image
    max_bytes: int = 50000000  # largest download; a larger body is refused unread when its size is announced,
        # else cut off as soon as it passes this
    rewrite: dict[str, str] = field(default_factory=dict)  # URL prefix -> replacement, applied before every
        # request (a mirror, a proxy, a local test server)


@dataclass
class LabelRules:
    rules: dict[str, list[str]] = field(default_factory=dict)  # group -> raw values ("re:" prefix = regex)
    min_group_size: int = 100  # groups with fewer works are not used as conditions (culture paper: 100)
    keep_unmatched: bool = True  # raw values that no rule matches form their own group
    title: str = ""  # how pages name this condition, e.g. Style (default: Culture / Medium)
    title_plural: str = ""  # plural of title (default: title + "s"; Cultures / Media when title is empty)


@dataclass
class LabelsConfig:
    culture: LabelRules = field(default_factory=LabelRules)
    medium: LabelRules = field(default_factory=LabelRules)


@dataclass
class EmbeddingConfig:
    model: str = "resnet50"  # any torchvision classification model name (resnet18, resnet50, convnext_tiny, ...)
    weights: str = "imagenet"  # imagenet | none | path to a local state-dict file
    on_missing_weights: str = "fail"  # fail | untrained | fallback: what to do when the weights cannot be had.
        # `fail` stops the build with the reason; `untrained` uses the network with random (seeded) weights;
        # `fallback` uses the best weights-free features measured (`atlas/vectors/descriptors.py` FALLBACK,
        # table in benchmarks/README.md). The about page and the report name what was used
    device: str = "auto"  # auto | cpu | cuda
    batch_size: int = 32  # images per forward pass
    image_size: int = 224  # images are resized and centre-cropped to this square
    workers: int = 0  # image-decoding worker processes (0 = decode in the main process)


@dataclass
class NeighboursConfig:
    k: int = 6  # analogies kept per work and per group
    method: str = "auto"  # auto | exact | ann (pynndescent)
    ann_min_group: int = 20000  # with method auto on a CPU, groups at least this large use pynndescent when their
        # exact search would cost over 2e13 multiply-adds, and only where it reaches recall@k 0.98 on a sample
        # (else exact; see neighbours.choose_method, checked_ann_search)
    block_size: int = 4096  # rows per block in the exact search (bounds its memory)


@dataclass
class QualityConfig:
    k: int = 10  # neighbours per query in the quality report (precision@k, recall@k)
    queries: int = 2000  # works used as queries for precision@k (a seeded sample when there are more)
    recall_queries: int = 200  # queries per approximate (pynndescent) group for recall@k against exact search
    seed: int = 0  # seed for the query samples


@dataclass
class MapConfig:
    layout: str = "tsne"  # tsne | pca
    pca_dims: int = 50  # PCA dimensions kept before the 2-D layout
    perplexity: float = 30.0  # t-SNE perplexity (lowered automatically for tiny collections)
    min_cluster_size: int = 8  # smallest cluster in works; raised to 1/50 of the collection (atlas/analysis/clusters.py)
    representatives: int = 6  # works shown for each cluster
    seed: int = 0  # seed for PCA and t-SNE (same seed, same map)


@dataclass
class ThumbnailsConfig:
    sizes: list[int] = field(default_factory=lambda: [480])  # longest side in px; the smallest serves grids and the map,
        # the largest the artwork page (one 480 px file by default: cards sharp at 2x up to 240 CSS px)
    quality: int = 75  # JPEG quality (75: 15% fewer bytes than 82 at 600 px, no difference seen at 2x zoom: issue 20)


@dataclass
class RenderConfig:
    workers: int = 0  # processes rendering artwork pages: 0 = one per CPU core (up to 8) for sites of 1,000+ works,
        # 1 = serial; output is identical either way
    groups_shown: int = 1  # groups of each condition whose analogies an artwork page shows as pictures (the one the
        # page opens with, then those with the closest top analogy); the next 12 are one text link each in a closed
        # list, so a page does not grow with the number of groups; the switcher draws every group on demand from
        # the work's JSON (0 = all as pictures). 1: the switcher shows one row at a time, so a second pictured row
        # served only readers without scripts, at ~6 KiB a page (issue 20)
    culture_pair_pages: int = 100  # most pages of a pair of cultures (chord/<A>/<B>/), the strongest links first; the
        # other links open their closest pair of works in the pair viewer (0 = a page for every pair of cultures)


@dataclass
class PairingsConfig:
    file: str = ""  # curated pairings: a YAML list of `a`, `b`, `title`, `commentary` ("" = none); see "Pairings"
    budget: int = 250  # most top-1 analogy pairs pre-rendered as pages (with a card image when site_url is set),
        # the most similar first; curated pairs and pairs published before are pre-rendered besides; any other pair
        # opens in the pair viewer (0 = every top-1 pair: ~13 KB a page, ~60 KB more with its card)


@dataclass
class JourneysConfig:
    top_k: int = 10  # each work's overall nearest works kept in the journey graph (besides its top-1 in every group)
    max_works: int = 8  # most works in one journey, both ends included
    shard_size: int = 4096  # works per graph shard (edges); a journey fetches only the shards of the works it walks
    featured: int = 12  # journeys pre-rendered as pages between the covers of the most similar pairs of cultures,
        # besides one per curated pairing and every journey published before


@dataclass
class DownloadsConfig:
    licence: str = ""  # the licence of the data downloads, shown on the data/ page and in its README ("" = not stated)
    credit: str = ""  # how to credit the collection when using the downloads ("" = the site title)


@dataclass
class ProbesConfig:
    enabled: bool = True  # train the culture / medium / date probes and build the model page
    labels: list[str] = field(default_factory=list)  # further label columns to probe (artist, style, genre, subject)
    test_size: float = 0.25  # share of works held out (stratified) for the model page's figures
    folds: int = 4  # cross-fitting folds for the per-artwork guesses (each guess comes from a model that did not see the work)
    min_class_size: int = 5  # classes with fewer works are left out of a probe (and named in its caveats)
    seed: int = 0  # seed for the split, the folds and the classifiers
    surprises: int = 12  # works shown in each surprises gallery
    neighbours: int = 10  # overall nearest neighbours used to call a work cross-cultural


@dataclass
class HeatmapsConfig:
    enabled: bool = True  # make a heat-map overlay of each work's last-conv activations (cached)
    size: int = 320  # side in px a heat map is shown at (its grid is scaled up over the work by the browser)
    opacity: float = 0.55  # how strongly the heat colours cover the image (0-1)


@dataclass
class PatternsConfig:
    enabled: bool = True  # find tight visual-pattern clusters and give each its own page
    pca_dims: int = 20  # PCA dimensions kept before clustering
    min_cluster_size: int = 5  # HDBSCAN: smallest motif that counts as a pattern
    method: str = "hdbscan"  # hdbscan (leaf clusters) | optics
    file: str = ""  # patterns.yaml: curators name, confirm or reject proposed patterns and edit members ("" = none);
        # see "The curator's workflow"
    suggestions: int = 6  # works nearest to each pattern but not in it, listed on its page to add


@dataclass
class ThemeConfig:
    templates: str = ""  # folder of templates that replace the package's by file name (e.g. base.html); "" = none
    css: list[str] = field(default_factory=list)  # further stylesheets, copied to assets/site/ and linked after atlas.css


@dataclass
class PublishConfig:
    max_shrink: float = 0.2  # most share of the published works (data/works.json) a build may remove (0-1); a build
        # that would remove more stops before publishing, the old site untouched, until run with --allow-shrink
    max_bytes: int = 1_000_000_000  # the build warns when the site is larger (bytes; GitHub Pages takes 1 GB; 0 = no limit)
    max_files: int = 20_000  # the build warns when the site has more files (Cloudflare Pages takes 20,000; 0 = no limit)
    precompress: list[str] = field(default_factory=list)  # also write `.gz` and/or `.br` copies of text files
        # ([gz, br]) for hosts that serve them as they are (nginx gzip_static, Caddy precompressed); [] = none
    spare: bool = True  # keep the replaced site beside the output as `.<output>.spare` (its unchanged files are hard
        # links to the published ones) and stage the next build in it, so a rebuild writes only what changed; false:
        # remove it and stage into a new folder every build


@dataclass
class IiifConfig:
    manifests: bool = True  # publish a IIIF Presentation 3 manifest per work (iiif/<id>/manifest.json) and IIIF
        # Collections of the whole atlas and of each culture / medium group (iiif/collection.json, iiif/culture.collections/ ...);
        # their ids are absolute under site_url, or under http://127.0.0.1:8000 (`atlas serve`) when it is empty. Each
        # manifest carries its work's JSON record (under "atlas"); false: the record is data/work/<id>.json


@dataclass
class DeepZoomConfig:
    enabled: bool = False  # a zoomable view (OpenSeadragon, served by the site) on the artwork page of every work
        # whose image is larger than the page image and at least min_size; costs disk: see the build summary
    min_size: int = 1600  # longest side in px an image needs before it gets deep-zoom tiles
    tile_size: int = 512  # side of one tile in px (IIIF level-0 tiles made by libvips, cached by image content)
    quality: int = 80  # JPEG quality of the tiles
    source: str = "tiles"  # tiles | service: `service` uses the collection's own public IIIF Image service (a
        # record's image_url that is one) instead of local tiles for those works; the page then requests that host
        # and the about page says so


@dataclass
class EngineConfig:
    kind: str = "local"  # local | ray: where the embedding, the descriptors and the exact neighbour search run.
        # `ray` spreads them over a Ray cluster (`pip install 'atlas[ray]'`; see docs/ray.md); the site is the same
    address: str = ""  # the Ray cluster to join: "" starts a private runtime on this machine, `auto` joins the one
        # `ray start` runs here, `host:6379` or `ray://host:10001` a cluster's head node
    actors: int = 0  # embedding actors, each loading the network once (0 = one per GPU share; on CPUs one per
        # worker's CPUs, less one worker's share left for decoding)
    cpus_per_worker: float = 1.0  # CPUs each embedding actor and each search or descriptor task reserves
    gpus_per_worker: float = 1.0  # GPUs each embedding actor and search task reserves when the cluster has GPUs
        # and embedding.device is not cpu (a fraction shares one GPU between actors)
    batch_size: int = 0  # images per forward pass on a worker (0 = embedding.batch_size: the same batches as a
        # local build, so the vectors are bit-identical)
    search_tasks: int = 0  # query blocks of the exact neighbour search sent as Ray tasks (0 = one per cluster CPU)


@dataclass
class SiteConfig:
    title: str = "Atlas of visual analogies"  # site name, shown in every page header
    description: str = "Works of art paired with their closest visual analogies across cultures and media."
        # one sentence for the home page and meta description
    base_url: str = "/"  # path the site is served from, e.g. /atlas/ on a project page
    site_url: str = ""  # public origin, e.g. https://collection.example.org; makes sitemap.xml and preview URLs
        # absolute and turns on share cards (none without it)
    output: str = "build/site"  # the published folder (replaced atomically at the end of a build)
    cache: str = "build/cache"  # embeddings, thumbnails and the sample collection live here
    collection: CollectionConfig = field(default_factory=CollectionConfig)
    labels: LabelsConfig = field(default_factory=LabelsConfig)
    embedding: EmbeddingConfig = field(default_factory=EmbeddingConfig)
    neighbours: NeighboursConfig = field(default_factory=NeighboursConfig)
    map: MapConfig = field(default_factory=MapConfig)
    thumbnails: ThumbnailsConfig = field(default_factory=ThumbnailsConfig)
    pairings: PairingsConfig = field(default_factory=PairingsConfig)
    journeys: JourneysConfig = field(default_factory=JourneysConfig)
    downloads: DownloadsConfig = field(default_factory=DownloadsConfig)
    id_renames: str = ""  # renamed work ids, old -> new: a YAML mapping or a two-column CSV (`old,new`); the old
        # URLs redirect
    probes: ProbesConfig = field(default_factory=ProbesConfig)
    heatmaps: HeatmapsConfig = field(default_factory=HeatmapsConfig)
    patterns: PatternsConfig = field(default_factory=PatternsConfig)
    quality: QualityConfig = field(default_factory=QualityConfig)
    render: RenderConfig = field(default_factory=RenderConfig)
    theme: ThemeConfig = field(default_factory=ThemeConfig)
    publish: PublishConfig = field(default_factory=PublishConfig)
    fetch: FetchConfig = field(default_factory=FetchConfig)  # remote images and IIIF documents (image_url, iiif)
    iiif: IiifConfig = field(default_factory=IiifConfig)
    deep_zoom: DeepZoomConfig = field(default_factory=DeepZoomConfig)
    engine: EngineConfig = field(default_factory=EngineConfig)
    # Not a key: the folder site.yaml lives in; relative paths are resolved against it.
    root: Path = field(default=Path("."), metadata={"internal": True})

    def resolve(self, path: str) -> Path:
        """A path from the config, relative to site.yaml's folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self.root / p)

    @property
    def output_dir(self) -> Path:
        return self.resolve(self.output)

    @property
    def cache_dir(self) -> Path:
        return self.resolve(self.cache)


CHOICES = {
    ("collection", "format"): {"csv", "jsonl", "met", "iiif", "sample"},
    ("collection", "iiif_records"): {"manifest", "canvas"},
    ("embedding", "on_missing_weights"): {"fail", "untrained", "fallback"},
    ("embedding", "device"): {"auto", "cpu", "cuda"},
    ("neighbours", "method"): {"auto", "exact", "ann"},
    ("map", "layout"): {"tsne", "pca"},
    ("patterns", "method"): {"hdbscan", "optics"},
    ("deep_zoom", "source"): {"tiles", "service"},
    ("engine", "kind"): {"local", "ray"},
}


def load_config(path: str | Path, overrides: dict | None = None) -> SiteConfig:
    """Read and validate site.yaml. Raises ConfigError naming the key, its line and a suggestion."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from exc
    try:
        node = yamlsafe.compose(text)  # aliases bounded: an alias bomb fails here, at once
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    config = _build(SiteConfig, node, path, ("site",)) if node is not None else SiteConfig()
    for key, value in (overrides or {}).items():
        _set_override(config, key, value, path)
    config.root = path.resolve().parent
    config.base_url = normalise_base_url(config.base_url)
    _check_values(config, path)
    return config


def normalise_base_url(base_url: str) -> str:
    """'/atlas' and 'atlas/' both become '/atlas/': every page link is base_url + a relative path."""
    stripped = base_url.strip().strip("/")
    return "/" if not stripped else f"/{stripped}/"


def config_keys(cls: type = SiteConfig, prefix: str = "") -> list[str]:
    """Every documented key as a dotted path (used by the docs test and by --help)."""
    keys = []
    for f in dataclasses.fields(cls):
        if f.metadata.get("internal"):
            continue
        name = f"{prefix}{f.name}"
        hint = typing.get_type_hints(cls)[f.name]
        if dataclasses.is_dataclass(hint):
            keys.extend(config_keys(hint, name + "."))
        else:
            keys.append(name)
    return keys


REFERENCE_START = "<!-- config-reference:start -->"
REFERENCE_END = "<!-- config-reference:end -->"


def config_reference_markdown() -> str:
    """The README's config reference table (key, default, meaning), generated from the dataclasses above so
    that the documentation cannot drift from the schema: the meaning is each field's comment in this file."""
    docs = field_docs()
    lines = ["| key | default | meaning |", "|---|---|---|"]
    for key, default, doc in _reference_rows(SiteConfig, "", docs):
        lines.append(f"| `{key}` | `{default}` | {doc} |")
    return "\n".join(lines) + "\n"


def field_docs(source: str | None = None) -> dict[tuple[str, str], str]:
    """{(class name, field name): its comment} read from this module's source.

    The comment trailing a field's line, plus any comment-only lines right after it that are indented
    deeper than the field (a long explanation), joined with spaces. Read with ast (which line is which
    field) and tokenize (where the comments are), so docstrings, strings holding '#' and code are never
    mistaken for documentation."""
    source = source if source is not None else Path(__file__).read_text(encoding="utf-8")
    comments = {
        token.start[0]: (token.start[1], token.string.lstrip("#").strip())
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    }
    code_lines = source.splitlines()
    docs = {}
    for node in ast.parse(source).body:
        if not isinstance(node, ast.ClassDef):
            continue
        for statement in node.body:
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                docs[(node.name, statement.target.id)] = _comment_of(statement, comments, code_lines)
    return docs


def _comment_of(statement: ast.stmt, comments: dict[int, tuple[int, str]], code_lines: list[str]) -> str:
    """The trailing comment of `statement` and its indented continuation lines."""
    parts = []
    if statement.end_lineno in comments:
        parts.append(comments[statement.end_lineno][1])
    line = statement.end_lineno + 1
    while line in comments and code_lines[line - 1].lstrip().startswith("#") and comments[line][0] > statement.col_offset:
        parts.append(comments[line][1])
        line += 1
    return " ".join(part for part in parts if part)


def _reference_rows(cls: type, prefix: str, docs: dict[tuple[str, str], str]) -> list[tuple[str, str, str]]:
    """(dotted key, default as written in YAML, meaning) for every key of `cls`, nested sections expanded."""
    rows = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.metadata.get("internal"):
            continue
        if dataclasses.is_dataclass(hints[f.name]):
            rows.extend(_reference_rows(hints[f.name], f"{prefix}{f.name}.", docs))
            continue
        default = f.default_factory() if f.default is dataclasses.MISSING else f.default
        doc = docs.get((cls.__name__, f.name), "").replace(" | ", " / ").replace("|", "\\|")
        rows.append((f"{prefix}{f.name}", _yaml_value(default), doc))
    return rows


def _yaml_value(value) -> str:
    """A default as it would be written in site.yaml: "text", true, [480], {}."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def replace_reference(text: str, table: str) -> str:
    """`text` (README.md) with the lines between the config-reference markers replaced by `table`."""
    start, end = text.find(REFERENCE_START), text.find(REFERENCE_END)
    if start < 0 or end < start:
        raise ValueError(f"no '{REFERENCE_START}' ... '{REFERENCE_END}' block to replace")
    head = text[: start + len(REFERENCE_START)]
    return f"{head}\n{table}{text[end:]}"


def reference_block(text: str) -> str:
    """The text between the config-reference markers of `text` (README.md), "" when there are none."""
    start, end = text.find(REFERENCE_START), text.find(REFERENCE_END)
    if start < 0 or end < start:
        return ""
    return text[start + len(REFERENCE_START): end].strip("\n") + "\n"


def _build(cls: type, node: yaml.Node, path: Path, where: tuple[str, ...]):
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError(f"{_at(path, node)}: '{'.'.join(where)}' must be a mapping of keys to values")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    values = {}
    for key_node, value_node in node.value:
        key = key_node.value
        if key not in fields:
            hint = difflib.get_close_matches(str(key), list(fields), n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else f"; valid keys: {', '.join(fields)}"
            raise ConfigError(f"{_at(path, key_node)}: unknown key '{key}' in '{'.'.join(where)}'{suggestion}")
        values[key] = _convert(hints[key], value_node, path, where + (key,))
    return cls(**values)


def _convert(hint, node: yaml.Node, path: Path, where: tuple[str, ...]):
    if dataclasses.is_dataclass(hint):
        return _build(hint, node, path, where)
    origin = typing.get_origin(hint)
    if origin is list:
        if not isinstance(node, yaml.SequenceNode):
            raise _type_error(path, node, where, "a list")
        return [_convert(typing.get_args(hint)[0], item, path, where) for item in node.value]
    if origin is dict:
        if not isinstance(node, yaml.MappingNode):
            raise _type_error(path, node, where, "a mapping")
        key_type, value_type = typing.get_args(hint)
        return {
            str(k.value): _convert(value_type, v, path, where + (str(k.value),)) for k, v in node.value
        }
    if origin in (types.UnionType, typing.Union):
        return _convert(typing.get_args(hint)[0], node, path, where)
    if not isinstance(node, yaml.ScalarNode):
        raise _type_error(path, node, where, f"a single {hint.__name__} value")
    value = yaml.safe_load(yaml.serialize(node))
    if hint is str:
        if value is None:
            return ""
        if isinstance(value, (dict, list)):
            raise _type_error(path, node, where, "text")
        return str(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise _type_error(path, node, where, "true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _type_error(path, node, where, "a whole number", value)
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _type_error(path, node, where, "a number", value)
        return float(value)
    return value


def _set_override(config: SiteConfig, dotted: str, value, path: Path) -> None:
    """Apply a command-line override such as embedding.device=cpu."""
    target = config
    *parents, last = dotted.split(".")
    for part in parents:
        target = getattr(target, part)
    if not hasattr(target, last):
        raise ConfigError(f"{path}: unknown override '{dotted}'")
    setattr(target, last, value)


def _check_values(config: SiteConfig, path: Path) -> None:
    for (section, key), allowed in CHOICES.items():
        value = getattr(getattr(config, section), key)
        if value not in allowed:
            raise ConfigError(
                f"{path}: {section}.{key} is '{value}'; expected one of: {', '.join(sorted(allowed))}"
            )
    if config.neighbours.k < 1:
        raise ConfigError(f"{path}: neighbours.k must be at least 1")
    if config.render.groups_shown < 0:
        raise ConfigError(f"{path}: render.groups_shown must be 0 (all) or more")
    if config.render.culture_pair_pages < 0:
        raise ConfigError(f"{path}: render.culture_pair_pages must be 0 (all) or more")
    if config.pairings.budget < 0:
        raise ConfigError(f"{path}: pairings.budget must be 0 (all) or more")
    if config.journeys.top_k < 1 or config.journeys.max_works < 2 or config.journeys.shard_size < 1:
        raise ConfigError(f"{path}: journeys.top_k and journeys.shard_size must be at least 1, journeys.max_works at least 2")
    if config.quality.k < 1 or config.quality.queries < 1:
        raise ConfigError(f"{path}: quality.k and quality.queries must be at least 1")
    if not config.thumbnails.sizes or any(s < 16 for s in config.thumbnails.sizes):
        raise ConfigError(f"{path}: thumbnails.sizes needs at least one size of 16 px or more")
    if config.deep_zoom.tile_size < 64 or not 1 <= config.deep_zoom.quality <= 100:
        raise ConfigError(f"{path}: deep_zoom.tile_size must be at least 64 and deep_zoom.quality from 1 to 100")
    if not 0 <= config.publish.max_shrink <= 1:
        raise ConfigError(f"{path}: publish.max_shrink is a share of the published works, from 0 to 1")
    if config.publish.max_bytes < 0 or config.publish.max_files < 0:
        raise ConfigError(f"{path}: publish.max_bytes and publish.max_files must be 0 (no limit) or more")
    if unknown := sorted(set(config.publish.precompress) - {"gz", "br"}):
        raise ConfigError(f"{path}: publish.precompress takes gz and br; not {', '.join(unknown)}")


def _at(path: Path, node: yaml.Node) -> str:
    return f"{path}, line {node.start_mark.line + 1}"


def _type_error(path, node, where, expected, value=None) -> ConfigError:
    shown = f" (got {value!r})" if value is not None else ""
    return ConfigError(f"{_at(path, node)}: '{'.'.join(where)}' must be {expected}{shown}")



def _main(argv: list[str]) -> int:
    """`python -m atlas.core.config` prints the reference table; `--write README.md` puts it into that file."""
    table = config_reference_markdown()
    if len(argv) == 2 and argv[0] == "--write":
        target = Path(argv[1])
        target.write_text(replace_reference(target.read_text(encoding="utf-8"), table), encoding="utf-8")
        print(f"wrote the config reference into {target}")
        return 0
    if argv:
        print("usage: python -m atlas.core.config [--write README.md]", file=sys.stderr)
        return 2
    sys.stdout.write(table)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
