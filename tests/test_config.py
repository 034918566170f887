import re
from pathlib import Path

import pytest

from atlas.core.config import (
    ConfigError,
    config_keys,
    config_reference_markdown,
    field_docs,
    load_config,
    normalise_base_url,
    reference_block,
    replace_reference,
)

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_site_yaml_loads():
    config = load_config(ROOT / "site.yaml")
    assert config.collection.format == "sample"
    assert config.neighbours.k == 6
    assert config.labels.culture.rules["British"][0] == "England"
    assert config.output_dir == ROOT / "build" / "site"


def test_unknown_key_names_line_and_suggests(tmp_path):
    path = write(tmp_path, "title: x\nneighbors:\n  k: 3\n")
    with pytest.raises(ConfigError, match=r"line 2: unknown key 'neighbors' in 'site'; did you mean 'neighbours'\?"):
        load_config(path)


def test_nested_typo_is_named_with_its_section(tmp_path):
    path = write(tmp_path, "embedding:\n  modle: resnet18\n")
    with pytest.raises(ConfigError, match=r"line 2: unknown key 'modle' in 'site.embedding'; did you mean 'model'"):
        load_config(path)


def test_wrong_type_is_reported(tmp_path):
    path = write(tmp_path, "neighbours:\n  k: six\n")
    with pytest.raises(ConfigError, match=r"line 2: 'site.neighbours.k' must be a whole number \(got 'six'\)"):
        load_config(path)


def test_bad_choice_is_reported(tmp_path):
    path = write(tmp_path, "embedding:\n  device: gpu\n")
    with pytest.raises(ConfigError, match="embedding.device is 'gpu'; expected one of: auto, cpu, cuda"):
        load_config(path)


def test_paths_resolve_relative_to_the_config(tmp_path):
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "site.yaml"
    path.write_text("output: out\n")
    assert load_config(path).output_dir == tmp_path / "sub" / "out"


def test_overrides(tmp_path):
    path = write(tmp_path, "")
    config = load_config(path, {"embedding.device": "cpu"})
    assert config.embedding.device == "cpu"


@pytest.mark.parametrize("raw, expected", [("", "/"), ("/", "/"), ("atlas", "/atlas/"), ("/atlas", "/atlas/"), ("/a/b/", "/a/b/")])
def test_base_url_normalised(raw, expected):
    assert normalise_base_url(raw) == expected


def test_readme_config_reference_is_generated_from_the_schema():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert reference_block(readme) == config_reference_markdown(), (
        "README.md's config reference differs from atlas/core/config.py; regenerate it with\n"
        "    python -m atlas.core.config --write README.md"
    )


def test_every_config_key_is_documented_once_in_the_reference():
    table = config_reference_markdown()
    rows = re.findall(r"^\| `([a-z_.]+)` \| `([^`]*)` \| (.*) \|$", table, flags=re.MULTILINE)
    assert [key for key, _, _ in rows] == config_keys()
    assert all(doc.strip() for _, _, doc in rows), [key for key, _, doc in rows if not doc.strip()]
    assert ("thumbnails.sizes", "[480]") in [(k, d) for k, d, _ in rows]
    assert ("collection.format", '"csv"') in [(k, d) for k, d, _ in rows]


def test_field_docs_join_a_trailing_comment_and_its_indented_continuation():
    source = (
        "class C:\n"
        "    a: int = 1  # first part,\n"
        "        # second part\n"
        "    b: str = '# not a comment'\n"
        "    # a comment about what follows, not about b\n"
        "    c: int = 2\n"
    )
    assert field_docs(source) == {("C", "a"): "first part, second part", ("C", "b"): "", ("C", "c"): ""}


def test_replace_reference_keeps_the_prose_around_the_markers():
    text = "intro\n<!-- config-reference:start -->\nold\n<!-- config-reference:end -->\noutro\n"
    replaced = replace_reference(text, "| new |\n")
    assert replaced == "intro\n<!-- config-reference:start -->\n| new |\n<!-- config-reference:end -->\noutro\n"
    assert reference_block(replaced) == "| new |\n"
