"""The command line and the preview server, run for real."""

from __future__ import annotations

import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from atlas.site.serve import make_server

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "atlas", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_help_explains_the_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    for words in ("build", "serve", "site.yaml", "analogies"):
        assert words in result.stdout
    build_help = run_cli("build", "--help").stdout
    for option in ("--config", "--device", "--output", "--strict"):
        assert option in build_help


def test_bad_config_fails_with_the_key_and_line(tmp_path):
    (tmp_path / "site.yaml").write_text("title: x\nembeding:\n  model: resnet18\n")
    result = run_cli("build", "--config", str(tmp_path / "site.yaml"))
    assert result.returncode == 2
    assert "line 2: unknown key 'embeding'" in result.stderr and "did you mean 'embedding'" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_collection_fails_cleanly(tmp_path):
    (tmp_path / "site.yaml").write_text("collection:\n  path: nowhere.csv\n")
    result = run_cli("build", "--config", str(tmp_path / "site.yaml"))
    assert result.returncode == 2 and "nowhere.csv" in result.stderr and "Traceback" not in result.stderr


@pytest.fixture()
def served_site(tmp_path):
    site = tmp_path / "site"
    (site / "work" / "A1").mkdir(parents=True)
    (site / "index.html").write_text("home")
    (site / "404.html").write_text("our own 404 page")
    (site / "work" / "A1" / "index.html").write_text("work A1")
    server = make_server(site, "/atlas/", port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# A local server is never reached through a proxy (and urlopen's global opener may have cached one).
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url: str) -> tuple[int, str]:
    try:
        with DIRECT.open(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_serve_under_base_url(served_site):
    assert fetch(served_site + "/atlas/") == (200, "home")
    assert fetch(served_site + "/atlas/work/A1/") == (200, "work A1")
    assert fetch(served_site + "/atlas/work/nope/") == (404, "our own 404 page")
    assert fetch(served_site + "/work/A1/")[0] == 404  # outside base_url: not served
    assert fetch(served_site + "/atlas/../../etc/passwd")[0] == 404
