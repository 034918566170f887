"""Raw culture and medium labels -> the groups the atlas uses as conditions ("England" -> "British").

Catalogues spell one culture many ways ("British", "England", "British, London", "United Kingdom")
and analogies are only meaningful across groups with enough works, so each label goes through the
rules in site.yaml, and groups smaller than `min_group_size` are not used. Everything that happens
is counted (groups, dropped groups, rule hits) and explained (warning Problems) for the build report.

Matching, in this order (the first that applies wins):
1. the rules, group by group in file order: a plain entry matches the label case-insensitively after
   Unicode NFC normalisation, stripping and collapsing whitespace (labels.clean); an entry "re:<regex>" matches when re.search finds it
   (case-insensitive) in the cleaned label;
2. a label equal to a group's own name (so "British" needs no rule in the group "British");
3. otherwise, with keep_unmatched, the label forms its own group, named as first written.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace

from atlas.core.config import LabelRules, LabelsConfig
from atlas.core.records import CONDITIONS, Problem, Record


@dataclass
class LabelResult:
    records: list[Record]  # same order, with .culture and .medium set
    problems: list[Problem]  # severity "warning": empty label, unmatched label, group under min size
    groups: dict[str, dict[str, int]]  # {"culture": {group: count}, "medium": {...}}: kept groups, by name
    dropped: dict[str, dict[str, int]] = field(default_factory=dict)  # groups under min_group_size
    rule_hits: dict[str, dict[str, int]] = field(default_factory=dict)  # {"culture": {group: records a rule mapped}}


# Invisible characters that only separate words: read as spaces, so "Chinese\u200b" is "Chinese".
_INVISIBLE_SPACES = str.maketrans({"\u200b": " ", "\u2060": " ", "\ufeff": " "})


def clean(value: str) -> str:
    """A label as compared and shown: Unicode NFC, surrounding whitespace stripped, inner runs collapsed.

    NFC because catalogues mix composed and decomposed accents ("Meso\u0301" vs "Mes\u00f3"): both are one
    group. Whitespace is any Unicode space (no-break, ideographic, tab, newline) and the zero-width ones."""
    text = unicodedata.normalize("NFC", str(value or "")).translate(_INVISIBLE_SPACES)
    return " ".join(text.split())


REGEX_PREFIX = "re:"


def rule_pattern(entry: str) -> re.Pattern:
    """The regex of a "re:" rule entry, compiled as matching uses it (case-insensitive). Raises re.error;
    shared with atlas.preflight so that a pattern checked before the build is the pattern the build runs."""
    return re.compile(entry[len(REGEX_PREFIX):].strip(), re.IGNORECASE)


def rule_key(entry: str) -> tuple[str, str]:
    """What a rule entry matches, comparable between entries: ("re", pattern) or ("text", folded label)."""
    entry = str(entry).strip()
    if entry.startswith(REGEX_PREFIX):
        return "re", entry[len(REGEX_PREFIX):].strip()
    return "text", clean(entry).casefold()


class _Matcher:
    """The rules of one field, compiled once; answers are cached per distinct label."""

    def __init__(self, field_name: str, rules: LabelRules):
        self.groups = list(rules.rules)
        self.literals: dict[str, int] = {}
        self.patterns: list[tuple[int, re.Pattern]] = []
        for index, (group, entries) in enumerate(rules.rules.items()):
            for entry in entries:
                self._add(index, str(entry).strip(), f"labels.{field_name}.rules.{group}")
        self.names = {}
        for group in self.groups:
            self.names.setdefault(clean(group).casefold(), group)
        self.cache: dict[str, tuple[str | None, bool]] = {}

    def _add(self, index: int, entry: str, where: str) -> None:
        if entry.startswith(REGEX_PREFIX):
            try:
                self.patterns.append((index, rule_pattern(entry)))
            except re.error as exc:
                raise ValueError(f"{where}: '{entry}' is not a valid regular expression: {exc}") from exc
        else:
            self.literals.setdefault(clean(entry).casefold(), index)

    def match(self, label: str) -> tuple[str | None, bool]:
        """(group, whether a rule matched) for a cleaned, non-empty label; group None when none does."""
        key = label.casefold()
        if key not in self.cache:
            best = self.literals.get(key)
            for index, pattern in self.patterns:
                if best is not None and index >= best:
                    break
                if pattern.search(label):
                    best = index
                    break
            if best is not None:
                self.cache[key] = (self.groups[best], True)
            else:
                self.cache[key] = (self.names.get(key), False)
        return self.cache[key]


def normalise_labels(records: list[Record], labels: LabelsConfig) -> LabelResult:
    """Set `culture` and `medium` on every record from its raw labels and the rules in `labels`."""
    problems: list[Problem] = []
    result = LabelResult(records=[], problems=problems, groups={}, dropped={}, rule_hits={})
    assigned: dict[str, list[str | None]] = {}
    for name in CONDITIONS:
        rules: LabelRules = getattr(labels, name)
        values, hits = _assign(records, name, rules, problems)
        result.groups[name], result.dropped[name] = _apply_min_size(values, name, rules.min_group_size, problems)
        result.rule_hits[name] = hits
        assigned[name] = values
    result.records = [
        replace(r, culture=c, medium=m) for r, c, m in zip(records, assigned["culture"], assigned["medium"])
    ]
    return result


def _assign(records: list[Record], name: str, rules: LabelRules, problems: list[Problem]) -> tuple[list[str | None], dict[str, int]]:
    """Each record's group before the size check, and how many records each rule group caught."""
    matcher = _Matcher(name, rules)
    hits = {group: 0 for group in matcher.groups}
    if records and not any(clean(getattr(r, f"{name}_raw")) for r in records):
        # A collection without this column at all (WikiArt has no medium): one warning, not one per record.
        reason = f"no record has a {name}; {name} is not used as a condition"
        problems.append(Problem("labels", "", reason, severity="warning"))
        return [None] * len(records), hits
    own_groups: dict[str, str] = {}  # casefolded label -> name as first written
    unmatched: Counter[str] = Counter()
    values: list[str | None] = []
    for record in records:
        label = clean(getattr(record, f"{name}_raw"))
        if not label:
            problems.append(Problem("labels", record.id, f"no {name} given", line=record.source_line, severity="warning"))
            values.append(None)
            continue
        group, by_rule = matcher.match(label)
        if by_rule:
            hits[group] += 1
        elif group is None and rules.keep_unmatched:
            group = own_groups.setdefault(label.casefold(), label)
        elif group is None:
            unmatched[own_groups.setdefault(label.casefold(), label)] += 1
        values.append(group)
    for label, count in sorted(unmatched.items(), key=lambda item: _order(item[0])):
        reason = f"{name} '{label}' matches no rule ({count} record{'s' * (count != 1)}); not used (keep_unmatched is false)"
        problems.append(Problem("labels", "", reason, severity="warning"))
    return values, hits


