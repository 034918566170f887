"""Publishing never destroys the user's files, never leaves half a site, and says why it stopped.

The first half tests atlas.site.writer on small hand-made folders (fast). The second half runs real
`python -m atlas build` processes on a 12-work collection (a few seconds each, marked slow) and sends them
real signals at chosen moments, through the test hook ATLAS_TEST_PAUSE_AT (atlas.site.writer.pause_point):
after every fault the published site is the old complete one or the new complete one, file for file.
"""

from __future__ import annotations

import csv
import ctypes
import errno
import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from PIL import Image

from atlas import cli
from atlas.core import exits
from atlas.core.exits import DamagedSite, LockHeld, ShrinkRefused, Terminated
from atlas.core.locks import LockFile, output_lock_path
from atlas.site import writer
from atlas.site.ledger import Ledger
from atlas.site.writer import (
    check_shrink,
    leftovers,
    previous_path,
    publish,
    recover,
    shrink_refusal,
    staging,
    start_staging,
    works_count,
)

from .conftest import write_small_collection

ROOT = Path(__file__).resolve().parent.parent


# -- small hand-made sites ----------------------------------------------------------------------------

def site_files(marker: str, works: int = 3) -> dict[str, str]:
    """A small site whose every file says which one it is."""
    return {"index.html": f"<h1>{marker}</h1>\n", "data/works.json": json.dumps([{"id": f"w{i}"} for i in range(works)]),
            f"{marker}.txt": marker, "work/w0/index.html": f"<p>{marker}</p>\n",
            "_atlas/ledger.json": '{"format": 1, "pages": [], "works": {}}\n'}  # every site atlas publishes has one


def make_site(folder: Path, marker: str, works: int = 3) -> dict[str, str]:
    for relative, text in site_files(marker, works).items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text, encoding="utf-8")
    return tree(folder)


