"""Begin and end years from a museum's free-text date ("ca. 1650", "late 17th century", "900–600 B.C.").

Catalogues write dates for people, not machines, and the atlas only needs a year span to sort and
filter works, so `parse_date` is forgiving: it reads the common forms, ignores the hedging words
("ca.", "probably", "(?)"), takes the first readable part of compound dates ("1855, reworked
1857–59" -> 1855) and returns (None, None) rather than raising when it cannot read a date at all.

Conventions (documented here because other museums choose differently):
- "ca. 1650" is (1650, 1650): no widening; the date text stays on the record for display.
- Years BCE are negative and there is no year 0 ("-3000", "3000 BCE", "300 B.C.", "c. 200 B.C.E." are
  all BCE; a minus sign before a year means BCE, as in the numeric columns): "4th century BCE" is (-399, -300), "1st century
  BCE" (-99, -1), "1st century CE" (1, 99).
- "early/mid/late" split a span in thirds ("early 19th century" = 1800–1833); "first half" and
  "third quarter" split it in halves and quarters. "1650s" is a decade, "1600s" a century.
- "before 1700" is (None, 1700), "after 1650" and "1885 or later" are (1650, None) / (1885, None).
"""

from __future__ import annotations

import functools
import re

Span = tuple[int | None, int | None]

_UNKNOWN = {"", "nd", "n.d", "n.d.", "n. d.", "unknown", "date unknown", "undated", "no date", "not dated"}
_DASHES = re.compile("[\u2010\u2011\u2012\u2013\u2014\u2015\u2212]")
_BCE = re.compile(r"(?<![a-z])(?:b\.\s?c\.\s?e\.?|b\.\s?c\.?|bce|bc)(?![a-z])")  # "300BC" too: no \b after a digit
_CE = re.compile(r"\b(?:a\.\s?d\.?|c\.\s?e\.?|ce|ad)(?![a-z])")
# A minus sign before a year, at the start or after a space or separator: "-3000", "-300 - -200", "-330/-320".
# Not the dash of "1650-70" (a digit before it) nor the spaced range dash of "1650 - 70" (a space after it).
_NEGATIVE_YEAR = re.compile(r"(^|[\s(/,;])-(\d{1,5})(?!\d)")
_HEDGES = re.compile(
    r"\(\?\)|\?|\[|\]|\b(?:ca\.?|c\.|circa|about|approx\.?|approximately|probably|possibly|perhaps"
    r"|likely|dated|made|completed)(?![a-z])"
)
_MONTHS = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?(?![a-z])")
_QUALIFIER = {
    "early": (0, 3), "beginning of": (0, 3), "mid": (1, 3), "middle": (1, 3), "late": (2, 3),
    "end of": (2, 3), "first half": (0, 2), "1st half": (0, 2), "second half": (1, 2),
    "2nd half": (1, 2), "first quarter": (0, 4), "1st quarter": (0, 4), "second quarter": (1, 4),
    "2nd quarter": (1, 4), "third quarter": (2, 4), "3rd quarter": (2, 4), "fourth quarter": (3, 4),
    "4th quarter": (3, 4), "last quarter": (3, 4), "last half": (1, 2), "first third": (0, 3),
    "second third": (1, 3), "last third": (2, 3),
}
_ORDINAL_WORDS = {
    w: i + 1 for i, w in enumerate(
        "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth"
        " fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth".split()
    )
}
_ORDINAL_WORD_RE = re.compile(rf"\b({'|'.join(_ORDINAL_WORDS)})\s+(?=centur|millenn)")
_QUAL_RE = "|".join(sorted((re.escape(q) for q in _QUALIFIER), key=len, reverse=True))
_POINT = re.compile(
    rf"^(?P<era1>bce|ce)?\s*(?P<qual>{_QUAL_RE})?\s*(?:of\s+)?(?:the\s+)?"
    r"(?:(?P<ord>\d{1,2})(?:st|nd|rd|th)\s*(?P<unit>century|centuries|millennium|millennia)?"
    r"|(?P<year>\d{1,4})(?P<decade>'?s)?)?"
    r"\s*(?P<era2>bce|ce)?$"
)
_RANGE_SPLIT = re.compile(r"\s*(?:-|/|\bto\b|\bor\b|\buntil\b)\s*")
_SEGMENT_SPLIT = re.compile(r"[,;:(]|\band\b")


