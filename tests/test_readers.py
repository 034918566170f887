"""read_collection on small real files: the happy paths and every kind of bad row, each one reported."""

import csv
import json
from pathlib import Path

import pytest

from atlas.core.config import CollectionConfig
from atlas.ingest.readers import CollectionError, read_collection

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
MET_SAMPLE = SHARED / "met-metadata" / "MetObjects-sample.csv"

# The exact header line of The Met's open-access MetObjects.csv (54 columns, in this order).
MET_HEADER = (
    "Object Number,Is Highlight,Is Timeline Work,Is Public Domain,Object ID,Gallery Number,Department,"
    "AccessionYear,Object Name,Title,Culture,Period,Dynasty,Reign,Portfolio,Constituent ID,Artist Role,"
    "Artist Prefix,Artist Display Name,Artist Display Bio,Artist Suffix,Artist Alpha Sort,"
    "Artist Nationality,Artist Begin Date,Artist End Date,Artist Gender,Artist ULAN URL,"
    "Artist Wikidata URL,Object Date,Object Begin Date,Object End Date,Medium,Dimensions,Credit Line,"
    "Geography Type,City,State,County,Country,Region,Subregion,Locale,Locus,Excavation,River,"
    "Classification,Rights and Reproduction,Link Resource,Object Wikidata URL,Metadata Date,Repository,"
    "Tags,Tags AAT URL,Tags Wikidata URL"
)


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"img")
    return path


def reasons(result) -> list[str]:
    return [p.reason for p in result.problems]


def test_generic_csv_with_column_mapping(tmp_path):
    write_csv(tmp_path / "data" / "works.csv", [
        ["Inv", "Name", "Maker", "When", "From", "Made of", "Subject", "File"],
        ["A1", "Still life", "Anon.", "ca. 1650", "Dutch", "Oil on panel", "flowers", "img/a1.jpg"],
        [" B2 ", "Bowl", "", "4th century BCE", "Greek", "Ceramic", "vessel", "img/b2.jpg"],
    ])
    touch(tmp_path / "data" / "img" / "a1.jpg")
    touch(tmp_path / "data" / "img" / "b2.jpg")
    cfg = CollectionConfig(
        path="data/works.csv",
        columns={"id": "Inv", "title": "Name", "artist": "Maker", "date": "When", "culture": "From",
                 "medium": "Made of", "image": "File"},
        extra_columns=["Subject"],
    )
    result = read_collection(cfg, tmp_path)
    assert result.problems == []
    a1, b2 = result.records
    assert (a1.id, a1.title, a1.artist, a1.culture_raw, a1.medium_raw) == ("A1", "Still life", "Anon.", "Dutch", "Oil on panel")
    assert (a1.date_text, a1.date_begin, a1.date_end) == ("ca. 1650", 1650, 1650)
    assert a1.image_path == tmp_path / "data" / "img" / "a1.jpg"  # relative to the table's folder
    assert a1.extra == {"Subject": "flowers"}
    assert (a1.source_line, b2.source_line) == (2, 3)
    assert b2.id == "B2" and (b2.date_begin, b2.date_end) == (-399, -300)


def test_default_mapping_and_numeric_dates_win(tmp_path):
    write_csv(tmp_path / "c.csv", [
        ["id", "title", "date", "date_begin", "date_end", "image"],
        ["1", "T", "ca. 1650", "1645", "1655", str(touch(tmp_path / "elsewhere" / "x.png"))],  # absolute path
        ["2", "U", "19th century", "", "", ""],
        ["3", "V", "", "0", "0", ""],
        ["4", "W", "1650-70", "ca.", "1670", ""],
    ])
    result = read_collection(CollectionConfig(path="c.csv"), tmp_path)
    years = {r.id: (r.date_begin, r.date_end) for r in result.records}
    assert years == {"1": (1645, 1655), "2": (1800, 1899), "3": (None, None), "4": (1650, 1670)}
    assert result.records[0].image_path == tmp_path / "elsewhere" / "x.png"
    assert any("date_begin 'ca.' is not a year" in r for r in reasons(result))


