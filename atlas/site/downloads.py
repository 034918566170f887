"""Data to take away: CSV and JSON beside every culture, medium, pattern and artwork page, per-cluster
files, and a `data/` page of whole-collection downloads with a README of every column.

Why beside the page (culture/<name>/works.csv): a page links its files with a relative href, so the links
hold under any base_url and the files share the page's URL-safe segment. A work's own analogies are the
exception (issue 20: two files per work were half a site's bytes): its page makes them in the browser from
the work's JSON (assets/downloads.js writes the same columns and bytes as `csv_bytes` and `both`); without
scripts its links go to the whole table, kept as one gzip file (ANALOGIES_GZ: 1.8M rows at 10k works, past a
spreadsheet's row limit anyway, and ~7 KiB per work as plain CSV), and to the work's data file. The
columns of each kind of file are declared once (COLUMNS); the CSV header, the JSON keys and the README
come from that one table, so the README cannot drift from the files (tests/test_downloads.py reads both).
CSV is UTF-8 with a byte-order mark (so spreadsheet programs read accents right) and CRLF line ends; years
are ISO 8601 years (0800; 500 BCE is -0499); floats are rounded as on the pages. Same inputs, same bytes.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TextIO

import numpy as np

from atlas.analysis.analogy_table import AnalogyTable, rounded
from atlas.core.jsonio import json_bytes
from atlas.core.records import CONDITIONS, Record
from atlas.site import urls
from atlas.site.background import Background
from atlas.site.context import Output, SiteContext
from atlas.site.keyed_sets import keyed, set_key, table_digest, will_keep, work_digest

# kind -> [(column, meaning)]: the single source of the files' columns and of the README.
COLUMNS: dict[str, list[tuple[str, str]]] = {
    "works": [
        ("id", "the work's identifier in the collection"),
        ("title", "title as catalogued"),
        ("artist", "artist or maker as catalogued"),
        ("date", "the catalogue's own date text"),
        ("date_begin", "first year of the date, ISO 8601 year (0000 = 1 BCE, -0499 = 500 BCE); empty when unknown"),
        ("date_end", "last year of the date, ISO 8601 year; empty when unknown"),
        ("culture", "the culture group the atlas uses (after the label rules)"),
        ("culture_raw", "culture as written in the source"),
        ("medium", "the medium group the atlas uses"),
        ("medium_raw", "medium as written in the source"),
        ("credit", "credit line of the work, as given by the source"),
        ("rights", "licence or rights statement of the work, as given by the source"),
        ("url", "the work's page in this atlas (path from the site root)"),
    ],
    "analogies": [
        ("id", "the work"),
        ("field", "the condition: culture or medium"),
        ("group", "the group searched within"),
        ("rank", "1 = the closest work of that group"),
        ("neighbour_id", "the analogy's identifier"),
        ("similarity", "cosine similarity of the two image vectors (1 = identical), 4 decimals"),
    ],
    "culture_similarity": [
        ("culture_a", "one culture"),
        ("culture_b", "another culture (every ordered pair, the diagonal included)"),
        ("similarity", "normalised similarity of the two cultures' mean image vectors, as on the chord page"),
    ],
    "map": [
        ("id", "the work"),
        ("x", "position on the map, 0-1 from left"),
        ("y", "position on the map, 0-1 from top"),
        ("cluster", "the visual cluster's number (-1 = in none)"),
        ("cluster_label", "the cluster's label; empty when in none"),
    ],
    "probes": [
        ("probe", "what the probe predicts from the image vector: a label (culture, medium, ...) or date"),
        ("figure", "the measure: top1, top3 (accuracy on held-out works), mae (years), ..."),
        ("value", "its value, as on the model page"),
    ],
}
TABLES = "data/tables/"  # the whole-collection files (data/works.json and others are the front end's)
BACKGROUND_FROM = 1000  # works from which the analogies table is made in a forked child (atlas.site.background)
ANALOGIES_SET = "downloads:analogies"  # its keyed set (atlas.site.keyed_sets)
GZIP_LEVEL = 6  # gzip's own default: level 9 took 4.1x the time for a file 4.5% smaller (3,000 synthetic works)
TUPLE_BLOCK = 1024  # works whose analogies are read off the arrays at once
ANALOGIES_GZ = "analogies"  # the stem written only as <stem>.csv.gz: it grows with works x groups x k
ANALOGIES_PATH = f"{TABLES}{ANALOGIES_GZ}.csv.gz"  # every manifest's seeAlso (atlas.site.iiif_out)
WHOLE = {  # data/tables/ file stem -> (kind, what it holds)
    "works": ("works", "every published work, one row each"),
    "analogies": ("analogies", "all analogies: one row per work, group and rank (gzip-compressed CSV)"),
    "culture-similarity": ("culture_similarity", "the culture similarity matrix, one row per ordered pair"),
    "map": ("map", "map coordinates and clusters of every work"),
    "probes": ("probes", "the probes' figures (what the network's vectors predict)"),
}


def iso_year(year: int | None) -> str:
    """ISO 8601 year of an atlas year (atlas.ingest.dates: BCE negative, no year 0): four digits at least,
    and ISO's astronomical numbering before 1 CE (1 BCE = 0000, 500 BCE = -0499)."""
    if year is None:
        return ""
    iso = year if year > 0 else year + 1
    return f"{iso:04d}" if iso >= 0 else f"-{-iso:04d}"