def _apply_min_size(values: list[str | None], name: str, min_size: int, problems: list[Problem]) -> tuple[dict[str, int], dict[str, int]]:
    """Blank out groups too small to compare against; returns (kept, dropped) counts, by name."""
    counts = Counter(v for v in values if v is not None)
    kept = {g: n for g, n in sorted(counts.items(), key=lambda item: _order(item[0])) if n >= min_size}
    dropped = {g: n for g, n in sorted(counts.items(), key=lambda item: _order(item[0])) if n < min_size}
    for group, count in dropped.items():
        reason = (f"{name} group '{group}' has {count} record{'s' * (count != 1)}, fewer than min_group_size "
                  f"{min_size}; its records get no {name}")
        problems.append(Problem("labels", "", reason, severity="warning"))
    for i, value in enumerate(values):
        if value in dropped:
            values[i] = None
    return kept, dropped


def _order(label: str) -> tuple[str, str]:
    """Sort by name case-insensitively, ties by exact text, so output never depends on input order."""
    return label.casefold(), label


DEFAULT_NAMES = {"culture": ("Culture", "Cultures"), "medium": ("Medium", "Media")}


def condition_names(labels: LabelsConfig) -> dict[str, dict[str, str]]:
    """How pages name each condition: {"culture": {"one": "Style", "many": "Styles", "lower": ..., "lower_many": ...}}.

    The two conditions stay `culture` and `medium` inside the pipeline; a collection whose condition is
    something else (WikiArt's style) maps that column onto `culture` and names it here (labels.culture.title).
    """
    names = {}
    for name in CONDITIONS:
        rules: LabelRules = getattr(labels, name)
        one = clean(rules.title) or DEFAULT_NAMES[name][0]
        many = clean(rules.title_plural) or (DEFAULT_NAMES[name][1] if not clean(rules.title) else one + "s")
        names[name] = {"one": one, "many": many, "lower": one.lower(), "lower_many": many.lower()}
    return names


def rule_hits_line(rule_hits: dict[str, dict[str, int]], records: int) -> str:
    """One line for the build summary: how many records each label rule group caught."""
    parts = []
    for name, hits in rule_hits.items():
        shown = ", ".join(f"{group} {n:,}" for group, n in hits.items())
        parts.append(f"{name}: {shown if shown else 'no rules'}")
    return f"label rules matched (over all {records:,} records read): " + "; ".join(parts)
