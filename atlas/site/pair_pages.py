"""Pages for pairs of works: pair pages with card images, the pair viewer, curated pairings, and the URL ledger.

`pairing_globals` gives the templates `pair_url`, `curated_for` and `anchor` (artwork pages link their
analogies to pair pages); `pair_pages` yields the pair pages, their cards, the viewer and the curated
index; `ledger_pages` yields, for every URL of the previous ledger this build did not produce, a redirect
or a "no longer in the collection" notice, then the new ledger. build() calls ledger_pages after every
other page group, with the set of paths they produced.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from atlas.analysis.analogy_table import first_analogies
from atlas.core.progress import progress
from atlas.core.records import CONDITIONS, Problem, byline
from atlas.site import og_image, urls
from atlas.site.context import Output, SiteContext
from atlas.site.ledger import Ledger, page_paths, work_entry
from atlas.site.og_image import CARD_SIZE, cached_card
from atlas.site.page_reads import site_reads
from atlas.site.pairings import Pair, PairingPlan, viewer_query
from atlas.site.similarity_views import similarity_text, why_view

NO_SITE_URL = ("site_url is not set: no share cards were made, and link previews, og:url and sitemap.xml need "
               "absolute URLs; set site_url (e.g. https://collection.example.org) to publish them")


def kind_words(names: dict, fld: str, same: bool) -> str:
    """'same culture' / 'cross-nationality': the condition named as site.yaml names it (labels.*.title)."""
    return ("same " if same else "cross-") + names[fld]["lower"]


class PairPages:
    """Lookups over the plan of pairings, with the site context they render in."""

    def __init__(self, ctx: SiteContext):
        self.r = ctx
        data = ctx.data
        self.plan: PairingPlan = getattr(data, "pairings", None) or PairingPlan([], [], {}, {}, {}, Ledger())
        self.rendered = set(self.plan.pairs)
        self.curated = {(c.a, c.b): c for c in self.plan.curated}
        self.by_work: dict[str, list[Pair]] = {}
        for c in self.plan.curated:
            for work_id in (c.a, c.b):
                self.by_work.setdefault(work_id, []).append((c.a, c.b))

    # -- links and views -------------------------------------------------------------------------
    def pair_url(self, a: str, b: str) -> str:
        """The pair's own page when it is pre-rendered, else the viewer with the two ids."""
        if (a, b) in self.rendered:
            return self.r.url("pair", (a, b))
        return self.r.url("pair_viewer") + viewer_query(a, b)

    def absolute(self, url: str) -> str:
        return self.r.config.site_url.rstrip("/") + url

    def curated_for(self, work_id: str) -> list[dict]:
        """Curated pairings that include this work, for its artwork page."""
        out = []
        for pair in self.by_work.get(work_id, []):
            c = self.curated[pair]
            other = c.b if c.a == work_id else c.a
            out.append({"title": c.title, "commentary": c.commentary, "url": self.r.url("pair", pair),
                        "other": self.r.work_view(other)})
        return out

    def conditions(self, a: str, b: str) -> list[dict]:
        """Each condition under which one of the two works is an analogy of the other, with its rank."""
        by_id, analogies = self.r.by_id, self.r.data.analogies
        k = self.r.config.neighbours.k
        out = []
        for query, other in ((a, b), (b, a)):
            for fld in CONDITIONS:
                group = getattr(by_id[other], fld)
                if not group or group not in analogies.get(query, {}).get(fld, {}):
                    continue
                listed = [o for o, _ in analogies[query][fld][group]]
                rank = listed.index(other) + 1 if other in listed else None
                if rank is None and (query, other) == (a, b):
                    rank = self.plan.group_ranks.get((a, b), {}).get(fld)
                if rank is None:
                    continue
                out.append({
                    "field": fld, "group": group, "group_url": self.r.url(fld, group),
                    "kind": kind_words(self.r.names, fld, getattr(by_id[query], fld) == group),
                    "rank": rank, "rank_text": rank_text(rank), "listed": rank <= len(listed) and other in listed, "k": k,
                    "query": self.r.work_view(query), "other": self.r.work_view(other),
                    "explore": self.r.url("work", query) + "#" + urls.condition_anchor(fld, group),
                })
        return out

    def pair_view(self, a: str, b: str, card: str = "") -> dict:
        va, vb = self.r.work_view(a), self.r.work_view(b)
        curated = self.curated.get((a, b))
        conditions = self.conditions(a, b)
        similarity = self.plan.similarity.get((a, b))
        title = curated.title if curated else f"{va['title']} and {vb['title']}"
        why = conditions[0]["kind"] if conditions else "chosen by a curator"
        description = (f"{va['title']} ({_origin(va)}) beside {vb['title']} ({_origin(vb)}): a {why} visual analogy"
                       + (f", similarity {similarity:.2f}." if similarity is not None else "."))
        url = self.r.url("pair", (a, b))
        return {"a": va, "b": vb, "title": title, "description": description, "similarity": similarity,
                "similarity_text": similarity_text(self.r.data.scale, similarity) if similarity is not None else "",
                "why": why_view(self.r.data.why, a, b),
                "conditions": conditions, "curated": curated, "url": url, "absolute_url": self.absolute(url),
                "card": self.absolute(card) if card else "", "card_size": CARD_SIZE}

    # -- pages ---------------------------------------------------------------------------------
    def pages(self) -> Iterator[Output]:
        """Pair pages and cards, the viewer, the curated index (their sizes go into plan.counts)."""
        start = time.perf_counter()
        counts = self.plan.counts
        html_bytes = card_bytes = made = 0
        cards = bool(self.r.config.site_url)  # a card is of use only at an absolute URL (og:image)
        if not cards and self.plan.pairs:
            self.plan.problems.append(Problem("pairings", "", NO_SITE_URL, severity="warning"))
        for a, b in progress(self.plan.pairs, "pairings", unit="page"):
            card, card_url = self.card(a, b) if cards else None, ""
            if card:
                source, fresh = card
                card_bytes += source.stat().st_size
                made += fresh
                card_url = urls.join_url(self.r.base, self.r.paths.pair_card_path(a, b))
                yield Output(self.r.paths.pair_card_path(a, b), source=source, checked=og_image.KIND)
            reads = {**site_reads(self.r), "why": self.r.env.globals["why_match"](a, b)}  # pair_macros.html reads it
            page = self.r.page("pair", (a, b), "pair.html", reads=reads, pair=self.pair_view(a, b, card_url))
            html_bytes += len(page.data) if page.data is not None else self.r.page_keys.old[page.path][1]  # kept
            yield page
        counts.update(pair_pages=len(self.plan.pairs), pair_page_bytes=html_bytes,
                      pair_card_bytes=card_bytes, pair_cards_made=made, top1_pairs=self.plan.top1_all,
                      top1_pairs_prerendered=self.plan.top1, curated_pairings=len(self.plan.curated))
        path_names_url = urls.join_url(self.r.base, urls.path_names_path()) if self.r.paths.special.get("work") else ""
        scale_url = urls.join_url(self.r.base, "data/similarity-scale.json") if self.r.data.scale is not None else ""
        yield self.r.page("pair_viewer", None, "pair_viewer.html", fields=CONDITIONS, k=self.r.config.neighbours.k,
                          path_names_url=path_names_url, scale_url=scale_url, work_data_url=self.r.work_data_url())
        yield self.r.page("pairings", None, "pairings.html",
                          pairings=[self.pair_view(c.a, c.b) for c in self.plan.curated])
        self.plan.render_seconds = round(time.perf_counter() - start, 3)

    def card(self, a: str, b: str) -> tuple | None:
        """(cached card file, made now) or None, with a warning, when a thumbnail cannot be read."""
        thumbs, large = self.r.data.thumbs, self.r.large
        titles = (self.r.work_view(a)["title"], self.r.work_view(b)["title"])
        try:
            return cached_card(self.r.config.cache_dir, thumbs[a][large], thumbs[b][large], titles, self.r.config.title)
        except OSError as exc:
            self.plan.problems.append(Problem("pairings", f"{a} -> {b}", f"card image not made: {exc}", severity="warning"))
            return None

    # -- links never break -------------------------------------------------------------------------
    def ledger_pages(self, produced_files: set[str]) -> Iterator[Output]:
        """A page for every URL of the previous ledger that this build did not produce, then the new ledger."""
        previous = self.plan.previous
        produced = page_paths(produced_files)
        folded = {p.lower() for p in produced}
        answered: set[str] = set()  # old URLs given a redirect or a notice now
        moved = 0
        for path in sorted(previous.pages - produced):
            if not urls.portable(path) or path.lower() in folded:
                continue  # an old URL that cannot exist beside this build's pages on every host (CON, Ab1 / aB1)
            target = self.new_home(path)
            if target:
                yield self.redirect(path, target)
                moved += 1
            else:
                yield self.notice(path)
            answered.add(path)
            folded.add(path.lower())
        ids = [w.id for w in self.r.data.works]
        firsts = first_analogies(self.r.data.analogies, ids)
        works = {i: work_entry(self.r.work_view(i), [(other, score) for _, _, other, score in firsts[i]]) for i in ids}
        ledger = previous.merged(produced | answered, works, self.r.paths.special)
        yield Output(urls.ledger_path(), ledger.to_json())
        self.plan.counts.update(ledger_urls=len(ledger.pages), urls_redirected=moved, urls_gone=len(answered) - moved)

    def parse(self, path: str) -> tuple[str, str | tuple[str, str] | None] | None:
        """What an old page path showed, its segments read with the previous ledger's recorded names."""
        return urls.parse_page_path(path, self.plan.previous.names)

    def new_home(self, path: str) -> str | None:
        """The current URL of a page whose work ids were renamed (or whose work's segment changed), or None."""
        parsed, renames = self.parse(path), self.plan.renames
        if not parsed or parsed[0] not in ("work", "pair"):
            return None
        if parsed[0] == "work":
            new = renames.get(parsed[1], parsed[1])
            return self.r.url("work", new) if new in self.r.by_id else None
        a, b = (renames.get(x, x) for x in parsed[1])
        return self.r.url("pair", (a, b)) if (a, b) in self.rendered and (a, b) != parsed[1] else None

    def redirect(self, path: str, target: str) -> Output:
        return self.r.page_at(path, "redirect.html", listed=False, target=target, canonical=self.absolute(target))

    def notice(self, path: str) -> Output:
        """A 'no longer in the collection' page at an old URL, keeping what it showed."""
        parsed = self.parse(path) or ("page", None)
        kind, key = parsed
        context = {"kind": kind, "works": [], "present": []}
        if kind == "work":
            context["works"] = [self.gone_view(key)]
        elif kind == "pair":
            for work_id in key:
                current = self.plan.renames.get(work_id, work_id)
                if current in self.r.by_id:
                    context["present"].append(self.r.work_view(current))
                else:
                    context["works"].append(self.gone_view(work_id))
        elif kind in CONDITIONS:
            context["group"] = key
            context["index_url"] = self.r.url("cultures" if kind == "culture" else "media")
        return self.r.page_at(path, "gone.html", listed=False, page_url=urls.join_url(self.r.base, path), **context)

    def gone_view(self, work_id: str) -> dict:
        """A departed work's last caption (from the ledger) and the closest works that are still here."""
        entry = self.plan.previous.works.get(work_id, {})
        alive = []
        for other in entry.get("analogies", []):
            current = self.plan.renames.get(other, other)
            if current in self.r.by_id and current not in alive:
                alive.append(current)
        groups = [{"field": fld, "name": entry[fld], "url": self.r.url(fld, entry[fld])}
                  for fld in CONDITIONS if entry.get(fld) and any(getattr(w, fld) == entry[fld] for w in self.r.data.works)]
        return {"id": work_id, "title": entry.get("title") or "Untitled", "byline": byline(entry.get("artist", ""), entry.get("date", "")),
                "culture": entry.get("culture_raw") or entry.get("culture", ""),
                "medium": entry.get("medium_raw") or entry.get("medium", ""), "known": bool(entry),
                "analogies": [self.r.work_view(i) for i in alive], "groups": groups}


