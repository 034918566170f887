"""What a pattern's page shows beyond its works: the curator's text, the suggested members, and for a
proposed pattern the patterns.yaml entry a curator pastes to confirm or reject it.

The entry lists the proposal's members by id, so what the curator confirms is exactly what the page
showed, whatever the next clustering proposes (atlas.core.patterns_file).
"""

from __future__ import annotations

import json

from atlas.analysis.patterns import Pattern
from atlas.site.context import SiteContext


def pattern_view(ctx: SiteContext, p: Pattern) -> dict:
    """The template's view of one pattern (confirmed or proposed)."""
    return {
        **p.to_json(),
        "url": ctx.url("pattern", p.id),
        "works": [ctx.work_view(i) for i in p.members],
        "suggested": [ctx.work_view(i) for i in p.suggestions if i in ctx.by_id],
        "paragraphs": [part.strip() for part in p.text.split("\n\n") if part.strip()],
        "entry": yaml_entry(p) if p.status == "proposed" else "",
    }


def yaml_entry(p: Pattern) -> str:
    """A patterns.yaml entry for this proposal, ids quoted as JSON strings (valid YAML whatever the id holds)."""
    members = ", ".join(json.dumps(m, ensure_ascii=False) for m in p.members)
    return (f"- name: \"\"            # give it a name to confirm it; its URL becomes pattern/<name>/\n"
            f"  status: confirmed     # or: rejected (it is then not proposed again)\n"
            f"  members: [{members}]\n"
            f"  # add: [ids]          # works to add, e.g. from the suggestions below\n"
            f"  # remove: [ids]       # works to take out\n"
            f"  # text: the curator's text for the pattern's page\n")
