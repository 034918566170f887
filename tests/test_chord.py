"""Tests for atlas.analysis.chord: the build-time SVG chord diagram."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest

from atlas.analysis.chord import PALETTE, arc_angles, chord_svg, palette

NS = {"svg": "http://www.w3.org/2000/svg"}
HREF = "href"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
EVIL = '<script>alert(1)</script> & "quote"'


def _matrix(n: int) -> list[list[float]]:
    """A row-normalised, non-symmetric similarity matrix with a zero diagonal."""
    rows = []
    for i in range(n):
        row = [0.0 if i == j else float(1 + (i * 3 + j * 7) % 5) for j in range(n)]
        total = sum(row)
        rows.append([v / total for v in row])
    return rows


def _render(labels: list[str], **kw) -> str:
    n = len(labels)
    return chord_svg(
        labels,
        kw.pop("matrix", _matrix(n)),
        kw.pop("counts", [10 * (i + 1) for i in range(n)]),
        kw.pop("links", [f"/culture/c{i}/" for i in range(n)]),
        **kw,
    )


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def _by_class(root: ET.Element, cls: str) -> list[ET.Element]:
    return [el for el in root.iter() if el.get("class") == cls]


def test_counts_of_arcs_and_ribbons() -> None:
    labels = ["Chinese", "Japanese", "Korean", "French", "Dutch"]
    root = _parse(_render(labels))
    assert len(_by_class(root, "chord-arc")) == 5
    ribbons = _by_class(root, "chord-ribbon")
    assert len(ribbons) == 5 * 4 // 2
    pairs = {(int(r.get("data-a")), int(r.get("data-b"))) for r in ribbons}
    assert pairs == {(i, j) for i in range(5) for j in range(i + 1, 5)}


def test_svg_attributes() -> None:
    root = _parse(_render(["A", "B"]))
    assert root.get("role") == "group"  # not img: its arcs are links (axe nested-interactive)
    assert root.get("aria-label")
    assert root.get("viewBox") == "0 0 720 720"
    assert root.get("width") == "100%"
    assert root.find("svg:title", NS) is not None


def test_each_arc_links_to_its_page_with_tooltip() -> None:
    labels = ["Chinese", "Japanese", "Korean"]
    root = _parse(_render(labels, counts=[64, 1, 3]))
    links = root.findall(".//svg:a", NS)
    assert len(links) == 3
    for i, a in enumerate(links):
        assert a.get(HREF) == f"/culture/c{i}/"
        assert a.get(XLINK_HREF) == f"/culture/c{i}/"
        arc = a.find("svg:path[@class='chord-arc']", NS)
        assert arc is not None
        assert arc.find("svg:title", NS) is not None
        label = a.find("svg:text", NS)
        assert label is not None and label.text == labels[i]
    titles = [a.find("svg:path/svg:title", NS).text for a in links]
    assert titles == ["Chinese — 64 works", "Japanese — 1 work", "Korean — 3 works"]


def test_ribbon_tooltip_and_colour_of_larger_value() -> None:
    matrix = [[0.0, 0.23, 0.77], [0.19, 0.0, 0.81], [0.5, 0.5, 0.0]]
    colours = ["#111111", "#222222", "#333333"]
    root = _parse(_render(["Chinese", "Japanese", "Korean"], matrix=matrix, colours=colours))
    ribbons = {(r.get("data-a"), r.get("data-b")): r for r in _by_class(root, "chord-ribbon")}
    r01 = ribbons[("0", "1")]
    assert r01.find("svg:title", NS).text == "Chinese ↔ Japanese: similarity 0.23 / 0.19"
    assert r01.get("fill") == "#111111"  # 0.23 > 0.19: Chinese's colour
    assert ribbons[("1", "2")].get("fill") == "#222222"  # 0.81 > 0.5
    assert ribbons[("0", "2")].get("fill") == "#111111"  # 0.77 > 0.5
    assert float(r01.get("fill-opacity")) == pytest.approx(0.6)


def test_labels_and_links_are_escaped() -> None:
    svg = _render([EVIL, "Plain"], links=['/c/"x"&y/', "javascript:alert(1)"])
    assert "<script>" not in svg
    assert '"quote"' not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quote&quot;" in svg
    root = _parse(svg)  # still well-formed
    texts = [el.text for el in root.iter() if el.text]
    assert any(EVIL in t for t in texts)  # the tooltip keeps the full label, unescaped once parsed
    links = root.findall(".//svg:a", NS)
    assert links[0].get(HREF) == '/c/"x"&y/'
    assert links[1].get(HREF) == "#"  # unsafe scheme dropped


def test_long_labels_are_shortened_but_tooltip_is_full() -> None:
    long = "Peoples of the Upper Sepik River region"
    root = _parse(_render([long, "B"]))
    a = root.findall(".//svg:a", NS)[0]
    assert a.find("svg:text", NS).text.endswith("…")
    assert a.find("svg:path/svg:title", NS).text.startswith(long)


def test_deterministic() -> None:
    labels = ["Chinese", "Japanese", "Korean", "French"]
    assert _render(labels) == _render(labels)
    assert "-0.00" not in _render(labels)


def test_arc_angles_proportional_and_sum() -> None:
    weights = [1.0, 2.0, 3.0, 4.0]
    gap = 0.05
    arcs = arc_angles(weights, gap)
    spans = [b - a for a, b in arcs]
    assert sum(spans) == pytest.approx(2 * math.pi - len(weights) * gap)
    for w, s in zip(weights, spans):
        assert s / spans[0] == pytest.approx(w / weights[0])
    # consecutive arcs are separated by exactly one gap and the last wraps round to the first
    for (_, end), (start, _) in zip(arcs, arcs[1:]):
        assert start - end == pytest.approx(gap)
    assert arcs[0][0] + 2 * math.pi - arcs[-1][1] == pytest.approx(gap)


def test_arc_angles_edge_cases() -> None:
    assert arc_angles([], 0.1) == []
    assert arc_angles([5.0], 0.0) == [(0.0, pytest.approx(2 * math.pi))]
    equal = arc_angles([0.0, 0.0, 0.0], 0.1)
    spans = [b - a for a, b in equal]
    assert spans == pytest.approx([spans[0]] * 3)
    with pytest.raises(ValueError):
        arc_angles([1.0, -1.0], 0.1)
    with pytest.raises(ValueError):
        arc_angles([1.0, 1.0], 4.0)


def test_ribbons_use_symmetrised_matrix_and_arcs_row_sums() -> None:
    """Arc spans in the SVG follow arc_angles of the symmetrised row sums (checked via endpoints)."""
    matrix = [[0.0, 0.9, 0.1], [0.5, 0.0, 0.5], [0.2, 0.8, 0.0]]
    root = _parse(_render(["A", "B", "C"], matrix=matrix, size=1000))
    sym_rows = [
        sum((matrix[i][j] + matrix[j][i]) / 2 for j in range(3)) for i in range(3)
    ]
    expected = arc_angles(sym_rows, 0.04)
    cx = cy = 500.0
    for (a0, _), arc in zip(expected, _by_class(root, "chord-arc")):
        x, y = (float(v) for v in arc.get("d")[1:].split(" ")[0].split(","))
        assert math.atan2(x - cx, cy - y) % (2 * math.pi) == pytest.approx(a0, abs=1e-3)


def test_zero_cultures() -> None:
    svg = chord_svg([], [], [], [])
    root = _parse(svg)
    assert root.get("role") == "group"  # not img: its arcs are links (axe nested-interactive)
    assert not _by_class(root, "chord-arc")
    assert "No cultures" in "".join(root.itertext())


def test_one_culture_is_a_full_ring_without_ribbons() -> None:
    root = _parse(chord_svg(["Chinese"], [[0.0]], [64], ["/culture/chinese/"]))
    arcs = _by_class(root, "chord-arc")
    assert len(arcs) == 1
    assert not _by_class(root, "chord-ribbon")
    assert root.find(".//svg:a", NS).get(HREF) == "/culture/chinese/"


def test_zero_rows() -> None:
    matrix = [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    root = _parse(_render(["A", "B", "C"], matrix=matrix))
    assert len(_by_class(root, "chord-arc")) == 3
    assert len(_by_class(root, "chord-ribbon")) == 3
    assert not re.search(r"\bnan\b", ET.tostring(root, encoding="unicode"), re.I)


def test_one_zero_row_among_others() -> None:
    matrix = [[0.0, 0.0, 0.0], [0.5, 0.0, 0.5], [0.5, 0.5, 0.0]]
    svg = _render(["A", "B", "C"], matrix=matrix)
    root = _parse(svg)
    assert len(_by_class(root, "chord-ribbon")) == 3
    assert not re.search(r"\bnan\b", svg, re.I)


def test_mismatched_inputs_raise() -> None:
    with pytest.raises(ValueError):
        chord_svg(["A", "B"], [[0.0, 1.0], [1.0, 0.0]], [1], ["/a/", "/b/"])
    with pytest.raises(ValueError):
        chord_svg(["A", "B"], [[0.0, 1.0]], [1, 2], ["/a/", "/b/"])


def test_palette_cycles() -> None:
    assert len(PALETTE) >= 10
    assert len(set(PALETTE)) == len(PALETTE)
    p = palette(len(PALETTE) + 2)
    assert p[: len(PALETTE)] == list(PALETTE)
    assert p[len(PALETTE):] == list(PALETTE[:2])
    assert palette(0) == []


def test_custom_colours_cycle() -> None:
    root = _parse(_render(["A", "B", "C"], colours=["#abcdef"]))
    assert {a.get("fill") for a in _by_class(root, "chord-arc")} == {"#abcdef"}
