"""atlas.preflight on real files: the whole config is checked before anything is read or written, and a
refused build (`python -m atlas build`, run for real) exits 2 with one line and leaves every file as it was."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from atlas.core.config import ThemeConfig, load_config
from atlas.preflight import Preflight, PreflightError, check_config

ROOT = Path(__file__).resolve().parent.parent


def make_project(tmp_path: Path, **site) -> Path:
    """tmp_path/project with site.yaml, collection.csv and images/ (plus the keys in `site`); its site.yaml."""
    project = tmp_path / "project"
    (project / "images").mkdir(parents=True, exist_ok=True)
    (project / "images" / "A1.jpg").write_bytes(b"\xff\xd8 not a real picture: no build runs here")
    (project / "collection.csv").write_text("id,title\nA1,First\n", encoding="utf-8")
    values = {
        "output": "build/site",
        "cache": "build/cache",
        "collection": {"path": "collection.csv", "image_folder": "images"},
    }
    values.update(site)
    (project / "site.yaml").write_text(yaml.safe_dump(values, sort_keys=False), encoding="utf-8")
    return project / "site.yaml"


def check(path: Path) -> Preflight:
    return check_config(load_config(path))


def snapshot(folder: Path) -> dict[str, str]:
    """Every file, folder and link under `folder`: its content hash, or what it is."""
    out = {}
    for path in sorted(folder.rglob("*")):
        key = path.relative_to(folder).as_posix()
        if path.is_symlink():
            out[key] = f"link -> {os.readlink(path)}"
        elif path.is_dir():
            out[key] = "folder"
        else:
            out[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def run_atlas(*args: str, cwd: Path, home: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if home is not None:
        env["HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "atlas", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


# -- label rules, inputs, small files -------------------------------------------------------------------

def test_the_repository_config_passes_clean():
    found = check(ROOT / "site.yaml")
    assert found.errors == () and found.warnings == ()


def test_a_regex_that_does_not_compile_is_named_with_its_key(tmp_path):
    path = make_project(tmp_path, labels={"culture": {"rules": {"Dutch": ["Holland", "re:(nether"]}}})
    (error,) = check(path).errors
    assert error.startswith("labels.culture.rules.Dutch: 're:(nether' is not a valid regular expression")


def test_a_rule_an_earlier_group_already_has_is_a_warning(tmp_path):
    rules = {"Print": ["re:woodblock|etching"], "Woodcut": ["re:woodblock|etching", "Woodcut"]}
    found = check(make_project(tmp_path, labels={"medium": {"rules": rules}}))
    assert found.errors == ()
    (warning,) = found.warnings
    assert "labels.medium.rules.Woodcut" in warning and "earlier group 'Print'" in warning


def test_missing_table_and_image_folder_are_named(tmp_path):
    path = make_project(tmp_path, collection={"path": "nowhere.csv", "image_folder": "pictures"})
    errors = check(path).errors
    assert any(e.startswith("collection.path:") and str(tmp_path / "project" / "nowhere.csv") in e for e in errors)
    assert any(e.startswith("collection.image_folder:") and "pictures" in e for e in errors)


def test_the_sample_format_needs_no_table_yet(tmp_path):
    path = make_project(tmp_path, collection={"format": "sample", "path": "build/sample"})
    assert check(path).errors == ()


def test_a_pairings_file_with_a_bad_entry_is_refused_naming_file_and_entry(tmp_path):
    pairings = tmp_path / "project" / "pairings.yaml"
    path = make_project(tmp_path, pairings={"file": "pairings.yaml"})
    pairings.write_text("- a: A1\n  b: NOT-IN-THE-COLLECTION\n  title: fine until the build\n"
                        "- a: A1\n  title: no b\n- {a: A1, b: A2, titel: typo}\n", encoding="utf-8")
    errors = check(path).errors
    assert len(errors) == 2, errors  # ids missing from the collection are the build's business, not an error
    assert f"{pairings}, line 4" in errors[0] and "needs an 'a' and a 'b'" in errors[0]
    assert f"{pairings}, line 6" in errors[1] and "A1 -> A2" in errors[1] and "'titel'" in errors[1]
    pairings.write_text("- {a: A1, b: A2, title: [unclosed\n", encoding="utf-8")
    (error,) = check(path).errors
    assert error.startswith("pairings.file:") and str(pairings) in error and "\n" not in error


def test_an_id_renames_file_that_does_not_parse_is_refused(tmp_path):
    path = make_project(tmp_path, id_renames="renames.yaml")
    (tmp_path / "project" / "renames.yaml").write_text("A1: B1\nB1: A1\n", encoding="utf-8")
    (error,) = check(path).errors
    assert error.startswith("id_renames:") and "cycle" in error
    (tmp_path / "project" / "renames.yaml").write_text("- just\n- a list\n", encoding="utf-8")
    (error,) = check(path).errors
    assert "mapping of old id: new id" in error
    (tmp_path / "project" / "renames.yaml").unlink()
    (error,) = check(path).errors
    assert "not found" in error and "renames.yaml" in error


def test_theme_overrides_are_checked(tmp_path):
    config = load_config(make_project(tmp_path))
    assert config.theme.templates == "" and check_config(config).errors == ()
    config.theme = ThemeConfig(templates="my-templates", css=["extra.css"])
    errors = check_config(config).errors
    assert [e.split(":")[0] for e in errors] == ["theme.templates", "theme.css[0]"]
    (tmp_path / "project" / "my-templates").mkdir()
    (tmp_path / "project" / "extra.css").write_text("body {}", encoding="utf-8")
    assert check_config(config).errors == ()


# -- limits ----------------------------------------------------------------------------------------------

def test_an_impossible_k_is_refused_with_the_reason(tmp_path):
    (error,) = check(make_project(tmp_path, neighbours={"k": 1000000000})).errors
    assert error.startswith("neighbours.k is 1,000,000,000; it must be between 1 and 1,000")
    assert "pages show k analogies per work and per group" in error and "TiB" in error


@pytest.mark.parametrize("section, values, key", [
    ("thumbnails", {"sizes": [200, 100000]}, "thumbnails.sizes"),
    ("embedding", {"batch_size": 100000}, "embedding.batch_size"),
    ("embedding", {"image_size": 8}, "embedding.image_size"),
    ("map", {"pca_dims": 1}, "map.pca_dims"),
    ("render", {"workers": -1}, "render.workers"),
    ("quality", {"k": 5000}, "quality.k"),
])
def test_limits_are_checked_up_front(tmp_path, section, values, key):
    (error,) = check(make_project(tmp_path, **{section: values})).errors
    assert error.startswith(key)


# -- the output folder ----------------------------------------------------------------------------------

def _images_below_data(tmp_path: Path) -> dict:
    (tmp_path / "project" / "data" / "images").mkdir(parents=True)
    return {"collection": {"path": "collection.csv", "image_folder": "data/images"}}


# name -> (site.yaml keys given tmp_path, words the one stderr line must hold given tmp_path)
REFUSED = {
    "output is the config folder": (
        lambda t: {"output": "."}, lambda t: [f"output {t / 'project'}", "is the config folder"]),
    "output is the image folder's parent": (
        lambda t: {**_images_below_data(t), "output": "data"},
        lambda t: [f"output {t / 'project' / 'data'}",
                   f"contains the image folder (collection.image_folder) {t / 'project' / 'data' / 'images'}"]),
    "output inside the image folder": (
        lambda t: {"output": "images/site"},
        lambda t: [f"output {t / 'project' / 'images' / 'site'}",
                   f"lies inside the image folder (collection.image_folder) {t / 'project' / 'images'}"]),
    "output is the cache": (
        lambda t: {"output": "build/cache"}, lambda t: [f"output {t / 'project' / 'build' / 'cache'}", "is the cache"]),
    "cache inside the output": (
        lambda t: {"output": "build"},
        lambda t: [f"output {t / 'project' / 'build'}", f"contains the cache (cache) {t / 'project' / 'build' / 'cache'}"]),
    "output is the home folder": (
        lambda t: {"output": str(t / "home")}, lambda t: [f"output {t / 'home'}", "is the home folder"]),
    "output is the current folder": (
        lambda t: {"output": str(t / "work")}, lambda t: [f"output {t / 'work'}", "is the current folder"]),
    "k of a billion": (
        lambda t: {"neighbours": {"k": 1000000000}}, lambda t: ["neighbours.k is 1,000,000,000"]),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_dangerous_config_is_refused_and_nothing_is_touched(tmp_path, monkeypatch, case):
    keys, words = REFUSED[case]
    home, work = tmp_path / "home", tmp_path / "work"
    for folder in (home, work):
        folder.mkdir()
        (folder / "notes.txt").write_text(f"the user's own file in {folder.name}", encoding="utf-8")
    (tmp_path / "project" / "build" / "cache").mkdir(parents=True)
    (tmp_path / "project" / "build" / "cache" / "kept.bin").write_bytes(b"\x00cached")
    path = make_project(tmp_path, **keys(tmp_path))

    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: home))
    monkeypatch.chdir(work)
    (error,) = check(path).errors
    assert all(w in error for w in words(tmp_path)), error

    before = snapshot(tmp_path)
    result = run_atlas("build", "--config", str(path), cwd=work, home=home)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [f"atlas: build refused: {error}"]
    assert result.stdout == ""
    assert snapshot(tmp_path) == before


def test_the_build_function_refuses_before_reading_or_writing(tmp_path):
    from atlas.build import build

    path = make_project(tmp_path, output=".", labels={"culture": {"rules": {"X": ["re:("]}}})
    before = snapshot(tmp_path)
    with pytest.raises(PreflightError) as info:
        build(load_config(path))
    lines = str(info.value).splitlines()
    assert lines[0] == "the configuration has 2 errors; nothing was built:", lines
    assert lines[1].startswith("  labels.culture.rules.X:") and lines[2].startswith(f"  output {tmp_path / 'project'}")
    assert snapshot(tmp_path) == before


def test_a_symlinked_output_is_judged_by_its_target(tmp_path):
    elsewhere = tmp_path / "published" / "atlas"
    elsewhere.mkdir(parents=True)
    path = make_project(tmp_path)
    (tmp_path / "project" / "build").mkdir()
    link = tmp_path / "project" / "build" / "site"
    link.symlink_to(elsewhere, target_is_directory=True)
    assert check(path) == Preflight((), ())
    assert link.is_symlink()  # checked, not replaced

    link.unlink()
    link.symlink_to(tmp_path / "project" / "images", target_is_directory=True)  # a link onto the images
    (error,) = check(path).errors
    assert "is the image folder" in error


def test_an_output_that_is_a_file_is_refused(tmp_path):
    path = make_project(tmp_path, output="collection.csv")
    errors = check(path).errors
    assert any("exists and is not a folder" in e for e in errors)
    assert any("is the collection table (collection.path)" in e for e in errors)


# -- the command line -----------------------------------------------------------------------------------

def test_check_passes_the_repository_config_and_refuses_a_bad_one(tmp_path):
    good = run_atlas("check", cwd=ROOT)
    assert good.returncode == 0, good.stderr
    assert "0 errors, 0 warnings" in good.stdout
    bad = run_atlas("check", "--config", str(make_project(tmp_path, output=".")), cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: output ") and "is the config folder" in bad.stderr


def test_strict_turns_a_warning_into_failure_before_building(tmp_path):
    path = make_project(tmp_path, labels={"culture": {"rules": {"British": ["England"], "English": ["england"]}}})
    assert run_atlas("check", "--config", str(path), cwd=tmp_path).returncode == 0
    assert run_atlas("check", "--config", str(path), "--strict", cwd=tmp_path).returncode == 2
    before = snapshot(tmp_path)
    result = run_atlas("build", "--config", str(path), "--strict", cwd=tmp_path)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "labels.culture.rules.English" in line and "--strict" in line
    assert snapshot(tmp_path) == before  # not even build/ was made