def pairing_globals(ctx: SiteContext) -> dict:
    """The templates' pairing helpers: `pair_url(a, b)`, `curated_for(work id)`, `anchor(field, group)`, `curated_count`."""
    pairs = PairPages(ctx)
    return {"pair_url": pairs.pair_url, "curated_for": pairs.curated_for, "anchor": urls.condition_anchor,
            "curated_count": len(pairs.plan.curated)}  # the menu's Pairings entry only when there are some


def rank_text(rank: int) -> str:
    """'the closest', 'the 2nd closest', 'the 11th closest'."""
    if rank == 1:
        return "the closest"
    suffix = "th" if 10 <= rank % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(rank % 10, "th")
    return f"the {rank}{suffix} closest"


def _origin(view: dict) -> str:
    return ", ".join(x for x in (view.get("culture_raw") or view.get("culture"), view.get("medium")) if x) or "origin unknown"


def pair_pages(ctx: SiteContext) -> Iterator[Output]:
    """The pre-rendered pair pages and cards, the pair viewer and the index of curated pairings."""
    return PairPages(ctx).pages()


def ledger_pages(ctx: SiteContext, produced_files: set[str]) -> Iterator[Output]:
    """Redirects and notices for the previous ledger's URLs not in `produced_files`, then the new ledger."""
    return PairPages(ctx).ledger_pages(set(produced_files))
