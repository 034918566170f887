"""The command line as a user meets it: program names, --version, `init`, and one-line failures.

Run as real subprocesses (`python -m atlas ...` with this checkout on PYTHONPATH) in a temporary folder,
so what is checked is what a terminal shows. No test here builds a site: a build that fails while
reading its config is all these need.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

import atlas
from atlas import cli
from atlas.core.config import ConfigError, load_config
from atlas.ingest.readers import read_collection

ROOT = Path(__file__).resolve().parent.parent
HEADER = ["Object Number", "Title", "Artist Display", "Object Date", "Culture", "Medium", "image_file"]
WORKS = [
    ["1925.1", "Boat at dusk", "Katsushika Hokusai", "1830", "Japanese", "Woodblock print"],
    ["1925.2", "Bird on a branch", "Unknown", "c. 1650", "Dutch", "Oil on canvas"],
    ["1925.3", "Vase", "", "1700-1720", "Chinese", "Porcelain"],
]


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "ATLAS_TRACEBACK"}  # a developer's shell
    environment.update(PYTHONPATH=str(ROOT), **(env or {}))
    return subprocess.run([sys.executable, "-m", "atlas", *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=120)


def assert_one_line_failure(result: subprocess.CompletedProcess) -> str:
    """Exit 2 and exactly one non-empty stderr line, starting "atlas: ", no traceback; returns it."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("atlas: ") and "Traceback" not in result.stderr
    return lines[0]


