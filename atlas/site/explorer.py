"""The explorer's files and pages: map data and sprite sheets, search index and page, culture-pair pages.

Called once from Renderer.render_all before the map and chord pages are rendered: it writes its data
files, renders its own pages, and puts what the map, chord and search templates need into the template
globals under `explorer`. Kept out of render.py so the page renderer stays about pages.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from atlas.analysis.culture_pairs import best_pairs, link_strengths
from atlas.site import urls
from atlas.site.map_data import write_map_data
from atlas.site.search_index import write_search_index

if TYPE_CHECKING:
    from atlas.site.render import Renderer

MAP_LIST_LIMIT = 2000  # works listed one by one on the map page for readers without scripts


def write_explorer(renderer: Renderer) -> None:
    """Write the explorer's data and pages through `renderer` (an atlas.site.render.Renderer)."""
    data = renderer.data
    thumbs = {w.id: data.thumbs[w.id][renderer.small] for w in data.works}
    explorer = {
        "map": write_map_data(
            renderer.writer.write_bytes, renderer.base, data.works, data.cluster_map,
            {i: Path(p).stem for i, p in thumbs.items()}, lambda i: Image.open(thumbs[i]), data.config.cache_dir,
        ),
        "map_list_limit": MAP_LIST_LIMIT,
        "search": write_search_index(renderer.writer.write_bytes, data.works, renderer.base, renderer.small),
        "chord": culture_pair_pages(renderer),
    }
    renderer.env.globals["explorer"] = explorer
    renderer.page("search", None, "search.html")


def culture_pair_pages(renderer: Renderer) -> dict:
    """One page per pair of cultures with its best analogies; returns the chord page's link data."""
    data = renderer.data
    links = link_strengths(data.similarity)
    template = renderer.env.get_template("culture_pair.html")
    for link in links:
        path = urls.culture_pair_path(link["a"], link["b"])
        link["url"] = urls.join_url(renderer.base, path)
        pairs = [
            {"a": renderer.work_view(x), "b": renderer.work_view(y), "score": score}
            for score, x, y in best_pairs(data.works, data.analogies, link["a"], link["b"])
        ]
        html = template.render(page_url=link["url"], link=link, pairs=pairs,
                               a_url=renderer.url("culture", link["a"]), b_url=renderer.url("culture", link["b"]))
        renderer.writer.write_text(path + "index.html", html)
        renderer.sitemap.append(link["url"])
    return {"links": links, "labels": data.similarity["labels"],
            "culture_urls": [renderer.url("culture", name) for name in data.similarity["labels"]]}

