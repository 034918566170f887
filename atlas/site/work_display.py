"""What an artwork page leads with, and catalogue strings as a visitor reads them.

A page shows one condition of analogies at a time (assets/analogies.js). Opening on the alphabetically
first group showed a Monet's closest Dutch work; the most telling start is the group of the work's closest
match in a group other than its own, so `default_conditions` picks that, per field and overall.

Catalogue strings arrive as the museum typed them ("JAPAN", "china", "Baccio della Porta; Italian").
`display_label` and `display_artist` clean them for the page only: the raw values stay in the records and
the JSON (atlas.site.pages.data_files writes `culture_raw`, `medium_raw` and `artist` as read).
"""

from __future__ import annotations

import re

from atlas.core.records import CONDITIONS, Record
from atlas.site import urls

Analogies = dict[str, dict[str, list[tuple[str, float]]]]  # field -> group -> [(other id, similarity)]


def default_conditions(record: Record, analogies: Analogies) -> dict[str, str]:
    """{"": anchor of the row to open with, field: anchor of that field's row to open with}.

    Each field's choice is the group (not the work's own) whose top analogy is the most similar; with no
    other group, the work's own. Ties go to the first field and group name, so pages are deterministic."""
    best: dict[str, tuple] = {}
    for order, fld in enumerate(CONDITIONS):
        own = getattr(record, fld)
        for group, pairs in sorted(analogies.get(fld, {}).items()):
            if not pairs:
                continue
            key = (group != own, pairs[0][1], -order)
            if fld not in best or key > best[fld][0]:
                best[fld] = (key, urls.condition_anchor(fld, group))
    out = {fld: anchor for fld, (_, anchor) in best.items()}
    if best:
        out[""] = max(best.values(), key=lambda item: item[0])[1]
    return out


_SEPARATORS = re.compile(r"\s*;\s*")


def display_artist(artist: str) -> str:
    """"Baccio della Porta; Italian" -> "Baccio della Porta": the part before a ';' names the artist, what
    follows is a nationality or a role that the page shows elsewhere. Several names joined by ' and '
    would be guesses, so only the trailing qualifier is dropped."""
    parts = [p for p in _SEPARATORS.split(artist.strip()) if p]
    return display_label(parts[0]) if parts else ""


def display_label(text: str) -> str:
    """"JAPAN" / "china" -> "Japan" / "China": a label all in one case is title-cased; a label with mixed
    case ("Oil on canvas", "McNeill") is the catalogue's own spelling and kept."""
    text = " ".join(text.split())
    if not text or not any(ch.isalpha() for ch in text):
        return text
    if text.isupper() or text.islower():
        return _title(text)
    return text


_SMALL = {"and", "of", "on", "in", "the", "de", "la", "le", "van", "von", "der", "da", "di", "del", "du", "y", "with"}


def _title(text: str) -> str:
    words = text.lower().split(" ")
    return " ".join(w if i and w in _SMALL else w[:1].upper() + w[1:] for i, w in enumerate(words))


def safe_link(value: str) -> str:
    """`value` when it is an absolute http(s) address, else "": a catalogue column is untrusted, and a
    `javascript:` or relative value must never become a link on the page."""
    value = value.strip()
    return value if re.fullmatch(r"https?://[^\s<>\"']+", value, flags=re.IGNORECASE) else ""


def display_fields(record: Record) -> dict[str, str]:
    """The cleaned labels and the source/credit/rights lines a work view adds to the catalogue's raw values."""
    return {
        "artist_display": display_artist(record.artist),
        "culture_display": display_label(record.culture_raw),
        "medium_display": display_label(record.medium_raw),
        "source_link": safe_link(record.source_url),
        "credit": " ".join(record.credit.split()),
        "rights": " ".join(record.rights.split()),
        "rights_link": safe_link(record.rights),
    }
