"""axe-core for the browser tests, installed from npm at test time (never vendored, never from a CDN).

`npm pack axe-core@AXE_VERSION` downloads the package tarball once into ~/.cache/atlas-tests (or
$ATLAS_TEST_CACHE); its axe.min.js is injected into each page with Playwright's add_script_tag, so the page
itself never requests anything foreign. `axe_source()` returns None with a reason when npm is missing or
offline, and the test skips with that reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

AXE_VERSION = "4.14.1"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]  # every rule of WCAG 2.2 level A and AA


def cache_dir() -> Path:
    return Path(os.environ.get("ATLAS_TEST_CACHE") or Path.home() / ".cache" / "atlas-tests")


def axe_source() -> tuple[str | None, str]:
    """(axe.min.js text, "") or (None, why it is not available)."""
    folder = cache_dir() / f"axe-core-{AXE_VERSION}"
    script = folder / "package" / "axe.min.js"
    if script.is_file():
        return script.read_text(encoding="utf-8"), ""
    npm = shutil.which("npm")
    if not npm:
        return None, "npm is not installed (apt-get install npm), so axe-core cannot be installed"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        run = subprocess.run([npm, "pack", f"axe-core@{AXE_VERSION}", "--silent"], cwd=folder, capture_output=True,
                             text=True, timeout=180, check=False)
    except subprocess.TimeoutExpired:
        return None, "npm pack axe-core timed out (offline?)"
    tarballs = sorted(folder.glob("axe-core-*.tgz"))
    if run.returncode != 0 or not tarballs:
        return None, f"npm pack axe-core@{AXE_VERSION} failed: {(run.stderr or run.stdout).strip()[:200]}"
    with tarfile.open(tarballs[0]) as tar:
        tar.extractall(folder, filter="data")
    return script.read_text(encoding="utf-8"), ""


RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map((v) => ({id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' '))}));
}"""


def violations(page, source: str) -> list[dict]:
    """axe-core's WCAG 2.2 A + AA violations on the page as it is now: [{id, impact, nodes}]."""
    page.add_script_tag(content=source)
    return page.evaluate(RUN_AXE, WCAG_22_AA)
