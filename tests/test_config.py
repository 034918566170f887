import re
from pathlib import Path

import pytest

from atlas.core.config import ConfigError, config_keys, load_config, normalise_base_url

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


def test_readme_documents_every_config_key():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_.]+)` \|", readme, flags=re.M))
    assert set(config_keys()) <= documented, sorted(set(config_keys()) - documented)
