"""How the Met example's label rules normalise The Met's real metadata (../shared/data/met-metadata).

    python benchmarks/met_labels.py

Reads MetObjects-sample.csv through the `met` preset with examples/met/site.yaml and prints, per group:
how many records a rule caught (LabelResult.rule_hits, the figure in the build summary), how many of those
had a raw label different from the group's name (records the rules actually renamed), and the group's
size after the minimum-size check; then the records with no label and those left in groups too small to
be a condition. Writes benchmarks/results/met_labels.json.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from atlas.core.config import load_config
from atlas.ingest.labels import clean, normalise_labels
from atlas.ingest.readers import read_collection

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    config = load_config(ROOT / "examples" / "met" / "site.yaml")
    records = read_collection(config.collection, config.root).records
    labelled = normalise_labels(records, config.labels)
    out = {"records": len(records),
           "culture_from_artist_nationality": sum(1 for r in records if r.extra.get("culture_source")), "fields": {}}
    for field in ("culture", "medium"):
        renamed = Counter(getattr(r, field) for r in labelled.records
                          if getattr(r, field) and clean(getattr(r, f"{field}_raw")) != getattr(r, field))
        groups = {g: {"rule_hits": n, "renamed": renamed[g], "works": labelled.groups[field].get(g, 0)}
                  for g, n in labelled.rule_hits[field].items()}
        out["fields"][field] = {
            "groups": groups,
            "no_label": sum(1 for r in records if not clean(getattr(r, f"{field}_raw"))),
            "in_small_groups": sum(labelled.dropped[field].values()),
            "small_groups": len(labelled.dropped[field]),
        }
        print(f"\n{field} ({len(records):,} records)\n\n| group | caught by a rule | renamed | in group |\n|---|---:|---:|---:|")
        for g, v in groups.items():
            print(f"| {g} | {v['rule_hits']:,} | {v['renamed']:,} | {v['works']:,} |")
        f = out["fields"][field]
        print(f"\nno {field}: {f['no_label']:,}; in {f['small_groups']} groups under min_group_size: {f['in_small_groups']:,}")
    print(f"\nculture taken from Artist Nationality (Culture empty): {out['culture_from_artist_nationality']:,}")
    path = ROOT / "benchmarks" / "results" / "met_labels.json"
    path.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