@pytest.fixture()
def collection(tmp_path: Path) -> Path:
    """A folder as a user would have it: collection.csv and a few PNG images in images/."""
    (tmp_path / "images").mkdir()
    with open(tmp_path / "collection.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for work in WORKS:
            writer.writerow(work + [f"images/{work[0]}.png"])
            Image.new("RGB", (24, 16), (180, 60, 20)).save(tmp_path / "images" / f"{work[0]}.png")
    return tmp_path


# ---- program name and version --------------------------------------------------------------------


def test_python_m_atlas_names_itself_in_usage(tmp_path):
    assert run_cli("--help", cwd=tmp_path).stdout.startswith("usage: python -m atlas ")
    assert run_cli("build", "--help", cwd=tmp_path).stdout.startswith("usage: python -m atlas build ")
    assert run_cli("init", "--help", cwd=tmp_path).stdout.startswith("usage: python -m atlas init ")


def test_console_script_name_is_the_default(capsys):
    """`atlas` (the console script) calls main() with no arguments: its usage must say atlas."""
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: atlas ") and "ATLAS_TRACEBACK" in out


def test_version(tmp_path):
    result = run_cli("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"atlas {atlas.__version__}"


# ---- init ----------------------------------------------------------------------------------------


def test_init_writes_a_loadable_commented_config(collection):
    result = run_cli("init", cwd=collection)
    assert result.returncode == 0, result.stderr
    config = load_config(collection / "site.yaml")
    assert config.collection.format == "csv"
    assert config.collection.path == "collection.csv"
    assert config.collection.columns == {
        "id": "Object Number", "title": "Title", "artist": "Artist Display", "date": "Object Date",
        "culture": "Culture", "medium": "Medium", "image": "image_file",
    }
    assert config.output == "build/site" and config.cache == "build/cache"
    assert config.embedding.weights == "imagenet" and config.embedding.on_missing_weights == "fallback"
    assert config.labels.culture.min_group_size < 10 and config.labels.medium.min_group_size < 10
    text = (collection / "site.yaml").read_text(encoding="utf-8")
    assert all("#" in line for line in text.splitlines() if line.strip()), "every line says what it does"
    assert "# date_begin:" in text  # a field no column was found for: commented out, with a note
    records = read_collection(config.collection, config.root).records
    assert [r.id for r in records] == [w[0] for w in WORKS]
    assert all(r.image_path is not None and r.image_path.is_file() for r in records)
    for words in ("'Object Number'", "3 rows", "python -m atlas build", "python -m atlas serve"):
        assert words in result.stdout


def test_init_finds_the_image_folder_when_there_is_no_image_column(tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "works.csv").write_text("ObjectID,Name,Maker,Year,Nationality,Classification\nA,x,y,1900,French,Print\n")
    Image.new("RGB", (8, 8)).save(tmp_path / "photos" / "A.jpg")
    result = run_cli("init", str(tmp_path), cwd=tmp_path.parent)
    assert result.returncode == 0, result.stderr
    config = load_config(tmp_path / "site.yaml")
    assert config.collection.image_folder == "photos" and config.collection.path == "works.csv"
    assert config.collection.columns["id"] == "ObjectID" and config.collection.columns["medium"] == "Classification"
    assert "image" not in config.collection.columns
    assert f"--config {tmp_path / 'site.yaml'}" in result.stdout  # run from elsewhere: the next steps say where


def test_init_never_overwrites_site_yaml(collection):
    existing = collection / "site.yaml"
    existing.write_bytes(b"title: mine\n# hours of label rules\n")
    before = existing.read_bytes()
    line = assert_one_line_failure(run_cli("init", cwd=collection))
    assert "site.yaml" in line and "move it away" in line
    assert existing.read_bytes() == before


def test_init_without_a_table_says_so(tmp_path):
    line = assert_one_line_failure(run_cli("init", cwd=tmp_path))
    assert "no CSV table" in line and "--table" in line
    assert not (tmp_path / "site.yaml").exists()


def test_init_escapes_control_characters_from_the_header(tmp_path):
    (tmp_path / "t.csv").write_text("id,odd\x1bcolumn\n1,2\n", encoding="utf-8")
    result = run_cli("init", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "odd\\x1bcolumn" in result.stdout and "\x1b" not in result.stdout
    load_config(tmp_path / "site.yaml")


# ---- failures: one line, exit 2 ------------------------------------------------------------------


ERROR_CASES = {
    "missing config": ("nothere.yaml", None, "nothere.yaml"),
    "config is a directory": ("folder.yaml", "DIR", "folder.yaml"),
    "missing collection": ("site.yaml", "collection:\n  path: nowhere.csv\n", "nowhere.csv"),
    "bad YAML": ("site.yaml", "title: [unclosed\n", "not valid YAML"),
    "unknown key": ("site.yaml", "title: x\nembeding:\n  model: resnet18\n", "did you mean 'embedding'"),
    "bad value": ("site.yaml", "embedding:\n  device: gpu\n", "embedding.device"),
    "unreadable config": ("locked.yaml", "title: x\n", "locked.yaml"),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_a_user_error_is_one_line_with_exit_2(tmp_path, case):
    name, content, expected = ERROR_CASES[case]
    path = tmp_path / name
    if content == "DIR":
        path.mkdir()
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    if case == "unreadable config":
        if os.geteuid() == 0:
            pytest.skip("root reads any file: a permission error cannot be made here")
        path.chmod(0)
    line = assert_one_line_failure(run_cli("build", "--config", name, cwd=tmp_path))
    assert expected in line


def test_control_characters_in_a_bad_key_are_escaped(tmp_path):
    (tmp_path / "site.yaml").write_text('"bad\\x1bkey": 1\n', encoding="utf-8")  # YAML's escape: a real ESC key
    line = assert_one_line_failure(run_cli("build", cwd=tmp_path))
    assert "bad\\x1bkey" in line and "\x1b" not in line


def test_a_permission_error_names_the_file():
    error = PermissionError(13, "Permission denied", "site.yaml")
    assert cli.error_line(error) == "site.yaml: Permission denied"


def test_interrupt_is_one_line_and_exit_130(monkeypatch, capsys):
    def interrupted(args, prog):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "dispatch", interrupted)
    monkeypatch.delenv("ATLAS_TRACEBACK", raising=False)
    assert cli.main(["serve"]) == 130
    assert capsys.readouterr().err == "atlas: interrupted\n"


def test_atlas_traceback_lets_the_exception_through(tmp_path, monkeypatch):
    (tmp_path / "site.yaml").write_text("embedding:\n  device: gpu\n", encoding="utf-8")
    monkeypatch.setenv("ATLAS_TRACEBACK", "1")
    with pytest.raises(ConfigError):
        cli.main(["build", "--config", str(tmp_path / "site.yaml")])
    result = run_cli("build", cwd=tmp_path, env={"ATLAS_TRACEBACK": "1"})
    assert result.returncode == 1 and "Traceback" in result.stderr