@functools.lru_cache(maxsize=65536)
def parse_date(text: str) -> Span:
    """(begin, end) years for a free-text date; (None, None) when no year can be read. Never raises.
    Remembered per text: a collection repeats its dates ("1770", "19th century"), and parsing each record's
    again was 0.3 s of reading 10,000 records."""
    try:
        return _parse(_normalise(text))
    except Exception:  # a date is decoration; a bad one must never stop a build
        return None, None


def resolve_years(text: str, begin: str = "", end: str = "") -> tuple[int | None, int | None, list[str]]:
    """Years for a record whose table has numeric begin/end columns beside the date text.

    The columns win where they hold a whole year (curators set them deliberately); 0/0 is an export's
    placeholder, not a year (there is no year 0), so the text is used then. Returns (begin, end, notes),
    notes saying in words what was corrected, for warnings in the build report.
    """
    parsed, numeric, notes = parse_date(text), [], []
    for name, value in (("date_begin", str(begin or "").strip()), ("date_end", str(end or "").strip())):
        year = parse_year(value)
        if value and year is None:
            notes.append(f"{name} '{value}' is not a year; used the date text")
        numeric.append(year)
    if numeric == [0, 0]:
        numeric = [None, None]
    if _unreadable(text) and parsed == (None, None) and numeric == [None, None]:
        notes.append(f"date '{str(text).strip()}' not understood; shown as written, without a year")
    first = numeric[0] if numeric[0] is not None else parsed[0]
    last = numeric[1] if numeric[1] is not None else parsed[1]
    if first is not None and last is not None and first > last:
        text_ok = None not in parsed and parsed[0] <= parsed[1]
        notes.append(f"date begins ({first}) after it ends ({last}); {'used the date text' if text_ok else 'swapped'}")
        first, last = parsed if text_ok else (last, first)
    return first, last, notes


NO_DATE_WORDS = frozenset({"n.d.", "nd", "n.d", "undated", "unknown", "no date", "s.d.", "date unknown", "?"})


def _unreadable(text: str) -> bool:
    """A date text worth a warning: not empty and not one of the usual ways of writing "no date"."""
    cleaned = str(text or "").strip().casefold()
    return bool(cleaned) and cleaned not in NO_DATE_WORDS


def parse_year(text: str) -> int | None:
    """A whole year from a numeric column ("1650", "-330", "1650.0"); None for anything else."""
    try:
        number = float(text)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() and abs(number) < 100000 else None


def _normalise(text) -> str:
    """Lower-case, one kind of dash, eras as ' bce '/' ce ', hedging words and month names removed."""
    s = str(text or "").strip().lower()
    if s in _UNKNOWN:
        return ""
    s = _DASHES.sub("-", s)
    s = re.sub(r"^(\d{4})-\d{2}-\d{2}\b.*", r"\1", s)  # ISO date: the year is enough
    s = _NEGATIVE_YEAR.sub(r"\1\2 bce ", s)  # "-3000" is 3000 BCE (it was read as the year 3000)
    s = _BCE.sub(" bce ", s)
    s = _CE.sub(" ce ", s)
    s = _HEDGES.sub(" ", s)
    s = _MONTHS.sub(" ", s)
    s = _ORDINAL_WORD_RE.sub(lambda m: f"{_ORDINAL_WORDS[m.group(1)]}th ", s)  # "sixteenth century"
    s = re.sub(r"\b(early|mid|late)\s*-\s*(?=early|mid|late)", r"\1 to ", s)  # "mid-late 19th c."
    s = re.sub(r"\b(early|mid|middle|late)\s*-\s*", r"\1 ", s)  # "mid-18th", "mid-to late"
    s = re.sub(r"(\d(?:st|nd|rd|th))\s*-\s*(centur|millenn)", r"\1 \2", s)  # "19th-century"
    s = re.sub(r"\bbetween\s+(.+?)\s+and\s+", r"\1-", s)
    return re.sub(r"\s+", " ", s).strip()


def _parse(s: str) -> Span:
    """The first segment that reads as a date: "1855, reworked 1857-59" is 1855."""
    for segment in _SEGMENT_SPLIT.split(s) if s else []:
        span = _parse_segment(segment.strip())
        if span is not None:
            return span
    return _last_resort(s)