def write_csv(out: TextIO, kind: str, rows: Iterable[dict]) -> int:
    """The kind's CSV into `out` (a text stream that encodes UTF-8): BOM, CRLF, its columns in order; the rows
    are taken one at a time, so a generator streams. Returns the number of rows."""
    names = [name for name, _ in COLUMNS[kind]]
    return write_tuples(out, kind, (["" if row[n] is None else row[n] for n in names] for row in rows))


def write_tuples(out: TextIO, kind: str, rows: Iterable[Sequence]) -> int:
    """write_csv for rows already in the kind's column order, with no None in them."""
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([name for name, _ in COLUMNS[kind]])
    count = 0

    def counted() -> Iterator[Sequence]:
        nonlocal count
        for row in rows:
            count += 1
            yield row

    writer.writerows(counted())
    return count


def csv_bytes(kind: str, rows: list[dict]) -> bytes:
    """UTF-8 with BOM, CRLF, the kind's columns in order."""
    buffer = io.StringIO()
    write_csv(buffer, kind, rows)
    return buffer.getvalue().encode("utf-8")


def both(path_stem: str, kind: str, rows: list[dict]) -> Iterator[Output]:
    """The same rows as <stem>.csv and <stem>.json ({"columns": [...], "data": [[...], ...]}: each row a list in
    the order of "columns", the shape pandas reads with orient="split"; a dict per row repeated every column
    name and made the per-work files half of a site's bytes, issue 20)."""
    names = [name for name, _ in COLUMNS[kind]]
    yield Output(f"{path_stem}.csv", csv_bytes(kind, rows))
    yield Output(f"{path_stem}.json", json_bytes({"columns": names, "data": [[row[n] for n in names] for row in rows]}))


def analogies_gz(ctx: SiteContext) -> tuple[Output, int]:
    """The all-analogies table as data/tables/analogies.csv.gz and its number of rows. Its rows are written work
    by work straight into the compressor: at 100k works (30 groups, k = 6) the table has 18M rows, which held as
    a list of dicts took most of the pages stage's 11.9 GB (issue 20). No file name and mtime 0 in the gzip
    header, so the same rows give the same bytes; the CSV is write_csv's, as for every table."""
    raw = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", compresslevel=GZIP_LEVEL, fileobj=raw, mtime=0) as packed:
        text = io.TextIOWrapper(packed, encoding="utf-8", newline="")
        count = write_tuples(text, "analogies", analogy_tuples([w.id for w in ctx.data.works], ctx.data.analogies))
        text.flush()
        text.detach()
    return Output(ANALOGIES_PATH, raw.getvalue()), count


_started: dict[int, tuple[SiteContext, str, Background]] = {}  # id(ctx) -> (ctx, its key, the table being
# made): start_analogies. The context is held, so its id cannot name another context while the entry is here.


def analogies_key(ctx: SiteContext) -> str:
    """The analogies table's set key: the works' ids and the analogy arrays."""
    return set_key(ctx, sys.modules[__name__], [w.id for w in ctx.data.works], table_digest(ctx.data.analogies))


def start_analogies(ctx: SiteContext, least: int | None = None) -> bool:
    """Start making the analogies table in a forked child (atlas.site.background), to be collected by
    `downloads`, when the site has `least` works or more and the table will be made (its key changed): the
    build calls this before rendering, so the table is made while the pages are (`least`: BACKGROUND_FROM by
    default; below it forking costs more than it saves). True when started."""
    if len(ctx.data.works) < (BACKGROUND_FROM if least is None else least):
        return False
    key = analogies_key(ctx)
    if will_keep(ctx, ANALOGIES_SET, key):
        return False
    _started.clear()  # a build that failed before its downloads left its entry: one build at a time per process
    _started[id(ctx)] = (ctx, key, Background(lambda: analogies_gz(ctx)[0].data, "the analogies table"))
    return True


