"""The build report: what was read, skipped and changed, why, and how long each stage took.

The same data is printed as a one-screen summary at the end of a build and written as report.json and
report.html beside the published folder (not inside it: reasons name internal file paths that a public
site need not show). The about page shows the counts.
"""

from __future__ import annotations

import html
import json
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

from atlas.core.records import Problem
from atlas.core.stage_cache import Decision
from atlas.core.text import printable


@dataclass
class BuildReport:
    problems: list[Problem] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # stage -> seconds
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # decisions worth knowing: weights, search method...
    model: dict = field(default_factory=dict)
    decisions: list[Decision] = field(default_factory=list)  # per stage: reused or recomputed, and why

    @contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(time.perf_counter() - start, 3)

    def add(self, problems: list[Problem]) -> None:
        self.problems.extend(problems)

    @property
    def skipped(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "skipped"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "skipped"]

    def as_dict(self) -> dict:
        return {
            "counts": self.counts,
            "timings_s": self.timings,
            "model": self.model,
            "notes": self.notes,
            "stages": {d.stage: {"reused": d.reused, "reason": d.reason} for d in self.decisions},
            "problems": [p.as_dict() for p in self.problems],
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"

    def summary(self, max_lines: int = 12) -> str:
        """The one-screen summary printed at the end of a build. Each line is printable (atlas.core.text): a
        record id or a reason holding an escape sequence or a newline cannot rewrite the terminal."""
        lines = ["", "Build summary", "-------------"]
        lines += [f"{key.replace('_', ' ')}: {value:,}" for key, value in self.counts.items()]
        lines.append("time per stage: " + ", ".join(f"{k} {v:.1f}s" for k, v in self.timings.items()))
        if self.decisions:
            reused = [d.stage for d in self.decisions if d.reused]
            lines.append(f"reused: {', '.join(reused) or 'nothing'}; recomputed: "
                         f"{', '.join(d.stage for d in self.decisions if not d.reused) or 'nothing'} (--explain says why)")
        lines += [f"note: {note}" for note in self.notes]
        for title, items in (("skipped records", self.skipped), ("warnings", self.warnings)):
            if items:
                kinds = Counter(f"[{p.stage}] {p.reason.split(':')[0]}" for p in items)
                lines.append(f"{title} ({len(items)}), by reason:")
                lines += [f"  {n:>6} x {kind}" for kind, n in sorted(kinds.items(), key=lambda t: (-t[1], t[0]))]
                lines += [f"  - {_describe(p)}" for p in items[:max_lines]]
                if len(items) > max_lines:
                    lines.append(f"  ... and {len(items) - max_lines} more (see report.json / report.html)")
        return "\n".join(printable(line) for line in lines)  # ids and reasons come from the data: escaped

    def explain(self) -> str:
        """One line per stage: reused or recomputed, and why."""
        return "\n".join(["", "Stages", "------", *(printable(d.line()) for d in self.decisions)])

    def to_html(self, title: str) -> str:
        rows = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in p.as_dict().values()) + "</tr>"
            for p in self.problems
        )
        head = "".join(f"<th>{h}</th>" for h in ("stage", "record", "reason", "file", "line", "severity"))
        counts = "".join(f"<li>{html.escape(k)}: {v}</li>" for k, v in self.counts.items())
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        notes += "".join(f"<li>{html.escape(d.line())}</li>" for d in self.decisions)
        return (
            f"<!doctype html><meta charset=utf-8><title>Build report: {html.escape(title)}</title>"
            f"<h1>Build report</h1><ul>{counts}</ul><ul>{notes}</ul>"
            f"<table border=1><tr>{head}</tr>{rows}</table>\n"
        )


def _describe(p: Problem) -> str:
    where = f" ({p.file}" + (f", line {p.line}" if p.line else "") + ")" if p.file else (f" (line {p.line})" if p.line else "")
    record = f"{p.record}: " if p.record else ""
    return f"[{p.stage}] {record}{p.reason}{where}"