def tree(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder`, by relative path: two sites are equal byte for byte when these are."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def staged(output: Path, marker: str, works: int = 3) -> writer.SiteWriter:
    site = start_staging(output)
    for relative, text in site_files(marker, works).items():
        site.write_text(relative, text)
    return site


def expected(marker: str, works: int = 3) -> dict[str, str]:
    return {k: hashlib.sha256(v.encode("utf-8")).hexdigest() for k, v in site_files(marker, works).items()}


def assert_clean(output: Path) -> None:
    """No staging folder, no parked old site, no temporary link, no lock file left beside the output."""
    assert leftovers(output) == [] and not previous_path(output).exists() and not output_lock_path(output).exists()


def interrupt_at(point: str, exc: BaseException | None = None):
    """A pause_point that raises `exc` (SIGTERM's Terminated by default) on reaching `point`."""
    def pause(reached: str) -> None:
        if reached == point:
            raise exc if exc is not None else Terminated("SIGTERM")
    return pause


@pytest.fixture
def no_exchange(monkeypatch):
    """Publish as on a system whose libc has no renameat2: the two-rename fallback."""
    monkeypatch.setattr(writer, "_renameat2", lambda: None)


def test_exchange_swaps_two_folders_in_one_step(tmp_path):
    if writer._renameat2() is None:
        pytest.skip("this libc has no renameat2")
    a, b = tmp_path / "a", tmp_path / "b"
    make_site(a, "a")
    make_site(b, "b")
    assert writer.exchange(a, b)
    assert tree(a) == expected("b") and tree(b) == expected("a")


def test_first_publish_moves_the_staging_folder_into_place(tmp_path):
    output = tmp_path / "site"
    publish(output, staged(output, "new"))
    assert tree(output) == expected("new")
    assert_clean(output)


def test_publish_exchanges_the_published_folder_for_the_new_one(tmp_path, monkeypatch):
    output = tmp_path / "site"
    make_site(output, "old")
    used = []
    monkeypatch.setattr(writer, "exchange", lambda a, b: used.append(real_exchange(a, b)) or used[-1])
    site = staged(output, "new")
    publish(output, site)
    assert tree(output) == expected("new") and site.counts.removed == 1  # old.txt is no longer published
    assert used == [writer._renameat2() is not None]  # exchanged in one step wherever the libc can
    assert_clean(output)


@pytest.mark.parametrize("fallback", [False, True])
def test_the_replaced_site_is_removed_in_the_background_and_gone_after_wait(tmp_path, monkeypatch, fallback):
    """Removals(background=True): publish returns with the new site in place; the old one is removed by a
    thread the build waits for before it lets go of the lock (both swap paths)."""
    if fallback:
        monkeypatch.setattr(writer, "_renameat2", lambda: None)  # as the no_exchange fixture
    output = tmp_path / "site"
    make_site(output, "old")
    for n in range(200):  # enough folders that the removal is still running when publish returns
        (output / "many" / f"f{n}").mkdir(parents=True)
        (output / "many" / f"f{n}" / "index.html").write_text("old")
    removals = writer.Removals(background=True)
    publish(output, staged(output, "new"), removals, keep_spare=False)  # (publish.spare: false)
    assert tree(output) == expected("new")
    assert len(removals.threads) == 1 and removals.threads[0].daemon
    removals.wait()
    assert removals.threads == []
    assert_clean(output)


real_exchange = writer.exchange


def test_without_renameat2_publish_falls_back_to_two_renames(tmp_path, no_exchange):
    output = tmp_path / "site"
    make_site(output, "old")
    publish(output, staged(output, "new"))
    assert tree(output) == expected("new")
    assert_clean(output)


def test_a_filesystem_that_cannot_exchange_falls_back_too(tmp_path, monkeypatch):
    def einval(*args) -> int:
        ctypes.set_errno(errno.EINVAL)
        return -1

    monkeypatch.setattr(writer, "_renameat2", lambda: einval)
    output = tmp_path / "site"
    make_site(output, "old")
    assert not writer.exchange(output, tmp_path)
    publish(output, staged(output, "new"))
    assert tree(output) == expected("new")
    assert_clean(output)


@pytest.mark.parametrize("signal_like", [Terminated("SIGTERM"), KeyboardInterrupt()])
def test_an_interrupt_between_the_two_renames_puts_the_old_site_back(tmp_path, no_exchange, monkeypatch, signal_like):
    output = tmp_path / "site"
    old = make_site(output, "old")
    monkeypatch.setattr(writer, "pause_point", interrupt_at("swap", signal_like))
    with pytest.raises(KeyboardInterrupt), staging(output) as site:
        for relative, text in site_files("new").items():
            site.write_text(relative, text)
        publish(output, site)
    assert tree(output) == old
    assert_clean(output)


def test_an_interrupt_after_the_exchange_leaves_the_new_site_and_no_staging(tmp_path, monkeypatch):
    if writer._renameat2() is None:
        pytest.skip("this libc has no renameat2")
    output = tmp_path / "site"
    make_site(output, "old")
    monkeypatch.setattr(writer, "pause_point", interrupt_at("swap"))
    with pytest.raises(Terminated), staging(output) as site:
        for relative, text in site_files("new").items():
            site.write_text(relative, text)
        publish(output, site)
    assert tree(output) == expected("new")
    assert_clean(output)


@pytest.mark.parametrize("failure", [OSError(errno.ENOSPC, "No space left on device", "x.html"), Terminated("SIGTERM")])
def test_a_build_failing_while_staging_removes_its_staging_folder(tmp_path, failure):
    output = tmp_path / "site"
    old = make_site(output, "old")
    with pytest.raises(type(failure)), staging(output) as site:
        site.write_text("index.html", "<h1>half</h1>")
        raise failure
    assert tree(output) == old
    assert_clean(output)


def test_each_build_stages_in_a_folder_of_its_own(tmp_path):
    output = tmp_path / "site"
    first, second = start_staging(output), start_staging(output)
    assert first.root != second.root and first.root.parent == second.root.parent == tmp_path
    assert first.root.name.startswith(f".site.staging-{os.getpid()}-")


def test_recover_after_a_kill_between_the_renames(tmp_path):
    """What SIGKILL leaves between the two renames of the fallback: no output, the old site parked, the new staged."""
    output = tmp_path / "site"
    old = make_site(previous_path(output), "old")
    staged(output, "new")
    done = recover(output)
    assert tree(output) == old
    assert_clean(output)
    assert any("put the published site back" in line for line in done) and any("staging" in line for line in done)


def test_recover_leaves_the_users_plain_files_alone(tmp_path):
    output = tmp_path / "site"
    old = make_site(output, "old")
    mine = [tmp_path / ".site.staging", tmp_path / ".site.staging-12-deadbeef", previous_path(output)]
    for path in mine:
        path.write_text("the user's own file", encoding="utf-8")
    assert recover(output) == []
    assert all(p.read_text(encoding="utf-8") == "the user's own file" for p in mine)
    assert tree(output) == old
    publish(output, staged(output, "new"))  # with renameat2, nothing stands in the way
    assert tree(output) == expected("new") and all(p.is_file() for p in mine)


def test_a_plain_file_where_the_fallback_parks_the_old_site_stops_the_publish(tmp_path, no_exchange):
    output = tmp_path / "site"
    old = make_site(output, "old")
    previous_path(output).write_text("the user's own file", encoding="utf-8")
    with pytest.raises(NotADirectoryError) as refused, staging(output) as site:
        site.write_text("index.html", "<h1>new</h1>")
        publish(output, site)
    assert str(previous_path(output)) in cli.error_line(refused.value)
    assert tree(output) == old and previous_path(output).read_text(encoding="utf-8") == "the user's own file"
    assert leftovers(output) == []


def test_a_plain_file_at_the_output_is_never_replaced(tmp_path):
    output = tmp_path / "site"
    output.write_text("the user's own file", encoding="utf-8")
    with pytest.raises(NotADirectoryError), staging(output) as site:
        site.write_text("index.html", "<h1>new</h1>")
        publish(output, site)
    assert output.read_text(encoding="utf-8") == "the user's own file" and leftovers(output) == []


@pytest.mark.parametrize("relative", [True, False])
def test_a_symlinked_output_stays_a_symlink_and_its_old_folder_goes(tmp_path, relative):
    releases = tmp_path / "releases"
    make_site(releases / "site-v1", "old")
    output = tmp_path / "site"
    output.symlink_to("releases/site-v1" if relative else releases / "site-v1")
    targets = []
    for marker in ("one", "two"):
        publish(output, staged(output, marker))
        assert output.is_symlink() and tree(output) == expected(marker)
        assert os.path.isabs(os.readlink(output)) is not relative
        targets.append(Path(os.path.realpath(output)))
        assert [p.name for p in releases.iterdir()] == [targets[-1].name]  # the old folder is gone
        assert_clean(output)
    assert targets[0] != targets[1] and targets[0].parent == targets[1].parent == releases
    assert targets[1].name.startswith("site.")


def test_an_interrupt_before_the_link_moves_keeps_the_old_target(tmp_path, monkeypatch):
    make_site(tmp_path / "v1", "old")
    output = tmp_path / "site"
    output.symlink_to("v1")
    monkeypatch.setattr(writer, "pause_point", interrupt_at("swap"))
    with pytest.raises(Terminated), staging(output) as site:
        site.write_text("index.html", "<h1>new</h1>")
        publish(output, site)
    assert os.readlink(output) == "v1" and tree(output) == expected("old")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site", "v1"]


def test_recover_removes_unlinked_releases_and_temporary_links(tmp_path):
    """What SIGKILL leaves in the symlink layout: a release folder the link never reached, a temporary link."""
    make_site(tmp_path / "site.20250101T120000-0a1b2c3d", "old")
    output = tmp_path / "site"
    output.symlink_to("site.20250101T120000-0a1b2c3d")
    make_site(tmp_path / "site.20250102T120000-deadbeef", "orphan")
    (tmp_path / ".site.link-123-abcdef01").symlink_to("site.20250102T120000-deadbeef")
    (tmp_path / "site.notes").write_text("the user's", encoding="utf-8")
    assert len(recover(output)) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site", "site.20250101T120000-0a1b2c3d", "site.notes"]
    assert tree(output) == expected("old")


# -- the shrink guard, the ledger, the exit statuses ------------------------------------------------

@pytest.mark.parametrize("before, after, refused", [
    (10, 8, False), (10, 7, True), (10, 0, True), (10, 12, False), (None, 0, False), (0, 0, False),
])
def test_shrink_refusal(before, after, refused):
    assert (shrink_refusal(before, after, 0.2) is not None) is refused


def test_check_shrink_counts_the_published_and_the_staged_works(tmp_path):
    output = tmp_path / "site"
    old = make_site(output, "old", works=10)
    site = staged(output, "new", works=4)
    assert works_count(output) == 10 and works_count(site.root) == 4
    with pytest.raises(ShrinkRefused) as refused:
        check_shrink(output, site, 0.2, allowed=False)
    message = str(refused.value)
    assert message.startswith(str(output / "data" / "works.json")) and "4 works where 10" in message
    assert "60% fewer" in message and "--allow-shrink" in message
    assert exits.exit_status(refused.value) == exits.SHRINK_REFUSED
    check_shrink(output, site, 0.2, allowed=True)
    check_shrink(output, site, 0.6, allowed=False)
    assert tree(output) == old


@pytest.mark.parametrize("text", ["{broken", "[]", '{"format": 1}', '{"format": 9, "pages": [], "works": {}}', b"\xff\xfe"])
def test_a_corrupt_ledger_stops_the_build_naming_the_file(tmp_path, text):
    path = tmp_path / "site" / "_atlas" / "ledger.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    with pytest.raises(DamagedSite) as refused:
        Ledger.load(tmp_path / "site")
    assert str(refused.value).startswith(f"{path}: the URL ledger is unreadable or corrupt (")
    assert exits.exit_status(refused.value) == exits.DAMAGED_SITE


def test_a_site_without_a_ledger_has_an_empty_one(tmp_path):
    assert Ledger.load(tmp_path / "site").pages == set()


@pytest.mark.parametrize("exc, status", [
    (OSError(errno.ENOSPC, "No space left on device", "a"), 4), (OSError(errno.EROFS, "Read-only file system"), 4),
    (PermissionError(errno.EACCES, "Permission denied"), 4), (OSError(errno.EFBIG, "File too large"), 4),
    (FileNotFoundError(errno.ENOENT, "No such file"), 2), (ValueError("bad"), 2), (LockHeld("x"), 3),
    (ShrinkRefused("x"), 5), (DamagedSite("x"), 6), (KeyboardInterrupt(), 130), (Terminated(), 143),
])
def test_each_kind_of_failure_has_its_exit_status(exc, status):
    assert exits.exit_status(exc) == status


def test_sigterm_during_a_command_is_one_line_and_exit_143(monkeypatch, capsys):
    before = signal.getsignal(signal.SIGTERM)

    def killed(args, prog):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises before this ends
        raise AssertionError("SIGTERM was not turned into an exception")

    monkeypatch.setattr(cli, "dispatch", killed)
    monkeypatch.delenv("ATLAS_TRACEBACK", raising=False)
    assert cli.main(["serve"]) == 143
    assert capsys.readouterr().err == "atlas: stopped by SIGTERM\n"
    assert signal.getsignal(signal.SIGTERM) == before  # put back after the command


def test_preflight_refuses_an_output_below_a_plain_file(tmp_path):
    from atlas.core.config import load_config
    from atlas.preflight import check_config

    (tmp_path / "out").write_text("the user's own file", encoding="utf-8")
    (tmp_path / "site.yaml").write_text("output: out/site\n", encoding="utf-8")
    errors = check_config(load_config(tmp_path / "site.yaml")).errors
    assert any(f"{tmp_path / 'out'} is a file, not a folder" in e for e in errors)


# -- real builds of a 12-work collection, real processes, real signals -------------------------------

@dataclass
class Tiny:
    folder: Path  # the collection, the shared cache and every test's site.yaml
    reference: dict[str, str]  # tree() of a clean build: every build below must publish exactly this

    def config(self, name: str, output: Path, **overrides) -> Path:
        """A site.yaml for this collection publishing to `output` (its own name, so tests never share one)."""
        config = {
            "title": "Tiny", "output": str(output), "cache": "cache",
            "collection": {"format": "csv", "path": "collection.csv", **overrides.pop("collection", {})},
            "labels": {"culture": {"min_group_size": 2}, "medium": {"min_group_size": 2}},
            "embedding": {"model": "resnet18", "weights": "none", "image_size": 32},
            "probes": {"enabled": False}, "heatmaps": {"enabled": False}, "patterns": {"enabled": False},
            "map": {"layout": "pca", "min_cluster_size": 3}, "thumbnails": {"sizes": [64, 128]}, **overrides,
        }
        path = self.folder / f"{name}.yaml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        return path


def make_collection(folder: Path) -> None:
    (folder / "images").mkdir(parents=True)
    rows = []
    for n in range(12):
        Image.new("RGB", (48, 40), ((37 * n) % 255, (91 * n) % 255, (53 * n + 40) % 255)).save(folder / "images" / f"w{n}.png")
        rows.append({"id": f"w{n:02d}", "title": f"Work {n}", "artist": "Anon", "date": str(1600 + n),
                     "culture": ["Dutch", "Chinese"][n % 2], "medium": ["Oil", "Ink"][n // 6], "image": f"images/w{n}.png"})
    with open(folder / "collection.csv", "w", newline="", encoding="utf-8") as fh:
        table = csv.DictWriter(fh, fieldnames=list(rows[0]))
        table.writeheader()
        table.writerows(rows)


ENV = dict(os.environ, PYTHONPATH=str(ROOT), ATLAS_TRACEBACK="0")
NO_EXCHANGE = ("import sys; import atlas.site.writer as w; w._renameat2 = lambda: None; from atlas.cli import main; "
               "sys.exit(main(sys.argv[1:]))")  # `python -m atlas` on a system without renameat2


def atlas_command(config: Path, *more: str, exchange: bool = True) -> list[str]:
    head = [sys.executable, "-m", "atlas"] if exchange else [sys.executable, "-c", NO_EXCHANGE]
    return [*head, "build", "--config", str(config), *more]


def run_build(config: Path, *more: str, exchange: bool = True, preexec_fn=None) -> subprocess.CompletedProcess:
    return subprocess.run(atlas_command(config, *more, exchange=exchange), cwd=config.parent, env=ENV,
                          capture_output=True, text=True, timeout=300, preexec_fn=preexec_fn, check=False)


def last_line(result: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    return result.stderr.strip().splitlines()[-1]


class Paused:
    """A real build, started with the pause hook, waiting at `point` until signalled or resumed."""

    def __init__(self, config: Path, point: str, tmp: Path, *more: str, exchange: bool = True):
        self.err = tmp / f"paused-{point}-{time.monotonic_ns()}.err"
        self.resume_file = tmp / f"resume-{time.monotonic_ns()}"
        env = dict(ENV, ATLAS_TEST_PAUSE_AT=point, ATLAS_TEST_PAUSE_SECONDS="120", ATLAS_TEST_RESUME_FILE=str(self.resume_file))
        with open(self.err, "w") as err:
            self.proc = subprocess.Popen(atlas_command(config, *more, exchange=exchange), cwd=config.parent, env=env,
                                         stdout=subprocess.DEVNULL, stderr=err)
        wait_for(self.err, f"atlas-test: paused at {point}", self.proc)

    def signal(self, signum: int) -> int:
        self.proc.send_signal(signum)
        return self.proc.wait(60)

    def resume(self) -> int:
        self.resume_file.touch()
        return self.proc.wait(120)

    def stderr(self) -> str:
        return self.err.read_text(encoding="utf-8")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def wait_for(err: Path, text: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while text not in err.read_text(encoding="utf-8"):
        assert proc.poll() is None, f"the build ended ({proc.returncode}) before {text!r}:\n{err.read_text()}"
        assert time.monotonic() < deadline, f"no {text!r} within {timeout} s"
        time.sleep(0.05)


def old_site(reference_site: Path, output: Path) -> dict[str, str]:
    """A complete published site that differs from what the next build publishes (one more file)."""
    shutil.copytree(reference_site, output)
    (output / "old-marker.txt").write_text("the site before this build", encoding="utf-8")
    return tree(output)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Tiny:
    folder = tmp_path_factory.mktemp("tiny")
    make_collection(folder)
    tiny = Tiny(folder, {})
    result = run_build(tiny.config("reference", folder / "reference" / "site"))
    assert result.returncode == 0, result.stderr
    tiny.reference = tree(folder / "reference" / "site")
    assert len(tiny.reference) > 100 and "data/works.json" in tiny.reference
    return tiny


@pytest.mark.slow
def test_a_second_build_stops_naming_the_holder_and_one_with_wait_follows(tiny, tmp_path):
    output = tmp_path / "site"
    config = tiny.config("concurrent", output)
    first = Paused(config, "publish", tmp_path)
    try:
        holder = json.loads(output_lock_path(output).read_text(encoding="utf-8"))
        assert holder["pid"] == first.proc.pid
        staging_of_first = leftovers(output)

        second = run_build(config)
        line = last_line(second)
        assert second.returncode == exits.LOCKED
        assert line.startswith("atlas: build refused: ") and f"pid {first.proc.pid} " in line
        assert holder["started"] in line and str(output_lock_path(output)) in line
        assert leftovers(output) == staging_of_first and len(staging_of_first) == 1  # the winner's, untouched

        err = tmp_path / "third.err"
        with open(err, "w") as fh:
            third = subprocess.Popen(atlas_command(config, "--wait", "--wait-timeout", "120"), cwd=config.parent,
                                     env=ENV, stdout=subprocess.DEVNULL, stderr=fh)
        wait_for(err, "waiting up to 120 s for output", third)
        assert first.resume() == 0
        assert third.wait(120) == 0, err.read_text()
    finally:
        first.stop()
    assert tree(output) == tiny.reference
    assert_clean(output)


@pytest.mark.slow
def test_sigterm_and_sigkill_around_an_exchange(tiny, tmp_path):
    output = tmp_path / "site"
    config = tiny.config("signals", output)
    old = old_site(tiny.folder / "reference" / "site", output)

    build = Paused(config, "publish", tmp_path)  # the staging folder complete, nothing swapped
    assert build.signal(signal.SIGTERM) == exits.TERMINATED
    assert build.stderr().strip().splitlines()[-1] == "atlas: stopped by SIGTERM"
    assert tree(output) == old
    assert_clean(output)

    build = Paused(config, "swap", tmp_path)  # exchanged; the old site waits at the staging path
    assert build.signal(signal.SIGKILL) == -signal.SIGKILL
    assert tree(output) == tiny.reference  # the new site, complete
    assert len(leftovers(output)) == 1 and output_lock_path(output).exists()  # what a kill -9 cannot clean

    users = output.parent / ".site.staging"  # a plain file of the user's where old atlas versions staged
    users.write_text("mine", encoding="utf-8")
    rerun = run_build(config)
    assert rerun.returncode == 0, rerun.stderr
    assert tree(output) == tiny.reference and users.read_text(encoding="utf-8") == "mine"
    users.unlink()
    assert_clean(output)
    notes = json.loads((output.parent / "report.json").read_text(encoding="utf-8"))["notes"]
    assert any(f"took over the stale lock {output_lock_path(output)}" in n for n in notes)
    assert any("left by a build that did not finish" in n for n in notes)


@pytest.mark.slow
def test_sigterm_and_sigkill_between_the_two_renames_of_the_fallback(tiny, tmp_path):
    output = tmp_path / "site"
    config = tiny.config("fallback", output)
    old = old_site(tiny.folder / "reference" / "site", output)

    build = Paused(config, "swap", tmp_path, exchange=False)  # the old site parked, the new one not yet in place
    assert not output.exists() and tree(previous_path(output)) == old
    assert build.signal(signal.SIGTERM) == exits.TERMINATED
    assert tree(output) == old  # put back by the build itself
    assert_clean(output)

    build = Paused(config, "swap", tmp_path, exchange=False)
    assert build.signal(signal.SIGKILL) == -signal.SIGKILL
    assert not output.exists() and tree(previous_path(output)) == old  # the documented window of the fallback
    with LockFile(output_lock_path(output), "output"):
        recover(output)  # what the next build does first, under the lock
    assert tree(output) == old
    assert_clean(output)

    rerun = run_build(config, exchange=False)
    assert rerun.returncode == 0, rerun.stderr
    assert tree(output) == tiny.reference
    assert_clean(output)


@pytest.mark.slow
def test_a_symlinked_output_stays_a_symlink_across_builds(tiny, tmp_path):
    old_site(tiny.folder / "reference" / "site", tmp_path / "releases" / "site-v1")
    output = tmp_path / "site"
    output.symlink_to("releases/site-v1")
    config = tiny.config("symlink", output)
    targets = []
    for _ in range(2):
        result = run_build(config, "--full")  # the same inputs: without --full the second would stop early
        assert result.returncode == 0, result.stderr
        assert output.is_symlink() and not os.path.isabs(os.readlink(output))
        assert tree(output) == tiny.reference
        targets.append(os.readlink(output))
        assert sorted(p.name for p in (tmp_path / "releases").iterdir()) == [Path(targets[-1]).name]
        assert_clean(output)
    assert targets[0] != targets[1] and all(t.startswith("releases/site.") for t in targets)


def small_published_site(output: Path, works: int = 12) -> dict[str, str]:
    """A small complete site unlike what the build makes, so that every new file costs space."""
    make_site(output, "old", works=works)
    return tree(output)


@pytest.fixture
def tmpfs(tmp_path):
    """Mount a 1 MB tmpfs (we are root in the test container); skip when that is not allowed here."""
    disk = tmp_path / "disk"
    disk.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True, check=False)
    if made.returncode != 0:
        yield None
        return
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True, check=False)


def limit_file_size() -> None:
    """In the child: files may not grow past 64 KB; the write then fails with EFBIG (SIGXFSZ ignored)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


@pytest.mark.slow
def test_a_full_disk_leaves_the_site_and_no_staging_folder(tiny, tmp_path, tmpfs):
    if tmpfs is not None:  # a real full disk: the site is 1.7 MB, the disk 1 MB
        output, limit, reason = tmpfs / "site", None, "No space left on device"
    else:  # no mount allowed: a file size limit in the child instead (EFBIG)
        output, limit, reason = tmp_path / "site", limit_file_size, "File too large"
    before = small_published_site(output)
    # with site_url the build makes share cards: the site is the 1.7 MB that cannot fit (without, it might)
    result = run_build(tiny.config("disk-full", output, site_url="https://tiny.example.org"), preexec_fn=limit)
    line = last_line(result)
    assert result.returncode == exits.WRITE_ERROR, result.stderr
    assert line.startswith("atlas: build failed: /") and f": {reason} (the previously published site" in line
    assert tree(output) == before
    assert_clean(output)


@pytest.mark.slow
def test_a_read_only_output_folder_is_one_line_and_exit_4(tiny, tmp_path, tmpfs):
    if os.geteuid() != 0:
        parent = tmp_path / "ro"
        parent.mkdir()
        before = small_published_site(parent / "site")
        parent.chmod(0o555)
    elif tmpfs is not None:  # root ignores permission bits: a read-only mount instead
        parent = tmpfs
        before = small_published_site(parent / "site")
        assert subprocess.run(["mount", "-o", "remount,ro", str(parent)], check=False).returncode == 0
    else:
        pytest.skip("running as root, which ignores chmod, and mounting a read-only tmpfs is not allowed here")
    try:
        result = run_build(tiny.config("read-only", parent / "site"))
    finally:
        parent.chmod(0o755) if os.geteuid() != 0 else None
    line = last_line(result)
    assert result.returncode == exits.WRITE_ERROR
    assert f"atlas: build failed: {output_lock_path(parent / 'site')}: " in line
    assert ("Read-only file system" in line) or ("Permission denied" in line)
    assert tree(parent / "site") == before and leftovers(parent / "site") == []


@pytest.mark.slow
def test_a_build_that_drops_most_works_asks_for_allow_shrink(tiny, tmp_path):
    output = tmp_path / "site"
    before = small_published_site(output, works=10)
    config = tiny.config("shrink", output, collection={"limit": 5})
    refused = run_build(config)
    line = last_line(refused)
    assert refused.returncode == exits.SHRINK_REFUSED
    assert line.startswith(f"atlas: build refused: {output / 'data' / 'works.json'}: this build would publish 5 works")
    assert "--allow-shrink" in line
    assert tree(output) == before
    assert_clean(output)

    allowed = run_build(config, "--allow-shrink")
    assert allowed.returncode == 0, allowed.stderr
    assert works_count(output) == 5
    assert_clean(output)


@pytest.mark.slow
def test_a_corrupt_ledger_stops_the_build_and_names_it(tiny, tmp_path):
    output = tmp_path / "site"
    small_published_site(output)
    (output / "_atlas").mkdir(exist_ok=True)
    (output / "_atlas" / "ledger.json").write_text('{"format": 1, "pages": [', encoding="utf-8")
    before = tree(output)
    result = run_build(tiny.config("ledger", output))
    line = last_line(result)
    assert result.returncode == exits.DAMAGED_SITE
    assert line.startswith(f"atlas: build failed: {output / '_atlas' / 'ledger.json'}: the URL ledger is unreadable")
    assert tree(output) == before
    assert_clean(output)


def test_a_forked_worker_ends_quietly_on_sigterm():
    """Pool.terminate() sends SIGTERM to render workers on every normal exit: they must not raise there."""
    import multiprocessing

    with exits.sigterm_raises():
        worker = multiprocessing.get_context("fork").Process(target=time.sleep, args=(30,))
        worker.start()
        time.sleep(0.2)
        worker.terminate()
        worker.join(10)
    assert worker.exitcode == -signal.SIGTERM


def test_a_write_error_that_names_no_file_is_given_the_build_folders(tmp_path):
    """numpy's memory maps and some libraries raise ENOSPC without a file name: the one line still says where."""
    import errno

    from atlas.build import naming_the_folders
    from atlas.core.config import SiteConfig
    from atlas.core.exits import WRITE_ERROR, exit_status

    config = SiteConfig(root=tmp_path)
    with pytest.raises(OSError) as caught, naming_the_folders(config):
        raise OSError(errno.ENOSPC, "No space left on device")
    assert str(config.cache_dir) in str(caught.value) and str(config.output_dir) in str(caught.value)
    assert exit_status(caught.value) == WRITE_ERROR
    with pytest.raises(OSError) as named, naming_the_folders(config):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x.npy"))
    assert named.value.filename == str(tmp_path / "x.npy")  # a named file is left as it is


# -- never over the user's own files ---------------------------------------------------------------------

def user_folder(folder: Path) -> dict[str, str]:
    """A folder of the user's own files (no _atlas/ledger.json): what a mistyped output may point at."""
    (folder / "sub").mkdir(parents=True)
    (folder / "photo.jpg").write_bytes(b"\xff\xd8 the user's photo")
    (folder / "sub" / "notes.txt").write_text("keep me", encoding="utf-8")
    return tree(folder)


@pytest.mark.parametrize("linked", [False, True])
def test_publish_never_replaces_a_folder_atlas_did_not_publish(tmp_path, linked):
    """An output that is (or links to) a folder of the user's files: refused, the folder and the link kept,
    the staging folder gone."""
    mine = tmp_path / "images"
    before = user_folder(mine)
    output = tmp_path / "site"
    if linked:
        output.symlink_to(mine, target_is_directory=True)
    else:
        output = mine
    with pytest.raises(writer.ForeignOutput, match="did not publish"), writer.staging(output) as site:
        site.write_text("index.html", "new")
        publish(output, site)
    assert tree(mine) == before and (output.is_symlink() == linked)
    assert not [p for p in tmp_path.iterdir() if "staging" in p.name]


def test_a_build_into_a_link_to_the_users_images_is_refused_before_anything_is_written(tmp_path):
    """The case that once deleted a collection's images: the table names its images by a path column, and
    --output is a symlink to the image folder. Exit 2, one line, every file of the user's as it was."""
    project, images = tmp_path / "project", tmp_path / "photos"
    images.mkdir()
    rows = []
    for n in range(4):
        Image.new("RGB", (32, 32), (60 * n, 90, 150)).save(images / f"p{n}.png")
        rows.append({"id": f"p{n}", "title": f"P{n}", "image": str(images / f"p{n}.png")})
    project.mkdir()
    config = write_small_collection(project, rows, "Mistyped output", collection={"allow_outside_paths": True})
    (project / "images").symlink_to(images, target_is_directory=True)
    before = {**tree(images), **{f"project/{k}": v for k, v in tree(project).items()}}
    result = run_build(config, "--output", str(project / "images"))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "did not publish" in result.stderr
    assert {**tree(images), **{f"project/{k}": v for k, v in tree(project).items()}} == before


def test_an_image_named_inside_the_published_site_stops_the_build(tmp_path):
    """An atlas site as output, and the table names an image inside it: refused after reading, before writing."""
    from atlas.build import refuse_images_in_output
    from atlas.core.config import ConfigError
    from atlas.core.records import Record

    site = tmp_path / "site"
    make_site(site, "old")
    (site / "p.png").write_bytes(b"png")
    with pytest.raises(ConfigError, match="holds the image of record p"):
        refuse_images_in_output([Record(id="q", image_path=tmp_path / "q.png"), Record(id="p", image_path=site / "p.png")],
                                site)
    refuse_images_in_output([Record(id="q", image_path=tmp_path / "q.png")], site)  # outside: fine