def analogy_count(ctx: SiteContext) -> int:
    """The rows of the analogies table (analogies_gz's count), from the AnalogyTable's arrays when it is one: the
    table's file is kept unmade when the analogies did not change, and the data page still states its rows."""
    table = ctx.data.analogies
    if not isinstance(table, AnalogyTable):
        return sum(1 for _ in analogy_tuples([w.id for w in ctx.data.works], table))
    found = [table.row(w.id) for w in ctx.data.works if w.id in table]
    return int((table.indices[:, found] >= 0).sum())


def table_files(stem: str) -> list[dict]:
    """The data page's links of one whole-collection table: [{"name", "label"}]."""
    if stem == ANALOGIES_GZ:
        return [{"name": f"{stem}.csv.gz", "label": "CSV, gzip"}]
    return [{"name": f"{stem}.csv", "label": "CSV"}, {"name": f"{stem}.json", "label": "JSON"}]


def work_row(ctx: SiteContext, w: Record) -> dict:
    return {"id": w.id, "title": w.title, "artist": w.artist, "date": w.date_text, "date_begin": iso_year(w.date_begin),
            "date_end": iso_year(w.date_end), "culture": w.culture or "", "culture_raw": w.culture_raw,
            "medium": w.medium or "", "medium_raw": w.medium_raw, "credit": w.credit, "rights": w.rights,
            "url": ctx.paths.page_path("work", w.id)}


def analogy_tuples(ids: Sequence[str], analogies: Mapping) -> Iterator[tuple]:
    """(id, field, group, rank, neighbour_id, similarity) of every analogy of the works `ids`, in that order,
    then by field (CONDITIONS), group (code-point order) and rank: the analogies table's rows. From an
    AnalogyTable they are read off its arrays a block of works at a time (building each work's nested
    analogies was most of the 100k build's 236 s of downloads, issue 20); the same tuples either way
    (tests/test_downloads.py)."""
    if not isinstance(analogies, AnalogyTable):
        for work_id in ids:
            lists = analogies.get(work_id, {})
            for fld in CONDITIONS:
                for group, pairs in sorted(lists.get(fld, {}).items()):
                    for rank, (other, score) in enumerate(pairs, start=1):
                        yield work_id, fld, group, rank, other, score
        return
    table, names = analogies, analogies.ids
    layers = [g for fld in CONDITIONS for g in sorted((g for g, (f, _) in enumerate(table.groups) if f == fld),
                                                      key=lambda g: table.groups[g][1])]
    keys, chosen = [table.groups[g] for g in layers], np.asarray(layers, np.intp)
    present = [work_id for work_id in ids if work_id in table]
    for start in range(0, len(present), TUPLE_BLOCK):
        block = present[start : start + TUPLE_BLOCK]
        rows = np.asarray([table.row(work_id) for work_id in block], np.intp)
        found = table.indices[np.ix_(chosen, rows)].transpose(1, 0, 2).tolist()  # (works, layers, k)
        scores = rounded(table.scores[np.ix_(chosen, rows)]).transpose(1, 0, 2).tolist()
        for work_id, work_found, work_scores in zip(block, found, scores):
            for (fld, group), js, ss in zip(keys, work_found, work_scores):
                rank = 0
                for j, score in zip(js, ss):
                    if j >= 0:
                        rank += 1
                        yield work_id, fld, group, rank, names[j], score


def downloads(ctx: SiteContext) -> Iterator[Output]:
    """Every download and the data/ page."""
    works = ctx.data.works
    for fld in CONDITIONS:
        members: dict[str, list[Record]] = {}
        for w in works:
            if getattr(w, fld):
                members.setdefault(getattr(w, fld), []).append(w)
        for group in sorted(members):
            yield from group_table(ctx, ctx.paths.page_path(fld, group) + "works", members[group])
    for pattern in ctx.data.studies.patterns or ():
        found = [ctx.by_id[m] for m in pattern.members if m in ctx.by_id]
        yield from group_table(ctx, ctx.paths.page_path("pattern", pattern.id) + "works", found)
    for cluster in ctx.data.cluster_map.clusters:
        found = [ctx.by_id[m] for m in sorted(cluster.members) if m in ctx.by_id]
        yield from group_table(ctx, f"data/cluster/{cluster.id}", found)
    wholes = whole_rows(ctx)
    for stem, rows in wholes.items():
        yield from both(f"{TABLES}{stem}", WHOLE[stem][0], rows)
    owner, key, started = _started.pop(id(ctx), (None, "", None))
    if owner is not ctx:
        key, started = analogies_key(ctx), None
    make = (lambda: [Output(ANALOGIES_PATH, started.result())]) if started else (lambda: [analogies_gz(ctx)[0]])
    yield from keyed(ctx, ANALOGIES_SET, key, make)  # remade when they change
    analogies = analogy_count(ctx)
    yield Output("data/README.txt", readme(ctx).encode("utf-8"))
    counts = {stem: len(rows) for stem, rows in wholes.items()} | {ANALOGIES_GZ: analogies}
    files = [{"stem": stem, "what": what, "rows": counts[stem], "links": table_files(stem)}
             for stem, (_, what) in WHOLE.items() if stem in counts]
    clusters = [{"id": c.id, "label": c.label, "size": c.size} for c in ctx.data.cluster_map.clusters]
    yield ctx.page("downloads", None, "downloads.html", files=files, clusters=clusters, licence=licence(ctx),
                   credit=credit(ctx))


