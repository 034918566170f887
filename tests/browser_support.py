"""Helpers for the browser tests: find Chromium, serve a built site, open guarded pages.

Every page opened through `BrowserPages` is watched: a request to any host but the local server is
aborted and recorded, console errors and uncaught exceptions are recorded, and `check()` fails the test
on either. Screenshots go under the test's own tmp_path, and their paths are printed (`pytest -s`, or the
captured output of a failing test) so a person can look at them.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

BASE_URL = "/atlas/"  # the base_url of conftest.sample_config


def find_chromium() -> str | None:
    """Debian's chromium (or $ATLAS_CHROMIUM): Playwright never downloads a browser of its own here."""
    for candidate in (os.environ.get("ATLAS_CHROMIUM"), "chromium", "chromium-browser", "/usr/bin/chromium"):
        if candidate and (path := shutil.which(candidate)):
            return path
    return None


class LocalSite:
    """atlas.site.serve's server for a built site, on a free port of 127.0.0.1, in a daemon thread."""

    def __init__(self, directory: Path, base_url: str = BASE_URL):
        from atlas.site.serve import make_server

        self.server = make_server(directory, base_url, port=0)
        self.server.RequestHandlerClass.func.log_message = lambda *args: None  # this server only: quiet tests
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.base = self.origin + base_url
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class GuardedPage:
    """A Playwright page in its own context that records foreign requests and console errors."""

    def __init__(self, browser, site: LocalSite, shots: Path, width: int, height: int, javascript: bool):
        self.site = site
        self.shots = shots
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.requests: list[str] = []
        self.context = browser.new_context(viewport={"width": width, "height": height}, java_script_enabled=javascript)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        self.page.on("requestfailed", self._failed)

    def _failed(self, request) -> None:
        """A local request that failed, other than one cancelled by leaving the page (ERR_ABORTED)."""
        if request.url not in self.foreign and "ERR_ABORTED" not in (request.failure or ""):
            self.errors.append(f"failed: {request.url} ({request.failure})")

    def _route(self, route) -> None:
        url = route.request.url
        self.requests.append(url)
        if url.startswith(self.site.origin + "/"):
            route.continue_()
        else:
            self.foreign.append(url)
            route.abort()

    def goto(self, path: str):
        """Open a site path ('map/', 'work/S0001/#culture-Dutch') and wait for it to load."""
        self.page.goto(self.site.base + path, wait_until="load")
        return self.page

    def shot(self, name: str) -> Path:
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=False)
        print(f"screenshot: {path}")
        return path

    def check(self) -> None:
        """Fail on any request that left the local server, and on any console error."""
        assert not self.foreign, f"requests to other hosts: {self.foreign}"
        assert not self.errors, f"console errors: {self.errors}"

    def close(self) -> None:
        self.context.close()


@contextmanager
def guarded_pages(browser, screenshots: Path) -> Iterator[Callable[..., GuardedPage]]:
    """make(site, width, height, javascript=True) -> a new GuardedPage; on leaving, every page made is closed,
    then each is checked (no foreign request, no console error). For the browser tests' page fixtures."""
    pages: list[GuardedPage] = []

    def make(site, width: int, height: int, javascript: bool = True) -> GuardedPage:
        page = GuardedPage(browser, site, screenshots, width, height, javascript)
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.close()
    for page in pages:
        page.check()


def built_and_served(site_yaml: Path) -> Iterator[tuple]:
    """Build the site of `site_yaml` and serve it for the module: yields (config, LocalSite), then stops the
    server. For module fixtures: `yield from built_and_served(write_...(tmp_path_factory.mktemp(...)))`."""
    from atlas.build import build
    from atlas.core.config import load_config

    config = load_config(site_yaml)
    build(config)
    local = LocalSite(config.output_dir, config.base_url)
    yield config, local
    local.close()
