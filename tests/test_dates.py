"""parse_date on the free-text dates museums actually write (most cases are real Met / AIC values)."""

import pytest

from atlas.ingest.dates import parse_date, parse_year, resolve_years

CASES = [
    # single years and circa: no widening
    ("1650", (1650, 1650)),
    ("ca. 1650", (1650, 1650)),
    ("c. 1650", (1650, 1650)),
    ("circa 1650", (1650, 1650)),
    ("Ca. 1650", (1650, 1650)),
    ("1481?", (1481, 1481)),
    ("dated 1627", (1627, 1627)),
    ("1885-06-05", (1885, 1885)),
    ("June 5, 1885", (1885, 1885)),
    # ranges
    ("1650-1700", (1650, 1700)),
    ("1650–1700", (1650, 1700)),
    ("1650 - 1700", (1650, 1700)),
    ("1650-70", (1650, 1670)),
    ("1765–66", (1765, 1766)),
    ("1695-05", (1695, 1705)),
    ("1690/95", (1690, 1695)),
    ("c. 1580–c. 1600", (1580, 1600)),
    ("1910 or 1911", (1910, 1911)),
    ("between 1650 and 1700", (1650, 1700)),
    ("1700-1650", (1650, 1700)),
    # decades and centuries
    ("1650s", (1650, 1659)),
    ("1600s", (1600, 1699)),
    ("early 1660s", (1660, 1663)),
    ("19th century", (1800, 1899)),
    ("19th-century", (1800, 1899)),
    ("early 19th century", (1800, 1833)),
    ("mid-18th century", (1733, 1766)),
    ("late 17th century", (1666, 1699)),
    ("first half 19th century", (1800, 1849)),
    ("second half 17th century", (1650, 1699)),
    ("3rd quarter of the 19th century", (1850, 1874)),
    ("Early sixteenth century", (1500, 1533)),
    ("mid-to late 19th century", (1833, 1899)),
    ("Early–mid-19th century", (1800, 1866)),
    ("6th–7th centuries", (500, 699)),
    ("14th or 15th century (?)", (1300, 1499)),
    # eras
    ("4th century CE", (300, 399)),
    ("4th century BCE", (-399, -300)),
    ("4th century B.C.", (-399, -300)),
    ("1st century CE", (1, 99)),
    ("1st century BCE", (-99, -1)),
    ("4th–3rd century BCE", (-399, -200)),
    ("1st century BCE–3rd century CE", (-99, 299)),
    ("1st half of the 5th century BCE", (-499, -450)),
    ("ca. 1390–1352 B.C.", (-1390, -1352)),
    ("330–70 BCE", (-330, -70)),
    ("A.D. 130–150", (130, 150)),
    ("3rd millennium BCE", (-2999, -2000)),
    ("2nd millennium CE", (1000, 1999)),
    # open-ended
    ("before 1700", (None, 1700)),
    ("after 1650", (1650, None)),
    ("1885 or later", (1885, None)),
    ("probably after 1500", (1500, None)),
    ("by 1893", (None, 1893)),
    ("before 16th century", (None, 1500)),
    # compound: the first readable part
    ("1855, reworked 1857–59", (1855, 1855)),
    ("modeled: early 17th century, cast: probably late 19th century", (1600, 1633)),
    ("Dynasty 18, ca. 1479–1425 B.C.", (-1479, -1425)),
    # nothing to read
    ("n.d.", (None, None)),
    ("n. d.", (None, None)),
    ("", (None, None)),
    ("   ", (None, None)),
    ("unknown", (None, None)),
    ("Date unknown", (None, None)),
    ("Dynasty 18", (None, None)),
    ("5", (None, None)),
    ("garbage", (None, None)),
]


@pytest.mark.parametrize("text, expected", CASES)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("junk", [None, 1650, "-", "–", "(?)", "ca.", "century", "early", "99999999", "1650-", "re:(", "\x00"])
def test_never_raises(junk):
    begin, end = parse_date(junk)
    assert begin is None or isinstance(begin, int)
    assert end is None or isinstance(end, int)


def test_begin_never_after_end():
    for text, _ in CASES:
        begin, end = parse_date(text)
        if begin is not None and end is not None:
            assert begin <= end, text


@pytest.mark.parametrize("text, begin, end, expected, notes", [
    ("ca. 1650", "1645", "1655", (1645, 1655), 0),  # numeric columns win
    ("ca. 1650", "", "", (1650, 1650), 0),  # fall back to the text
    ("19th century", "1800", "", (1800, 1899), 0),  # each end on its own
    ("", "0", "0", (None, None), 0),  # 0/0 is a placeholder
    ("4th century BCE", "-399", "-300.0", (-399, -300), 0),
    ("1650-70", "ca.", "1670", (1650, 1670), 1),  # not a year: a note, and the text
    ("7th–early 5th century BCE", "0", "-5", (-699, -466), 1),  # columns contradict: the text
    ("", "1785", "1779", (1779, 1785), 1),  # no text to fall back on: swapped
])
def test_resolve_years(text, begin, end, expected, notes):
    first, last, said = resolve_years(text, begin, end)
    assert (first, last) == expected and len(said) == notes


def test_parse_year():
    assert [parse_year(t) for t in ("1650", "-330", "1650.0", "", "ca. 1650", "1650.5", "nan", "inf", None)] == [
        1650, -330, 1650, None, None, None, None, None, None]