def test_jsonl(tmp_path):
    lines = [
        json.dumps({"id": 7, "title": "Vase", "date": "1650s", "culture": "Chinese", "date_begin": None}),
        "",
        json.dumps({"id": "8", "title": "Cup", "tags": ["a", "b"]}),
        "[1, 2]",
        "{not json",
        json.dumps({"title": "no id"}),
    ]
    (tmp_path / "c.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = CollectionConfig(format="jsonl", path="c.jsonl", extra_columns=["tags"])
    result = read_collection(cfg, tmp_path)
    assert [(r.id, r.source_line) for r in result.records] == [("7", 1), ("8", 3)]
    assert (result.records[0].date_begin, result.records[0].date_end) == (1650, 1659)
    assert result.records[1].extra == {"tags": '["a", "b"]'}
    bad = {p.line: p.reason for p in result.problems if p.severity == "skipped" and "image" not in p.reason}
    assert "not an object" in bad[4] and "not valid JSON" in bad[5] and "no id" in bad[6]


def test_images_by_folder_and_pattern_with_suffix_probing(tmp_path):
    write_csv(tmp_path / "c.csv", [["id", "title"], ["a", ""], ["b", ""], ["c", ""], ["d", ""], ["83.2.221", ""]])
    folder = tmp_path / "images"
    touch(folder / "a.jpg")
    touch(folder / "b.PNG")
    touch(folder / "c.Webp")
    touch(folder / "83.2.221.tif")
    cfg = CollectionConfig(path="c.csv", image_folder="images")
    result = read_collection(cfg, tmp_path)
    found = {r.id: r.image_path for r in result.records}
    assert found == {"a": folder / "a.jpg", "b": folder / "b.PNG", "c": folder / "c.Webp", "d": None,
                     "83.2.221": folder / "83.2.221.tif"}
    (problem,) = result.problems
    assert (problem.record, problem.stage, problem.severity, problem.line) == ("d", "read", "skipped", 5)
    assert str(folder / "d") in problem.reason and ".jpg" in problem.reason and problem.reason.startswith("image file not found")


def test_image_pattern_with_suffix_and_subfolder(tmp_path):
    write_csv(tmp_path / "c.csv", [["id"], ["1"], ["2"]])
    touch(tmp_path / "images" / "full" / "obj_1.jpeg")
    touch(tmp_path / "images" / "full" / "obj_2.jpg")  # wrong suffix for the pattern: not probed
    cfg = CollectionConfig(path="c.csv", image_folder="images", image_pattern="full/obj_{id}.jpeg")
    result = read_collection(cfg, tmp_path)
    assert [r.image_path is not None for r in result.records] == [True, False]
    assert reasons(result) == [f"image file not found: {tmp_path / 'images' / 'full' / 'obj_2.jpeg'}"]


def test_missing_image_from_path_column_names_id_and_path(tmp_path):
    write_csv(tmp_path / "c.csv", [["id", "image"], ["x1", "pics/x1.jpg"], ["x2", ""]])
    result = read_collection(CollectionConfig(path="c.csv"), tmp_path)
    assert [r.id for r in result.records] == ["x1", "x2"]  # still returned: the build decides
    assert all(r.image_path is None for r in result.records)
    first, second = result.problems
    assert first.record == "x1" and str(tmp_path / "pics" / "x1.jpg") in first.reason
    assert second.record == "x2" and "image_folder is not set" in second.reason


def test_duplicate_and_empty_ids(tmp_path):
    write_csv(tmp_path / "c.csv", [["id", "title"], ["a", "first"], ["", "no id"], ["a", "second"], ["  ", "blank"], ["b", "ok"]])
    result = read_collection(CollectionConfig(path="c.csv"), tmp_path)
    assert [(r.id, r.title) for r in result.records] == [("a", "first"), ("b", "ok")]
    skipped = [(p.record, p.line, p.reason) for p in result.problems if "image" not in p.reason]
    assert skipped == [
        ("", 3, "no id (column 'id' is empty)"),
        ("a", 4, "duplicate id 'a' (first on line 2)"),
        ("", 5, "no id (column 'id' is empty)"),
    ]
    assert all(p.file == "c.csv" for p in result.problems)


def test_bad_field_counts_and_multiline_rows(tmp_path):
    text = 'id,title,date\n1,"two\nlines",1650\n2,too,many,fields\n3,few\n\n4,ok,1700\n5,"never closed,1800\n6,x,1900\n'
    (tmp_path / "c.csv").write_text(text, encoding="utf-8")
    result = read_collection(CollectionConfig(path="c.csv"), tmp_path)
    assert [(r.id, r.source_line) for r in result.records] == [("1", 2), ("4", 7)]
    bad = [(p.record, p.line, p.reason) for p in result.problems if "image" not in p.reason]
    assert bad[0] == ("2", 4, "row has 4 fields, the header has 3")
    assert bad[1] == ("3", 5, "row has 2 fields, the header has 3")
    assert bad[2][:2] == ("5", 8) and "unclosed quote" in bad[2][2]


def test_cp1252_byte_in_utf8_file(tmp_path):
    data = "id,title\n1,Café\n".encode() + b"2,Caf\xe9 \x96 Paris\n" + "3,Ünter\n".encode()
    (tmp_path / "c.csv").write_bytes(data)
    result = read_collection(CollectionConfig(path="c.csv"), tmp_path)
    assert [r.title for r in result.records] == ["Café", "Café – Paris", "Ünter"]
    (warning,) = [p for p in result.problems if p.severity == "warning"]
    assert warning.line == 3 and "line 3" in warning.reason and "cp1252" in warning.reason


def test_configured_encoding_and_bom(tmp_path):
    write_csv(tmp_path / "latin.csv", [["id", "title"], ["1", "Göttingen"]], encoding="cp1252")
    result = read_collection(CollectionConfig(path="latin.csv", encoding="cp1252"), tmp_path)
    assert result.records[0].title == "Göttingen" and all(p.severity == "skipped" for p in result.problems)
    write_csv(tmp_path / "bom.csv", [["id", "title"], ["1", "x"]], encoding="utf-8-sig")
    assert read_collection(CollectionConfig(path="bom.csv"), tmp_path).records[0].id == "1"


def test_limit_counts_data_rows(tmp_path):
    write_csv(tmp_path / "c.csv", [["id"]] + [[str(i)] for i in range(10)])
    result = read_collection(CollectionConfig(path="c.csv", limit=3), tmp_path)
    assert [r.id for r in result.records] == ["0", "1", "2"]


def test_fatal_table_problems(tmp_path):
    with pytest.raises(FileNotFoundError, match="collection table not found"):
        read_collection(CollectionConfig(path="missing.csv"), tmp_path)
    write_csv(tmp_path / "c.csv", [["ID", "Title"], ["1", "x"]])
    with pytest.raises(CollectionError, match="did you mean 'Title'"):
        read_collection(CollectionConfig(path="c.csv", columns={"id": "ID", "title": "Titel"}), tmp_path)
    with pytest.raises(CollectionError, match="column 'id'"):
        read_collection(CollectionConfig(path="c.csv"), tmp_path)
    with pytest.raises(FileNotFoundError, match="image folder not found"):
        read_collection(CollectionConfig(path="c.csv", columns={"id": "ID"}, image_folder="nope"), tmp_path)
    with pytest.raises(CollectionError, match="unknown field"):
        read_collection(CollectionConfig(path="c.csv", columns={"ident": "ID"}), tmp_path)


def met_row(**values: str) -> list[str]:
    names = MET_HEADER.split(",")
    return [values.get(name.replace(" ", "_").lower(), "") for name in names]


def test_met_preset_on_messy_values(tmp_path):
    rows = [
        met_row(object_id="466", title="Plaque Portrait", culture="", artist_nationality="French|French",
                artist_display_name="A. Maker|B. Helper", object_date="ca. 1883", object_begin_date="1878",
                object_end_date="1888", classification="Paintings", medium="Oil on ivory",
                is_public_domain="True", department="The American Wing", object_number="83.2.221"),
        met_row(object_id="12", title="Lamp", culture="Roman", object_date="4th century CE",
                object_begin_date="", object_end_date="", classification="Glass"),
        met_row(object_id="13", title="Snuffbox", culture="French, Paris", object_date="",
                object_begin_date="0", object_end_date="0", classification=""),
        met_row(object_id="", title="nothing"),
    ]
    with open(tmp_path / "MetObjects.csv", "w", encoding="utf-8-sig", newline="") as f:
        f.write(MET_HEADER + "\n")
        csv.writer(f).writerows(rows)
    cfg = CollectionConfig(format="met", path="MetObjects.csv", extra_columns=["Tags"])
    result = read_collection(cfg, tmp_path)
    plaque, lamp, box = result.records
    assert (plaque.id, plaque.title, plaque.artist) == ("466", "Plaque Portrait", "A. Maker; B. Helper")
    assert (plaque.date_text, plaque.date_begin, plaque.date_end) == ("ca. 1883", 1878, 1888)
    assert plaque.culture_raw == "French" and plaque.extra["culture_source"] == "Artist Nationality"
    assert plaque.medium_raw == "Paintings"
    assert plaque.extra | {"culture_source": ""} == {
        "medium_detail": "Oil on ivory", "public_domain": "True", "department": "The American Wing",
        "object_number": "83.2.221", "Tags": "", "culture_source": ""}
    assert (lamp.culture_raw, lamp.medium_raw, lamp.date_begin, lamp.date_end) == ("Roman", "Glass", 300, 399)
    assert (box.culture_raw, box.date_begin, box.date_end) == ("French, Paris", None, None)
    assert "culture_source" not in box.extra
    assert [p.line for p in result.problems if p.reason.startswith("no id")] == [5]


def test_met_user_columns_override_the_preset(tmp_path):
    with open(tmp_path / "m.csv", "w", encoding="utf-8-sig", newline="") as f:
        f.write(MET_HEADER + "\n")
        csv.writer(f).writerow(met_row(object_id="1", object_number="29.100.5", culture="", artist_nationality="Dutch",
                                       object_name="Painting"))
    cfg = CollectionConfig(format="met", path="m.csv", columns={"id": "Object Number", "medium": "Object Name"})
    (record,) = read_collection(cfg, tmp_path).records
    assert (record.id, record.medium_raw, record.culture_raw) == ("29.100.5", "Painting", "Dutch")


@pytest.mark.realdata
@pytest.mark.skipif(not MET_SAMPLE.is_file(), reason=f"real Met sample not available at {MET_SAMPLE} (shared data folder absent)")
def test_real_met_sample_loses_no_row():
    with open(MET_SAMPLE, encoding="utf-8-sig", newline="") as f:
        ids = [row["Object ID"] for row in csv.DictReader(f)]
    assert len(ids) == 8870
    result = read_collection(CollectionConfig(format="met", path=str(MET_SAMPLE)), Path("/"))
    skipped_rows = [p for p in result.problems if p.severity == "skipped" and not p.reason.startswith("image")]
    read_ids = {r.id for r in result.records}
    assert len(result.records) + len(skipped_rows) == len(ids)  # every row: a record or a Problem
    assert set(ids) == read_ids | {p.record for p in skipped_rows}
    assert all(p.file and p.line > 1 for p in result.problems)
    assert sum(r.date_begin is not None for r in result.records) > 8000
    assert sum(bool(r.culture_raw) for r in result.records) > 7000  # Culture, or the Artist Nationality fallback
    assert {p.record for p in result.problems if p.reason.startswith("image file not found")} == read_ids


def test_runaway_quote_is_one_problem_naming_the_lines_it_swallowed(tmp_path):
    body = "".join(f"{i},row {i} {'x' * 60}\n" for i in range(2, 3000))
    (tmp_path / "c.csv").write_text(f'id,title\n1,"open\n{body}3000,end\n', encoding="utf-8")
    result = read_collection(CollectionConfig(path="c.csv"), tmp_path)
    (bad,) = [p for p in result.problems if not p.reason.startswith("image")]
    assert bad.line == 2 and "field limit" in bad.reason and "unclosed quote" in bad.reason
    assert result.records[-1].id == "3000"  # reading went on after the bad row