def _parse_segment(s: str) -> Span | None:
    """Open-ended dates ("before 1700", "1885 or later") or a single date or range."""
    for word, is_before in (("before ", True), ("by ", True), ("after ", False)):
        if s.startswith(word):  # "before the 16th century" ends where that century begins
            span = _parse_range(s[len(word):])
            return None if span is None else (None, span[0]) if is_before else (span[1], None)
    for word, keep_end in ((" or later", False), (" or after", False), (" or earlier", True), (" or before", True)):
        if s.endswith(word):
            span = _parse_range(s[: -len(word)])
            return None if span is None else (None, span[1]) if keep_end else (span[0], None)
    return _parse_range(s)


def _parse_range(s: str) -> Span | None:
    """A single date or a range of two ("1650-70", "4th-3rd century bce", "mid to late 19th century")."""
    if not s:
        return None
    parts = _RANGE_SPLIT.split(s)
    if len(parts) > 2:
        parts = [parts[0], parts[-1]]
    points = [_POINT.match(p.strip()) for p in parts]
    if not all(points) or not any(p["ord"] or p["year"] for p in points):
        return None
    if len(points) == 1:
        return _span(points[0].groupdict())
    left, right = (p.groupdict() for p in points)
    _inherit(left, right)
    if not (left["ord"] or left["year"]):
        return None
    if left["year"] and right["year"] and not left["decade"] and not right["decade"]:
        _expand_abbreviated(left, right)
    first, last = _span(left), _span(right)
    if first is None or last is None:
        return None
    begin, end = first[0], last[1]
    return (end, begin) if begin > end else (begin, end)


def _inherit(left: dict, right: dict) -> None:
    """Fill what the writer left implicit: "4th-3rd century BCE", "mid to late 19th century", "A.D. 130-150"."""
    left["era"] = left["era1"] or left["era2"]
    right["era"] = right["era1"] or right["era2"]
    if not left["ord"] and not left["year"]:
        left["ord"], left["unit"] = right["ord"], right["unit"]
        left["year"], left["decade"] = right["year"], right["decade"]
    if left["ord"] and not left["unit"] and right["ord"]:
        left["unit"] = right["unit"]
    if not left["era"]:
        left["era"] = right["era"]
    if not right["era"] and left["era"] == "ce":
        right["era"] = "ce"
    elif not right["era"] and left["era"] == "bce" and (left["era1"] or left["era2"]) and right["year"]:
        right["era"] = "bce"


def _expand_abbreviated(left: dict, right: dict) -> None:
    """'1650-70' means 1650-1670; BCE ranges ("330-70 BCE") are never abbreviated that way."""
    a, b = left["year"], right["year"]
    if len(b) >= len(a) or (left.get("era") == "bce"):
        return
    scale = 10 ** len(b)
    year = int(a) - int(a) % scale + int(b)
    right["year"] = str(year + scale if year < int(a) else year)


def _span(point: dict) -> Span | None:
    """Years of one point ("1650", "1650s", "late 4th century bce"); None for a bare "5"."""
    era = point.get("era") or point["era1"] or point["era2"]
    if point["year"] is None and point["ord"] is None:
        return None
    if point["year"] is not None:
        if len(point["year"]) < 3 and not era:
            return None  # "June 5", "Dynasty 18": a small number needs an era to be a year
        year = int(point["year"])
        width = 1 if not point["decade"] else 100 if year % 100 == 0 else 10
        lo, hi = year, year + width - 1
    else:
        size = 1000 if (point["unit"] or "").startswith("millenn") else 100
        lo = (int(point["ord"]) - 1) * size
        hi = lo + size - 1
    if era == "bce":
        lo, hi = -hi, -lo
    begin, end = _fraction(lo, hi, point["qual"])
    if point["year"] is None:  # there is no year 0: centuries start at 1 CE and end at 1 BCE
        begin = 1 if begin == 0 else begin
        end = -1 if end == 0 else end
    return begin, end


def _fraction(lo: int, hi: int, qualifier: str | None) -> Span:
    """The part of lo..hi that "early", "second half", "third quarter" ... name."""
    if not qualifier or hi == lo:
        return lo, hi
    index, parts = _QUALIFIER[qualifier]
    width = hi - lo + 1
    begin = lo + index * width // parts
    end = hi if index == parts - 1 else lo + (index + 1) * width // parts - (parts != 3)
    return begin, end


def _last_resort(s: str) -> Span:
    """Free prose ("Dynasty 18, reign of ...") that still names a year: use the first one."""
    match = re.search(r"(?<![\d.])(\d{3,4})(?![\d.])", s)
    if not match:
        return None, None
    year = int(match.group(1))
    if re.search(r"\bbce\b", s[match.end():]):
        year = -year
    return year, year
