"""A chord diagram of culture-to-culture similarity, rendered to a static SVG string at build time.

No JavaScript is needed to view it: the outer arcs are links to the culture pages, and every arc and
ribbon carries a `<title>` that browsers show as a tooltip.

Layout (documented because the tests rely on it):

* The input matrix `M` (row-normalised, diagonal ignored, not symmetric) is symmetrised to
  `S = (M + M.T) / 2`. Ribbon widths come from `S`.
* Each culture's arc spans an angle proportional to its row sum of `S` (see `arc_angles`), with a
  fixed padding gap after every arc. So that no culture vanishes (and stays clickable), weights are
  floored at 2% of the mean weight. When every weight is zero (all rows zero), arcs are equal.
* Inside arc `i`, the ribbon to culture `j` takes a slice of width `span_i * S[i, j] / rowsum_i`,
  ordered so that ribbons to neighbouring arcs sit next to them (fewer crossings).
* Angles are measured in radians clockwise from 12 o'clock; the first arc starts half a gap past 0.

Output is deterministic (fixed 2-decimal formatting, no generated ids) and every piece of text or
URL is escaped, since labels come from untrusted collection metadata.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape, quoteattr

import numpy as np

__all__ = ["PALETTE", "arc_angles", "chord_svg", "palette"]

# Twelve distinguishable, fairly saturated colours that keep contrast on a light background
# (Tableau/D3 hues with the palest ones replaced by darker variants).
PALETTE: tuple[str, ...] = (
    "#1f77b4",  # blue
    "#d62728",  # red
    "#2ca02c",  # green
    "#ff7f0e",  # orange
    "#9467bd",  # purple
    "#8c564b",  # brown
    "#e377c2",  # pink
    "#17becf",  # cyan
    "#9a9a1e",  # olive
    "#393b79",  # indigo
    "#637939",  # moss
    "#7f7f7f",  # grey
)

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
GAP = 0.04  # radians of padding after each arc (shrunk when there are many cultures)
MAX_GAP_SHARE = 0.25  # the gaps never take more than this share of the circle
WEIGHT_FLOOR = 0.02  # minimum arc weight, as a share of the mean weight
RIBBON_OPACITY = 0.6
R_OUT = 0.31  # outer radius of the ring, as a share of `size` (the rest is room for labels)
RING = 0.035  # thickness of the ring, as a share of `size`
LABEL_OFFSET = 0.012  # gap between ring and labels, as a share of `size`
LABEL_MAX_CHARS = 18
SAFE_SCHEMES = ("http:", "https:", "mailto:")


def palette(n: int) -> list[str]:
    """Return `n` colours from the default palette, cycling when `n` exceeds its length."""
    return [PALETTE[i % len(PALETTE)] for i in range(max(n, 0))]


def arc_angles(weights: list[float], gap: float) -> list[tuple[float, float]]:
    """Return `(start, end)` angles (radians, clockwise from 12 o'clock) for one arc per weight.

    Spans are proportional to the weights and sum to `2π - len(weights) * gap`; each arc is
    followed by a gap of `gap`, and the first starts at `gap / 2`. All-zero weights give equal arcs.
    """
    n = len(weights)
    if n == 0:
        return []
    w = np.asarray(weights, dtype=float)
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite and non-negative")
    if gap < 0 or n * gap >= 2 * math.pi:
        raise ValueError(f"gap {gap} does not leave room for {n} arcs")
    total = float(w.sum())
    shares = w / total if total > 0 else np.full(n, 1.0 / n)
    room = 2 * math.pi - n * gap
    out: list[tuple[float, float]] = []
    start = gap / 2
    for share in shares:
        end = start + room * float(share)
        out.append((start, end))
        start = end + gap
    return out


def _gap_for(n: int) -> float:
    """Padding between arcs: `GAP`, shrunk for many cultures, none for a single full ring."""
    if n <= 1:
        return 0.0
    return min(GAP, MAX_GAP_SHARE * 2 * math.pi / n)


_QUOTES = {'"': "&quot;", "'": "&#39;"}


def _esc(text: str) -> str:
    """Escape text content: `& < >` and both quotes (harmless in text, safer if ever reused)."""
    return escape(text, _QUOTES)


def _attr(value: str) -> str:
    """A fully escaped, double-quoted attribute value (quotes, `&`, `<`, `>`, newlines)."""
    return quoteattr(value, _QUOTES)


def _f(x: float) -> str:
    """Format a coordinate with 2 decimals, never as `-0.00`."""
    s = f"{x:.2f}"
    return "0.00" if s == "-0.00" else s


def _point(cx: float, cy: float, r: float, angle: float) -> str:
    """`x,y` of the point at `angle` (clockwise from 12 o'clock) on the circle of radius `r`."""
    return f"{_f(cx + r * math.sin(angle))},{_f(cy - r * math.cos(angle))}"


def _arc_to(cx: float, cy: float, r: float, a0: float, a1: float) -> str:
    """Path commands drawing a circular arc from `a0` to `a1` (the pen is already at `a0`).

    The arc is split into pieces of at most a quarter turn, so full circles and large arcs draw
    without large-arc-flag ambiguity; it runs clockwise when `a1 > a0`, anticlockwise otherwise.
    """
    steps = max(1, math.ceil(abs(a1 - a0) / (math.pi / 2) - 1e-9))
    sweep = 1 if a1 >= a0 else 0
    cmds = []
    for k in range(1, steps + 1):
        a = a0 + (a1 - a0) * k / steps
        cmds.append(f"A{_f(r)},{_f(r)} 0 0 {sweep} {_point(cx, cy, r, a)}")
    return " ".join(cmds)


def _arc_path(cx: float, cy: float, r_in: float, r_out: float, a0: float, a1: float) -> str:
    """Path data of the annulus sector between radii `r_in`, `r_out` and angles `a0`..`a1`."""
    return (
        f"M{_point(cx, cy, r_out, a0)} {_arc_to(cx, cy, r_out, a0, a1)} "
        f"L{_point(cx, cy, r_in, a1)} {_arc_to(cx, cy, r_in, a1, a0)} Z"
    )


def _ribbon_path(cx: float, cy: float, r: float, src: tuple[float, float], dst: tuple[float, float]) -> str:
    """Path data of a ribbon joining two slices of the inner circle with Béziers through the centre."""
    c = f"{_f(cx)},{_f(cy)}"
    return (
        f"M{_point(cx, cy, r, src[0])} {_arc_to(cx, cy, r, src[0], src[1])} "
        f"Q{c} {_point(cx, cy, r, dst[0])} {_arc_to(cx, cy, r, dst[0], dst[1])} "
        f"Q{c} {_point(cx, cy, r, src[0])} Z"
    )


def _safe_href(url: str) -> str:
    """Return `url` unless it names a scheme other than http(s)/mailto (e.g. `javascript:`), else `#`."""
    head = url.strip().split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if ":" in head and not head.lower().startswith(SAFE_SCHEMES):
        return "#"
    return url


def _short(label: str) -> str:
    """Shorten a long label for display (the full text stays in the tooltip)."""
    label = " ".join(label.split())
    return label if len(label) <= LABEL_MAX_CHARS else label[: LABEL_MAX_CHARS - 1].rstrip() + "…"


def _symmetrise(matrix: list[list[float]], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Clean the raw matrix (NaN/negative → 0, diagonal → 0) and return it with its symmetrisation."""
    m = np.asarray(matrix, dtype=float).reshape(n, n) if n else np.zeros((0, 0))
    m = np.where(np.isfinite(m) & (m > 0), m, 0.0)
    np.fill_diagonal(m, 0.0)
    return m, (m + m.T) / 2


def _slices(s: np.ndarray, arcs: list[tuple[float, float]]) -> dict[tuple[int, int], tuple[float, float]]:
    """Angular slice of arc `i` given to the ribbon towards `j`, for every ordered pair `(i, j)`.

    Within arc `i`, slices run clockwise for j = i-1, i-2, …, i+1 (mod n): the ribbon to the
    previous arc starts the arc and the one to the next arc ends it, which keeps ribbons apart.
    """
    n = len(arcs)
    out: dict[tuple[int, int], tuple[float, float]] = {}
    for i, (a0, a1) in enumerate(arcs):
        row = float(s[i].sum())
        pos = a0
        for k in range(1, n):
            j = (i - k) % n
            width = (a1 - a0) * float(s[i, j]) / row if row > 0 else 0.0
            out[(i, j)] = (pos, pos + width)
            pos += width
    return out


def _svg_open(size: int, height: int, label: str) -> str:
    """The opening `<svg>` tag and its accessible `<title>`. role=group, not img: the arcs and ribbons are
    links, and an image may hold no focusable element (axe-core nested-interactive)."""
    return (
        f'<svg xmlns="{SVG_NS}" xmlns:xlink="{XLINK_NS}" class="chord" viewBox="0 0 {size} {height}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet" role="group" aria-label={_attr(label)} '
        f'font-size="{_f(size / 56)}" style="max-width:{size}px;height:auto">'
        f"<title>{_esc(label)}</title>"
    )


def _label_svg(cx: float, cy: float, r: float, angle: float, text: str) -> str:
    """A label just outside the ring, radial, anchored so that it never reads upside down."""
    deg = math.degrees(angle)
    right = math.sin(angle) >= -1e-9  # right half of the circle (incl. top and bottom)
    rotate = (deg - 90 if right else deg + 90) % 360
    rotate = rotate - 360 if rotate > 180 else rotate
    anchor = "start" if right else "end"
    return (
        f'<text class="chord-label" transform="translate({_point(cx, cy, r, angle)}) rotate({_f(rotate)})" '
        f'text-anchor="{anchor}" dominant-baseline="central" fill="currentColor">{_esc(_short(text))}</text>'
    )


def _works(count: int) -> str:
    """"64 works" / "1 work"."""
    return f"{count} work" if count == 1 else f"{count} works"


def _ribbons_svg(labels: list[str], raw: np.ndarray, sym: np.ndarray, arcs: list[tuple[float, float]],
                 cols: list[str], size: int) -> str:
    """One `chord-ribbon` path per pair i<j, coloured by the culture with the larger raw value."""
    c, r_in = size / 2, size * (R_OUT - RING)
    slices = _slices(sym, arcs)
    parts = ['<g class="chord-ribbons">']
    for i in range(len(labels)):
        for j in range(i + 1, len(labels)):
            owner = i if raw[i, j] >= raw[j, i] else j
            tip = f"{labels[i]} ↔ {labels[j]}: similarity {raw[i, j]:.2f} / {raw[j, i]:.2f}"
            parts.append(
                f'<path class="chord-ribbon" data-a="{i}" data-b="{j}" fill={_attr(cols[owner])} '
                f'fill-opacity="{RIBBON_OPACITY}" d="{_ribbon_path(c, c, r_in, slices[(i, j)], slices[(j, i)])}">'
                f"<title>{_esc(tip)}</title></path>"
            )
    return "".join(parts) + "</g>"


def _arcs_svg(labels: list[str], counts: list[int], links: list[str], arcs: list[tuple[float, float]],
              cols: list[str], size: int) -> str:
    """One linked `chord-arc` path per culture, with its tooltip and outside label."""
    c, r_out = size / 2, size * R_OUT
    parts = ['<g class="chord-arcs">']
    for i, (a0, a1) in enumerate(arcs):
        href = _attr(_safe_href(links[i]))
        parts.append(
            f"<a href={href} xlink:href={href}>"
            f'<path class="chord-arc" data-i="{i}" fill={_attr(cols[i])} '
            f'd="{_arc_path(c, c, r_out - size * RING, r_out, a0, a1)}">'
            f"<title>{_esc(f'{labels[i]} — {_works(counts[i])}')}</title></path>"
            f"{_label_svg(c, c, r_out + size * LABEL_OFFSET, (a0 + a1) / 2, labels[i])}</a>"
        )
    return "".join(parts) + "</g>"


def _empty_svg(size: int) -> str:
    """A short svg saying there is nothing to draw."""
    return (
        _svg_open(size, size // 6, "Chord diagram: no cultures")
        + f'<text x="{_f(size / 2)}" y="{_f(size / 12)}" text-anchor="middle" dominant-baseline="central" '
        'fill="currentColor">No cultures to compare.</text></svg>'
    )


def chord_svg(
    labels: list[str],
    matrix: list[list[float]],
    counts: list[int],
    links: list[str],
    size: int = 720,
    colours: list[str] | None = None,
    noun: str = "cultures",
) -> str:
    """Return a complete `<svg>` element (string) drawing a chord diagram of culture similarity.
    `noun` names the groups in its accessible label, as site.yaml names the condition ("nationalities").

    `matrix[i][j]` is the normalised similarity of culture i to culture j (rows sum to 1, not
    symmetric); `counts[i]` the number of works and `links[i]` the culture page URL. Arcs are
    proportional to the row sums of the symmetrised matrix (see the module docstring). Colours
    default to `palette(n)` and cycle when fewer than n are given. Raises ValueError when the
    inputs disagree on n.
    """
    n = len(labels)
    if len(counts) != n or len(links) != n or len(matrix) != n or any(len(row) != n for row in matrix):
        raise ValueError("labels, matrix (n×n), counts and links must describe the same n cultures")
    if n == 0:
        return _empty_svg(size)
    cols = list(colours) if colours else palette(n)
    cols = [cols[i % len(cols)] for i in range(n)]
    raw, sym = _symmetrise(matrix, n)
    weights = sym.sum(axis=1)
    if weights.sum() > 0:
        weights = np.maximum(weights, WEIGHT_FLOOR * weights.mean())
    arcs = arc_angles(weights.tolist(), _gap_for(n))
    return (
        _svg_open(size, size, f"Chord diagram of visual similarity between {n} {noun}")
        + _ribbons_svg(labels, raw, sym, arcs, cols, size)
        + _arcs_svg(labels, counts, links, arcs, cols, size)
        + "</svg>"
    )
