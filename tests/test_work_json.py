"""The compact work JSON (atlas/site/work_json.py): what the writer puts in, the reader gives back, with
the long names every script and test uses; empty values are left out of the file."""

from __future__ import annotations

import json
from types import SimpleNamespace

from atlas.core.jsonio import json_bytes
from atlas.core.records import Record
from atlas.site.work_json import FIELDS, SCHEMA, read_work_json, work_record


def fake_context(record: Record, analogies: dict) -> SimpleNamespace:
    view = {"title": record.title or "Untitled", "date": record.date_text, "credit": record.credit, "rights": record.rights,
            "source_link": record.source_url, "url": f"/work/{record.id}/", "thumb": f"/thumbs/480/{record.id}.jpg",
            "image": f"/thumbs/480/{record.id}.jpg"}
    return SimpleNamespace(work_view=lambda _id: view, data=SimpleNamespace(analogies={record.id: analogies}))


def test_what_is_written_reads_back_with_its_long_names():
    record = Record(id="a/b 1", title="Vase <b>", artist="Anon", date_text="c. 1650", culture="Dutch", medium="Ceramic",
                    culture_raw="Holland", medium_raw="Delftware", date_begin=-500, date_end=1700, credit="Gift",
                    rights="CC0", source_url="https://example.org/1")
    analogies = {"culture": {"Côte d'Ivoire": [("x", 0.5), ("y", -0.25)], "Dutch": [("z", 0.9)]},
                 "medium": {"Print": [("p", 0.125)]}}
    data = json_bytes(work_record(fake_context(record, analogies), record))
    back = read_work_json(data)
    assert back["analogies"] == {f: {g: [list(p) for p in pairs] for g, pairs in groups.items()} for f, groups in analogies.items()}
    assert (back["id"], back["title"], back["culture_raw"], back["date_begin"], back["date_end"]) == ("a/b 1", "Vase <b>", "Holland", -500, 1700)
    assert back["source_url"] == "https://example.org/1" and back["thumb"] == "/thumbs/480/a/b 1.jpg"
    raw = json.loads(data)
    assert raw["v"] == SCHEMA and set(raw) <= {*FIELDS.values(), "v", "n"}  # short keys only


def test_empty_values_are_left_out_and_read_back_empty():
    record = Record(id="w1", title="", culture="", medium="M")
    raw = json.loads(json_bytes(work_record(fake_context(record, {}), record)))
    assert "a" not in raw and "c" not in raw and "db" not in raw and "n" not in raw
    back = read_work_json(json.dumps(raw))
    assert (back["artist"], back["culture"], back["date_begin"], back["analogies"], back["title"]) == ("", "", None, {}, "Untitled")


def test_a_manifest_carrying_the_record_reads_as_the_record():
    """With IIIF manifests on, the record rides in the manifest under "atlas" (atlas.site.work_files); the reader
    takes either document and gives the same long names."""
    record = Record(id="m1", title="Bowl", culture="Chinese", medium="Ceramic")
    raw = json.loads(json_bytes(work_record(fake_context(record, {"culture": {"Dutch": [("d", 0.5)]}}), record)))
    manifest = {"@context": ["https://x.example/iiif/context.json", "http://iiif.io/api/presentation/3/context.json"],
                "id": "https://x.example/iiif/m1/manifest.json", "type": "Manifest", "label": {"none": ["Bowl"]},
                "atlas": raw}
    back = read_work_json(json.dumps(manifest))
    assert back == read_work_json(json.dumps(raw)) and back["id"] == "m1"
    assert back["analogies"] == {"culture": {"Dutch": [["d", 0.5]]}}
