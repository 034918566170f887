"""IIIF Presentation API values as text: language maps, HTML in values, arrays of values.

Presentation 3 writes every human-readable value as a language map (`{"en": ["a", "b"], "none": ["c"]}`);
Presentation 2.1 as a string, a `{"@value", "@language"}` object, or a list of either. Both allow HTML:
in version 3 a value is HTML only when it starts with `<` and ends with `>`; in version 2.1 any value may
carry markup. The pages show plain text (every value is escaped again by the templates), so markup is
stripped here; where HTML is kept (a credit line with its link), it is cleaned to the spec's allow-list
(`a` with `href`, `img` with `src` and `alt`, and `b br i p small span sub sup`, nothing else, no
scripts, no comments) by nh3, a binding of the Rust sanitiser ammonia: a maintained, fuzzed HTML
sanitiser rather than a regular expression of our own.
"""

from __future__ import annotations

import html
import re

import nh3

ALLOWED_TAGS = {"a", "b", "br", "i", "img", "p", "small", "span", "sub", "sup"}  # Presentation 3, section 4.4
ALLOWED_ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt"}}
URL_SCHEMES = {"http", "https", "mailto"}
_BREAKS = re.compile(r"<\s*(br|/p|/div|/li)\b[^>]*>", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def is_html(text: str, version: int) -> bool:
    """Whether the spec lets `text` be read as HTML (v3: wrapped in tags; v2.1: any markup or entity)."""
    stripped = text.strip()
    if version >= 3:
        return stripped.startswith("<") and stripped.endswith(">")
    return "<" in stripped or "&" in stripped


def plain_text(text: str, version: int = 3) -> str:
    """The value as one line of plain text: tags dropped (script and style with their content), line
    breaks as spaces, entities decoded, runs of white space collapsed."""
    if is_html(text, version):
        text = _BREAKS.sub(" ", text)
        text = html.unescape(nh3.clean(text, tags=set(), attributes={}, strip_comments=True))
    return _SPACES.sub(" ", text).strip()


def sanitised_html(text: str, version: int = 3) -> str:
    """The value as HTML safe to publish, per the spec's allow-list; plain values come back escaped."""
    if not is_html(text, version):
        return html.escape(text.strip(), quote=False)
    return nh3.clean(text.strip(), tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="noopener noreferrer", strip_comments=True)


def language_values(value, language: str) -> list[str]:
    """The strings of a v3 language map, a v2 value / list of values, or a plain string, in `language`
    when the value offers it, else its "none" strings (v3) or untagged ones (v2), else the first
    language given. Non-string leaves are ignored."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict) and "@value" not in value:
        return _from_language_map(value, language)
    items = value if isinstance(value, list) else [value]
    tagged: dict[str, list[str]] = {}
    for item in items:
        if isinstance(item, str):
            tagged.setdefault("none", []).append(item)
        elif isinstance(item, dict) and isinstance(item.get("@value"), str):
            tagged.setdefault(str(item.get("@language") or "none"), []).append(item["@value"])
    return _from_language_map(tagged, language)


def _from_language_map(value: dict, language: str) -> list[str]:
    def strings(key) -> list[str]:
        found = value.get(key)
        found = found if isinstance(found, list) else [found]
        return [s for s in found if isinstance(s, str)]

    for key in (language, "none", "@none"):
        if strings(key):
            return strings(key)
    prefix = language.split("-")[0]
    for key in sorted(value, key=lambda k: (str(k).split("-")[0] != prefix, str(k))):  # en-GB for en, then any
        if strings(key):
            return strings(key)
    return []


def text_of(value, language: str, version: int, sep: str = "; ") -> str:
    """All values in the chosen language, each as plain text, joined (arrays of values are one field)."""
    parts = [plain_text(s, version) for s in language_values(value, language)]
    return sep.join(p for p in parts if p)


def html_of(value, language: str, version: int, sep: str = "; ") -> str:
    """All values in the chosen language as sanitised HTML, joined."""
    parts = [sanitised_html(s, version) for s in language_values(value, language)]
    return sep.join(p for p in parts if p)


def all_texts(value, version: int) -> set[str]:
    """Every string of a value in every language, as case-folded plain text: a metadata label is matched
    against `collection.columns` whatever language the institution wrote it in."""
    if isinstance(value, dict) and "@value" not in value:
        strings = [s for v in value.values() for s in (v if isinstance(v, list) else [v])]
    else:
        items = value if isinstance(value, list) else [value]
        strings = [i.get("@value") if isinstance(i, dict) else i for i in items]
    return {plain_text(s, version).casefold() for s in strings if isinstance(s, str)}