def group_table(ctx: SiteContext, stem: str, members: list[Record]) -> Iterator[Output]:
    """One group's works table (<stem>.csv and .json), a keyed set (atlas.site.keyed_sets): made again only when
    one of its works' records, the works in it or the path plan changed, so a title change remakes the tables of
    the work's own groups, not all 130 of them (10,000 synthetic works)."""
    key = set_key(ctx, sys.modules[__name__], "works table", stem, ctx.paths.special,
                  [work_digest(ctx, w.id) for w in members])
    return keyed(ctx, f"downloads:{stem}", key, lambda: both(stem, "works", [work_row(ctx, w) for w in members]))


def whole_rows(ctx: SiteContext) -> dict[str, list[dict]]:
    """The rows of every whole-collection table but the analogies (analogies_gz streams those)."""
    sim = ctx.data.similarity
    labels = {c.id: c.label for c in ctx.data.cluster_map.clusters}
    out = {
        "works": [work_row(ctx, w) for w in ctx.data.works],
        "culture-similarity": [{"culture_a": a, "culture_b": b, "similarity": round(float(sim.similarity[i][j]), 4)}
                               for i, a in enumerate(sim.labels) for j, b in enumerate(sim.labels)],
        "map": [{"id": p.id, "x": p.x, "y": p.y, "cluster": p.cluster, "cluster_label": labels.get(p.cluster, "")}
                for p in ctx.data.cluster_map.points],
    }
    probes = ctx.data.studies.probes
    if probes is not None:
        out["probes"] = probe_rows(probes.public())
    return out


def probe_rows(public: dict) -> list[dict]:
    """The scalar figures of each classifier probe and of the date probe (lists and notes stay in probes.json)."""
    reports = dict(sorted(public.get("classifiers", {}).items()))
    reports["date"] = public.get("date", {})
    return [{"probe": name, "figure": key, "value": value}
            for name, report in reports.items() for key, value in sorted(report.items())
            if isinstance(value, (int, float)) and not isinstance(value, bool)]


def licence(ctx: SiteContext) -> str:
    return ctx.config.downloads.licence or "not stated by the publisher of this atlas"


def credit(ctx: SiteContext) -> str:
    return ctx.config.downloads.credit or ctx.config.title


def record_where(ctx: SiteContext) -> str:
    """Where a work's JSON record lies, for data/README.txt (atlas.site.urls.work_data_pattern decides)."""
    path = urls.work_data_pattern(ctx.config.iiif.manifests).format(segment="<id>")
    return f'{path}, under "atlas" (its IIIF manifest carries it).' if ctx.config.iiif.manifests else f"{path}."


def readme(ctx: SiteContext) -> str:
    """data/README.txt: what each file holds and every column, with the licence and credit."""
    lines = [f"Data downloads of {ctx.config.title}", "", f"Licence: {licence(ctx)}", f"Credit: {credit(ctx)}", "",
             "CSV files are UTF-8 with a byte-order mark and CRLF line ends; each has a JSON twin",
             '({"columns": [...], "data": [[...], ...]}, each row in the order of "columns", as pandas reads',
             'with orient="split") holding the same rows, except the analogies table: one gzip-compressed CSV',
             "(analogies.csv.gz), since it has a row per work, group and rank. An artwork page makes its work's",
             "analogies as CSV and JSON in the browser, with the same columns, from the work's JSON record:",
             record_where(ctx),
             "Years are ISO 8601 years.", ""]
    studies, clusters = ctx.data.studies, ctx.data.cluster_map.clusters
    works = ["data/tables/works.csv", "culture/<name>/works.csv", "medium/<name>/works.csv"]
    works += ["pattern/<id>/works.csv"] if studies.patterns else []
    works += ["data/cluster/<n>.csv"] if clusters else []
    files = {"works": ", ".join(works), "analogies": "data/tables/analogies.csv.gz",
             "culture_similarity": "data/tables/culture-similarity.csv", "map": "data/tables/map.csv",
             "probes": "data/tables/probes.csv" if studies.probes else ""}
    for kind, columns in COLUMNS.items():
        if not files[kind]:
            continue  # a study that was switched off wrote no file
        lines += [f"## {kind}: {files[kind]}", ""]
        lines += [f"{name}: {meaning}" for name, meaning in columns]
        lines.append("")
    return "\n".join(lines)
