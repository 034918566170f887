"""A small collection with the columns a museum publishes (source record, credit line, rights), raw labels in
one case ("china", "JAPAN") and an artist with a nationality after ';'. Builds in seconds
(conftest.write_small_collection); used by tests/test_share_and_credit.py and tests/test_pages_browser.py."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

SITE_URL = "https://collection.example.org"
CULTURES = ("china", "JAPAN", "Dutch")
MEDIA = ("Print", "Painting")


def credited_rows(folder: Path) -> list[dict]:
    """Twelve works, each image a coloured shape; S05's source column holds a javascript: address."""
    (folder / "images").mkdir(parents=True, exist_ok=True)
    rows = []
    for n in range(12):
        image = Image.new("RGB", (320 + 8 * n, 240), (235, 225, 205))
        shade = (40 + 17 * n % 200, 60 + 31 * n % 180, 150 - 9 * n)
        ImageDraw.Draw(image).ellipse((40 + 5 * n, 30, 200 + 6 * n, 200 - 4 * n), fill=shade)
        image.save(folder / "images" / f"S{n:02d}.png")
        rows.append({
            "id": f"S{n:02d}", "title": f"Study number {n}", "artist": "Baccio della Porta; Italian" if n == 1 else f"Artist {n}",
            "date": str(1600 + 10 * n), "culture": CULTURES[n % 3], "medium": MEDIA[n % 2],
            "image": f"images/S{n:02d}.png",
            "source_url": "javascript:alert(1)" if n == 5 else f"https://museum.example.org/objects/{n}",
            "credit": f"Gift of the Example Society, 19{n:02d}",
            "rights": "https://creativecommons.org/publicdomain/zero/1.0/" if n % 2 == 0 else "In copyright",
        })
    return rows


def write_credited_collection(folder: Path, site_url: str = "") -> Path:
    """The collection's files and its site.yaml (site_url set when given); returns the site.yaml path."""
    import yaml

    from .conftest import write_small_collection

    folder.mkdir(parents=True, exist_ok=True)
    path = write_small_collection(folder, credited_rows(folder), "Credited collection")
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["site_url"] = site_url
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def write_fallback_collection(folder: Path) -> Path:
    """The credited collection built with the weights-free fallback (its weights file is missing), heat maps on
    and two analogies per group: pages can say each feature family's share of a score and show the two heat
    maps of a pair, and some pairs are listed by neither work."""
    import yaml

    path = write_credited_collection(folder)
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["embedding"].update(weights="missing.pth", on_missing_weights="fallback", device="cpu")
    config["heatmaps"] = {"enabled": True}
    config["neighbours"] = {"k": 2}  # two analogies per group: some pairs are in neither work's lists
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path
