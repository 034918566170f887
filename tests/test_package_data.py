"""The wheel carries the templates and assets (package data), so `pip install atlas` works outside the repository.

The wheel is built the way .ci/wheel_check.sh builds it (`pip wheel --no-deps`), but without build isolation
(the installed setuptools, nothing downloaded) and from a copy of the sources, so that neither setuptools'
build/lib nor atlas.egg-info is written into the repository and no stale file there can reach the wheel.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT

PACKAGE_DATA = ("templates", "assets")  # pyproject.toml [tool.setuptools.package-data] atlas = [...]


def source_files(folder: str) -> set[str]:
    """Every file under atlas/<folder> of the source tree, as its path inside the wheel ('atlas/assets/map.js')."""
    base = ROOT / "atlas" / folder
    return {p.relative_to(ROOT).as_posix() for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def build_wheel(tmp: Path) -> Path:
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):  # README.md is the project's readme (pyproject [project] readme)
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "atlas", src / "atlas", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp / "wheels"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-cache-dir", "-q", "-w", str(out), "."],
        cwd=src, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, f"pip wheel failed:\n{result.stdout}\n{result.stderr}"
    (wheel,) = out.glob("atlas-*.whl")
    return wheel


def test_wheel_contains_every_template_and_asset(tmp_path):
    expected = set().union(*(source_files(folder) for folder in PACKAGE_DATA))
    assert any(name.startswith("atlas/templates/") for name in expected) and any(name.startswith("atlas/assets/") for name in expected)
    with zipfile.ZipFile(build_wheel(tmp_path)) as wheel:
        names = set(wheel.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        assert "atlas = atlas.cli:main" in wheel.read(entry_points).decode()
    assert not expected - names, f"missing from the wheel: {sorted(expected - names)}"
    assert "atlas/__init__.py" in names and "atlas/site/render.py" in names
    assert not [n for n in names if n.split("/")[0] in PACKAGE_DATA], "templates/assets must live inside the package"


def test_templates_and_assets_live_only_inside_the_package():
    for folder in PACKAGE_DATA:
        assert not (ROOT / folder).exists(), f"top-level {folder}/ is back: package data belongs in atlas/{folder}/"
        assert (ROOT / "atlas" / folder).is_dir()
