"""The URL ledger's file (atlas.site.ledger.Ledger.to_json): read back whole, one page and one work per line."""

from __future__ import annotations

import json

from atlas.site import urls
from atlas.site.ledger import Ledger


def test_the_ledger_file_reads_back_whole_with_one_page_and_one_work_per_line(tmp_path):
    works = {
        "S2": {"title": 'Line one\nline two, "quoted" \u2028 and \u00e9', "artist": "</script>", "analogies": ["S1"]},
        "S1": {"title": "\U0001F3A8 brush", "artist": "", "analogies": []},
    }
    ledger = Ledger({"work/S2/", "work/S1/", "pair/S1/S2/"}, works, {"work": {"CON": "CON-1"}})
    data = ledger.to_json()
    path = tmp_path / urls.ledger_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(data)

    back = Ledger.load(tmp_path)
    assert (back.pages, back.works, back.names) == (ledger.pages, ledger.works, ledger.names)
    assert json.loads(data) == {"format": 1, "pages": sorted(ledger.pages), "works": works, "names": ledger.names}
    lines = data.decode("utf-8").splitlines()
    assert [line for line in lines if line.startswith('"work/') or line.startswith('"pair/')] == \
        [f'"{p}",' for p in sorted(ledger.pages)[:-1]] + [f'"{sorted(ledger.pages)[-1]}"']
    assert sum(line.startswith(('"S1": ', '"S2": ')) for line in lines) == 2  # a newline in a title stays escaped
    assert Ledger(set(ledger.pages), dict(reversed(works.items())), ledger.names).to_json() == data  # sorted: stable


def test_an_empty_ledger_is_valid_json():
    assert json.loads(Ledger().to_json()) == {"format": 1, "pages": [], "works": {}}
