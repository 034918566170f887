"""Writing the site: a staging folder that refuses collisions and escapes, then an atomic publish.

Pages are written into a staging folder beside the published one, `.<output>.staging-<pid>-<random>`: its
name is this build's alone, and builds take the output's lock (atlas.core.locks) before they make or
remove any staging folder, so no build ever touches another's. If the build fails anywhere before the
publish (disk full, permission denied, a bug, Ctrl+C, SIGTERM), `staging` removes the folder again and the
published site is exactly as it was. Staging folders left by a build that could not clean up (SIGKILL,
a power cut) are removed by the next build, under the lock (`recover`).

Publishing never leaves a moment without a complete site:

* Output is a folder (the usual case): on Linux the staging folder and the published one are exchanged
  in one step, renameat2(RENAME_EXCHANGE), called from libc through ctypes; then the old site, now at
  the staging path, is parked as the spare (below), or removed. Where the libc has no renameat2 (not Linux, an old libc) or the
  filesystem cannot exchange (EINVAL, ENOSYS), the fallback is two renames: the published folder to
  `.<output>.previous`, then the staging folder to the output. A build interrupted between the two puts
  the old site back itself (Ctrl+C, SIGTERM); one killed outright there (SIGKILL) leaves no folder at
  the output until the next build, whose `recover` renames `.<output>.previous` back first.
* Output is a symlink to a folder (the "releases" layout, `site -> site.20250101T120000-1a2b3c4d`): it
  stays a symlink. The new site is renamed to a new sibling of the folder it points to,
  `<output>.<UTC time>-<random>`, a new symlink to it is made beside the old one and renamed over it
  (one step), and the old folder is removed. The link keeps its style (relative or absolute). A build
  killed before the link moved leaves an unlinked release folder, one killed after leaves the old
  folder; the next build removes either when the name is one atlas made.

Staging reuses the site this build replaces ("the spare"). A publish parks the old site beside the output as
`.<output>.spare` instead of removing it, and the next build renames the spare to its staging folder and brings
it up to date, so a rebuild touches only what changed: laying out a new 10,000-work staging tree (21,000
folders, 31,000 hard links) and removing the replaced one took 4-6 s of a one-title rebuild on this machine,
a third of it. What the writer finds in a reused staging folder is never trusted: it is listed once
(SiteWriter.stale), links and odd entries in it are removed before anything is written, a file is kept only
when it is the very file published at that path (the same inode: a hard link made by an earlier build),
every other file is unlinked before its new bytes are written (never written through, so a file the published
site shares is never changed in place), and whatever this build does not produce is removed before the swap
(`finish`). The published site is never touched until the swap. The releases layout keeps no spare (it keeps
only the release it links to), and `publish.spare: false` removes the spare: both stage into a new empty
folder every build. The spare costs little disk: its unchanged files are hard links to the published ones.

Only files whose bytes changed are written anew. A file whose bytes equal the published file at the same
path is hard-linked from it into staging, so after the swap it is the very same file (same inode, same
modification time): rsync, S3 sync tools and browser caches see nothing changed, and a no-change rebuild
rewrites no output file. Where hard links are impossible (another filesystem) it is copied with its
timestamps instead. A cache artefact copied into the site is verified against its checksum as it is
copied (copy_file), so the carry-over can never hide a damaged cache file behind a published one.

Before publishing, `check_shrink` compares the number of works in the published data/works.json with the
staged one: a build that would remove more than publish.max_shrink of them is refused (ShrinkRefused).
"""

from __future__ import annotations

import ctypes
import errno
import functools
import json
import os
import re
import secrets
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from atlas.core.checked import CacheFileDamaged, read_checked
from atlas.core.exits import ShrinkRefused
from atlas.site import urls
from atlas.site.background import Background
from atlas.site.urls import safe_join

WORKS_INDEX = "data/works.json"  # the list of published works; the shrink guard counts its entries


@dataclass
class WriteCounts:
    """What a build did to each output file, compared with the site published before it."""

    written: int = 0  # new files, or files whose bytes changed
    unchanged: int = 0  # same bytes as before: carried over, not rewritten
    removed: int = 0  # published before, not produced now (filled in by publish)


class SiteWriter:
    """Writes files under one root; a second write to the same path is a bug and raises."""

    def __init__(self, root: Path, published: Path | None = None, listing: Listing | None = None):
        self.root = root
        self.published = published if published is not None and published.is_dir() else None
        self.written: set[str] = set()
        self.bytes_written = 0  # bytes of the whole site, changed or not
        self.counts = WriteCounts()
        self._folders: dict[tuple[Path, str], Path] = {}  # (root, folder) -> the folder, resolved and checked
        # What `root` holds already (a reused spare: see the module docstring), listed once; what this build
        # claims is taken out of `stale` as it goes, and `finish` removes the rest.
        # (`listing`: the same, listed ahead by a forked child while the build's stages ran: early_listing)
        there = root.is_dir()
        if listing is not None and there:
            self.stale, self._spare_folders = listing.stale, listing.spare_folders
        else:
            self.stale, self._spare_folders = list_tree(root, clean=True) if there else ({}, set())
        self._made: set[str] = ({""} if there else set()) | self._spare_folders  # folders there or made (relative)
        if self.published is None:
            self._published_files = None
        else:
            known = listing.published if listing is not None else None
            self._published_files = known if known is not None else list_tree(self.published)[0]
        self._finished = False

    def _join(self, root: Path, relative: str) -> Path:
        """urls.safe_join(root, relative), each folder resolved and checked once: resolving every file's whole
        path (an lstat per component) was 10 s of a 2,000-work rebuild. A file that is itself a symlink is
        checked whole, as before; no build changes either tree's folders into links while it holds the lock.
        In the staging folder no file is looked at: it is this build's own, made empty, and `_claim` refuses a
        second write to a path, so nothing can be there yet (one lstat less per file of the site)."""
        folder, _, name = relative.rpartition("/")
        if not name or name in (".", ".."):
            return safe_join(root, relative)  # refused there, or the folder itself
        target = self._folder(root, folder) / name
        return safe_join(root, relative) if root is not self.root and target.is_symlink() else target

    def _folder(self, root: Path, folder: str) -> Path:
        """`folder` under `root`, resolved and checked, from its parent's: a folder that is no link (or not there
        yet) is its resolved parent joined with its name, one lstat instead of resolving every component again
        (a kept page's folder, work/<id>/, is new for every page: 1.6 s of a 2,000-work rebuild). A link, or a
        name that is not a plain one, is resolved and checked whole by urls.safe_join."""
        where = self._folders.get((root, folder))
        if where is not None:
            return where
        parent, _, name = folder.rpartition("/")
        if not folder:
            where = root.resolve()
        elif name in ("", ".", ".."):
            where = safe_join(root, folder)
        else:
            where = self._folder(root, parent) / name
            where = safe_join(root, folder) if where.is_symlink() else where
        self._folders[(root, folder)] = where
        return where

    def write_bytes(self, relative: str, data: bytes) -> None:
        target = self._claim(relative)
        self.bytes_written += len(data)
        old = self._published_file(relative, len(data))
        if old is not None and old.read_bytes() == data and self._carry_over(relative, old, target):
            self.counts.unchanged += 1
            return
        self._clear(relative, target)
        try:
            target.write_bytes(data)
        except OSError as exc:  # a failed write() names no file: say which one (disk full, quota, EFBIG)
            raise exc if exc.filename else OSError(exc.errno, exc.strerror, str(target)) from exc
        self.counts.written += 1

    def keep(self, relative: str, size: int | None = None) -> None:
        """Carry the published file at `relative` over unread: a page whose render key did not change
        (atlas.site.page_keys checked that the published file is still the one made from that key, and gives
        its `size` from that check; without it the file is looked at)."""
        if self._already_there(relative):  # a reused staging folder has that very file: no path to look at
            self.stale.pop(relative)
            self.written.add(relative)
            self.bytes_written += os.stat(self.root / relative).st_size if size is None else size
            self.counts.unchanged += 1
            return
        target = self._claim(relative)
        old = self._join(self.published, relative) if self.published is not None else None
        if old is None or not self._carry_over(relative, old, target):
            raise FileNotFoundError(errno.ENOENT, "a kept page is no longer in the published site", str(old))
        self.bytes_written += target.stat().st_size if size is None else size
        self.counts.unchanged += 1

    def write_text(self, relative: str, text: str) -> None:
        self.write_bytes(relative, text.encode("utf-8"))

    def copy_file(self, relative: str, source: Path, checked: str = "") -> None:
        """Copy `source`'s bytes. With `checked` (the kind of cache artefact it is), the very bytes written
        must match their checksum: the stage that made the file verified it earlier in this build, so a
        mismatch here means the cache changed during the build, and the build stops before publishing."""
        if not checked:
            self.write_bytes(relative, source.read_bytes())
            return
        data = read_checked(source, checked)
        if data is None:
            raise CacheFileDamaged(f"cached {checked} file {source} no longer matches its checksum: it changed "
                                   "during the build; nothing was published, run the build again")
        self.write_bytes(relative, data)

    def _claim(self, relative: str) -> Path:
        if relative in self.written:
            raise ValueError(f"two outputs want the same file: {relative}")
        if self._finished:
            raise ValueError(f"the staging folder is finished; nothing more can be written: {relative}")
        target = self._join(self.root, relative)
        if relative in self._spare_folders:  # the spare has a folder where this build writes a file
            self._remove_folder(relative)
        folder = relative.rpartition("/")[0]
        if folder not in self._made:
            self._clear_ancestors(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(folder)
        self.written.add(relative)
        return target

    def _carry_over(self, relative: str, old: Path, target: Path) -> bool:
        """Put the published file `old` at `target`: nothing to do when a reused staging folder already has that
        very file there (the same inode); otherwise what is there is unlinked and `old` linked or copied."""
        there = self.stale.pop(relative, None)
        if there is not None:
            if there == self._published_inode(relative):
                return True
            os.unlink(target)
        return _carry_over(old, target)

    def _already_there(self, relative: str) -> bool:
        """Whether the staging folder (a reused spare) has the published file itself at `relative`, a hard link
        to it. Its path needs no check: it was found there as a plain file, and links were removed (list_tree)."""
        there = self.stale.get(relative)
        return (there is not None and there >= 0 and there == self._published_inode(relative)
                and relative not in self.written and not self._finished)

    def _clear(self, relative: str, target: Path) -> None:
        """Before new bytes are written at `target`: unlink what a reused staging folder has there. Writing
        through it would change the file in place, and it may be a hard link to a published file."""
        if self.stale.pop(relative, None) is not None:
            os.unlink(target)

    def _published_inode(self, relative: str) -> int | None:
        return self._published_files.get(relative) if self._published_files is not None else None

    def _clear_ancestors(self, folder: str) -> None:
        """A new folder where the spare has a file on its way (`a` was a file, now `a/b.html` is written)."""
        parts = folder.split("/")
        for end in range(1, len(parts) + 1):
            prefix = "/".join(parts[:end])
            if self.stale.pop(prefix, None) is not None:
                os.unlink(self.root / prefix)

    def _remove_folder(self, folder: str) -> None:
        """Remove the spare's `folder` and forget what it held."""
        shutil.rmtree(self.root / folder)
        inside = folder + "/"
        self._spare_folders = {f for f in self._spare_folders if f != folder and not f.startswith(inside)}
        self._made = {f for f in self._made if f != folder and not f.startswith(inside)}
        self.stale = {path: ino for path, ino in self.stale.items() if not path.startswith(inside)}

    def finish(self) -> None:
        """Remove what a reused staging folder holds that this build did not write: the staged tree is then exactly
        this build's output. Called by `publish`, before the swap; nothing can be written after it."""
        if self._finished:
            return
        self._finished = True
        needed = {""}
        for relative in self.written:
            folder = relative.rpartition("/")[0]
            while folder not in needed:
                needed.add(folder)
                folder = folder.rpartition("/")[0]
        unneeded = sorted(f for f in self._spare_folders if f not in needed and f.rpartition("/")[0] in needed)
        for folder in unneeded:
            shutil.rmtree(self.root / folder)
        for relative in sorted(self.stale):
            if relative.rpartition("/")[0] in needed:
                os.unlink(self.root / relative)
        self.stale.clear()

    def published_listing(self, output: Path) -> dict[str, int]:
        """The published files ({path: inode}) as listed when this writer was made, or listed now (`output`) when
        there was no published folder then."""
        return self._published_files if self._published_files is not None else list_tree(output)[0]

    def _published_file(self, relative: str, size: int) -> Path | None:
        """The file already published at `relative`, when it exists with the same size."""
        if self.published is None or (self._published_files is not None and relative not in self._published_files):
            return None
        old = self._join(self.published, relative)
        try:
            return old if old.is_file() and not old.is_symlink() and old.stat().st_size == size else None
        except OSError:
            return None


def list_tree(root: Path, clean: bool = False) -> tuple[dict[str, int], set[str]]:
    """({relative path: inode} of every file under `root`, {relative path of every folder}), one scandir per folder
    (the inode comes with the entry: no stat per file). A symlink is listed as a file with inode -1, so it is
    never taken for a published file; with `clean` (a staging folder of this build's own) links and anything that
    is neither a file nor a folder are removed instead, so nothing written there can be led out of the folder."""
    files: dict[str, int] = {}
    folders: set[str] = set()
    _list(os.path.realpath(root), "", files, folders, clean)
    return files, folders


def _list(folder: str, prefix: str, files: dict[str, int], folders: set[str], clean: bool) -> None:
    with os.scandir(folder) as entries:
        for entry in entries:
            relative = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                folders.add(relative)
                _list(entry.path, relative + "/", files, folders, clean)
            elif entry.is_file(follow_symlinks=False):
                files[relative] = entry.inode()
            elif clean:
                os.unlink(entry.path)  # a symlink, a socket, a fifo: never a staged file
            else:
                files[relative] = -1


def _carry_over(old: Path, target: Path) -> bool:
    """Put the published file `old` at `target` without rewriting it: a hard link, else a timestamped copy."""
    try:
        os.link(old, target)
    except OSError:
        try:
            shutil.copy2(old, target)
        except OSError:
            return False
    return True


# -- staging and publishing -------------------------------------------------------------------------

AT_FDCWD = -100  # <fcntl.h>: paths relative to the current folder
RENAME_EXCHANGE = 2  # <linux/fs.h>: renameat2 swaps the two paths instead of replacing one
FALLBACK_ERRNOS = (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP)  # the filesystem or kernel cannot exchange


class ForeignOutput(ValueError):
    """The output folder holds files atlas did not publish: atlas never publishes over them."""


def foreign_files(folder: Path) -> bool:
    """True when `folder` exists, is not empty and is not a site atlas published (which always holds its URL
    ledger, _atlas/ledger.json). Publishing replaces the whole folder, so such a folder is never the output:
    it may be the user's images, documents or home."""
    if not folder.is_dir():
        return False
    if (folder / urls.ledger_path()).is_file():
        return False
    return any(True for _ in folder.iterdir())


def refuse_foreign(output: Path) -> None:
    """Raise ForeignOutput when publishing to `output` would replace or remove files atlas did not write."""
    place = site_place(output)
    if foreign_files(place):
        raise ForeignOutput(f"output {output}" + (f" (a link to {place})" if place != output else "")
                            + " holds files that atlas did not publish (it has no _atlas/ledger.json): publishing"
                            " replaces the whole folder, so atlas never publishes there; choose an empty or new"
                            " folder")


def site_place(output: Path) -> Path:
    """Where the published folder really is: `output`, or the folder the symlink `output` points to."""
    return Path(os.path.realpath(output)) if output.is_symlink() else output


def previous_path(output: Path) -> Path:
    """Where the fallback swap parks the old site between its two renames (see recover)."""
    return output.parent / f".{output.name}.previous"


def spare_path(output: Path) -> Path:
    """Where a publish parks the site it replaced, for the next build to stage into (see the module docstring)."""
    return site_place(output).parent / f".{output.name}.spare"


@dataclass
class Listing:
    """What a SiteWriter lists before anything is written: the spare it reuses (its files' inodes, cleaned of links,
    and its folders) and the published files' inodes; made ahead by `early_listing`."""

    spare: str  # the spare folder listed, "" when none is reused
    spare_inode: int  # its inode: a spare replaced since is listed again
    stale: dict[str, int]
    spare_folders: set[str]
    published: dict[str, int] | None  # None: no published folder


def reused_spare(output: Path, reuse: bool = True) -> Path | None:
    """The spare this build stages into (see the module docstring), or None: there is none, `reuse` is off, or
    nothing is published to reuse it against (or the output is a releases symlink, which keeps no spare)."""
    spare = spare_path(output)
    if spare.is_dir() and not spare.is_symlink() and reuse and output.is_dir() and not output.is_symlink():
        return spare
    return None


def list_for_staging(output: Path, reuse: bool = True) -> Listing:
    """The Listing a SiteWriter for `output` starts from. Call only while holding the output's lock."""
    spare = reused_spare(output, reuse)
    stale, folders = list_tree(spare, clean=True) if spare is not None else ({}, set())
    published = list_tree(output)[0] if output.is_dir() else None
    return Listing(str(spare or ""), os.stat(spare).st_ino if spare is not None else 0, stale, folders, published)


def early_listing(output: Path, reuse: bool = True) -> Background:
    """list_for_staging() made in a forked child from now on (atlas.site.background), for `start_staging` to
    collect: on a rebuild of a big site the two listings (31,000 files in 21,000 folders each at 10,000 works) took
    0.35 s of a one-title rebuild, spent waiting on a system call per folder while the machine's other core idled.
    Start it once the build knows it will publish, under the output's lock (nothing else changes either tree)."""
    return Background(lambda: list_for_staging(output, reuse), "the staging folder's listing")


def start_staging(output: Path, reuse: bool = True, early: Background | None = None) -> SiteWriter:
    """This build's staging folder, beside the published folder (so on the same filesystem: the swap is a
    rename): the spare renamed, when there is one and `reuse`, else a new empty folder. Its name holds this
    process's id and a random part, so no other build, winning or losing the lock, can ever touch it. Prefer
    `staging`, which removes it if the build fails. Call only while holding the output's lock. `early`: the
    early_listing started for the same output and `reuse`, used when it listed this very spare."""
    place = site_place(output)
    place.parent.mkdir(parents=True, exist_ok=True)
    folder = place.parent / f".{output.name}.staging-{os.getpid()}-{secrets.token_hex(4)}"
    spare = reused_spare(output, reuse)
    listing = early.result() if early is not None else None
    if listing is not None and (listing.spare != str(spare or "") or (spare and os.stat(spare).st_ino != listing.spare_inode)):
        listing = None  # not the tree it listed: listed again below
    if spare is not None:
        os.rename(spare, folder)
    else:
        leftover = spare_path(output)
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover)  # publish.spare turned off, or nothing published to reuse it against
        folder.mkdir()
    return SiteWriter(folder, published=output, listing=listing)


@contextmanager
def staging(output: Path, reuse: bool = True, early: Background | None = None) -> Iterator[SiteWriter]:
    """A staging folder for the block, removed again if the block fails in any way (disk full, a bug,
    Ctrl+C, SIGTERM: atlas.cli turns it into an exception); after `publish` there is nothing to remove."""
    writer = start_staging(output, reuse, early)
    try:
        yield writer
    except BaseException:
        shutil.rmtree(writer.root, ignore_errors=True)
        raise


class Removals:
    """Old sites being removed after a publish. With `background`, each removal runs in a thread while the build
    records what it published (the page keys, the unchanged-build record, the report): removing a 10,000-work
    site's 20,000 folders took 2-14 s of a one-image rebuild on this machine's disk, which waits on each rmdir
    and leaves the CPU idle meanwhile. `wait` must be called before the output's lock is let go; a removal cut
    short (the process killed) leaves a folder with an atlas-made name, which the next build removes."""

    def __init__(self, background: bool = False) -> None:
        self.background = background
        self.threads: list[threading.Thread] = []

    def remove(self, folder: Path) -> None:
        if not self.background:
            shutil.rmtree(folder, ignore_errors=True)
            return
        thread = threading.Thread(target=shutil.rmtree, args=(folder,), kwargs={"ignore_errors": True},
                                  name=f"remove {folder.name}", daemon=True)
        thread.start()
        self.threads.append(thread)

    def wait(self) -> None:
        for thread in self.threads:
            thread.join()
        self.threads.clear()


def publish(output: Path, writer: SiteWriter, removals: Removals | None = None, keep_spare: bool = True) -> None:
    """Put the finished staging folder in place of the published site, in one step where the system allows.

    Also counts the published files that this build no longer produces (they go with the old folder: the
    new site is exactly what this build wrote). The old folder is parked as the spare (`keep_spare`), else
    removed now or by `removals` (see Removals). Call only while holding the output's lock."""
    removals = removals or Removals()
    refuse_foreign(output)  # checked by atlas.preflight too; here again, just before anything is replaced
    writer.finish()
    if output.is_dir():
        writer.counts.removed = len(writer.published_listing(output).keys() - writer.written)
    pause_point("publish")
    park = functools.partial(_park, output=output, removals=removals, keep=keep_spare and not output.is_symlink())
    if output.is_symlink():  # the releases layout keeps only the release it links to: no spare there
        _flip_symlink(output, writer.root, park)
    elif not output.exists():
        os.rename(writer.root, output)
    elif not output.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "exists and is not a folder; atlas never replaces a file", str(output))
    else:
        _swap_folders(output, writer.root, park)


def _park(old: Path, output: Path, removals: Removals, keep: bool) -> None:
    """The site just replaced: parked as the spare for the next build to stage into, or removed."""
    spare = spare_path(output)
    if keep and not spare.exists() and not spare.is_symlink():
        try:
            os.rename(old, spare)
            return
        except OSError:
            pass  # then it is removed, as without a spare
    removals.remove(old)


def _swap_folders(output: Path, staging: Path, park) -> None:
    """Exchange the two folders atomically; where that is impossible, two renames (see the module docstring)."""
    if exchange(staging, output):
        pause_point("swap")
        park(staging)  # the old site now; a leftover is removed by the next build
        return
    previous = previous_path(output)
    os.replace(output, previous)
    try:
        pause_point("swap")
        os.replace(staging, output)
    except BaseException:
        if not output.exists():  # interrupted between the renames: the old site goes back
            os.replace(previous, output)
        raise
    park(previous)


def _flip_symlink(output: Path, staging: Path, park) -> None:
    """`output` is a symlink: the new site becomes a sibling of the folder it points to, the link is
    replaced by one to the new folder in one rename, and the old folder is removed."""
    old = site_place(output)
    new = old.parent / f"{output.name}.{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{secrets.token_hex(4)}"
    os.rename(staging, new)
    try:
        pause_point("swap")
        _point_symlink(output, new)
    except BaseException:
        if site_place(output) != new:
            shutil.rmtree(new, ignore_errors=True)
        raise
    if old != new and old.is_dir() and not foreign_files(old):
        park(old)  # a leftover with an atlas-made name is removed by the next build


def _point_symlink(link: Path, folder: Path) -> None:
    """Make `link` point to `folder` in one step: a new symlink beside it, renamed over it. The new link is
    relative when the old one was, so a site moved with its releases keeps working."""
    relative = not os.path.isabs(os.readlink(link))
    text = os.path.relpath(folder, os.path.realpath(link.parent)) if relative else str(folder)
    temp = link.parent / f".{link.name}.link-{os.getpid()}-{secrets.token_hex(4)}"
    os.symlink(text, temp)
    try:
        os.replace(temp, link)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one step with Linux's renameat2(RENAME_EXCHANGE). False, having changed
    nothing, where the libc lacks renameat2 or the kernel or filesystem cannot exchange (EINVAL, ENOSYS)."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in FALLBACK_ERRNOS:
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


@functools.lru_cache(maxsize=1)
def _renameat2():
    """libc's renameat2 (glibc 2.28+, musl 1.1.24+), or None: not Linux, or an older libc."""
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError, TypeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def recover(output: Path) -> list[str]:
    """Repair what builds that died left behind; returns what it did, one line each, for the report.

    Call only while holding the output's lock (atlas.core.locks): then no other build is running, so every
    staging folder found is a dead build's. Only folders and links with the names atlas gives them are
    removed; a plain file of the user's that happens to sit there is left alone."""
    done = []
    previous = previous_path(output)
    if previous.is_dir() and not previous.is_symlink():
        if not output.exists() and not output.is_symlink():
            os.replace(previous, output)
            done.append(f"put the published site back at {output} (a publish was interrupted between its renames)")
        else:
            shutil.rmtree(previous)
            done.append(f"removed {previous}, the old site of a publish that did not finish removing it")
    for left in leftovers(output):
        if left.is_symlink():
            left.unlink()
        else:
            shutil.rmtree(left)
        done.append(f"removed {left}, left by a build that did not finish")
    return done


def leftovers(output: Path) -> list[Path]:
    """Staging folders, temporary links and unlinked release folders that builds which died left behind."""
    place = site_place(output)
    folders = sorted({output.parent, place.parent})
    return [path for folder in folders if folder.is_dir() for path in sorted(folder.iterdir())
            if _left_by_atlas(path, output, place)]


def _left_by_atlas(path: Path, output: Path, place: Path) -> bool:
    """Whether `path` is one of the things a build makes beside the output and removes when it finishes."""
    name, own = path.name, re.escape(output.name)
    real_folder = path.is_dir() and not path.is_symlink()
    if re.fullmatch(rf"\.{own}\.staging(-\d+-[0-9a-f]+)?", name):  # (without a suffix: older atlas versions)
        return real_folder
    if re.fullmatch(rf"\.{own}\.link-\d+-[0-9a-f]+", name):
        return path.is_symlink()
    if re.fullmatch(rf"{own}\.\d{{8}}T\d{{6}}-[0-9a-f]{{8}}", name):  # a release folder (symlinked output)
        return real_folder and output.is_symlink() and path != place
    return False


def pause_point(point: str) -> None:
    """Test hook, inert unless ATLAS_TEST_PAUSE_AT names `point`: then say so on stderr and sleep until
    ATLAS_TEST_PAUSE_SECONDS (default 60) pass or the file ATLAS_TEST_RESUME_FILE appears, so that a test
    can signal a real build at that very moment. Points: "publish" (the staging folder is complete, nothing
    is swapped yet) and "swap" (between the two halves of the swap). See tests/test_publish.py."""
    if os.environ.get("ATLAS_TEST_PAUSE_AT") != point:
        return
    print(f"atlas-test: paused at {point} (pid {os.getpid()})", file=sys.stderr, flush=True)
    deadline = time.monotonic() + float(os.environ.get("ATLAS_TEST_PAUSE_SECONDS", "60"))
    resume = os.environ.get("ATLAS_TEST_RESUME_FILE")
    while time.monotonic() < deadline and not (resume and os.path.exists(resume)):
        time.sleep(0.05)


# -- the shrink guard -------------------------------------------------------------------------------

def works_count(site: Path) -> int | None:
    """How many works the site's data/works.json lists; None when there is none, or it cannot be read."""
    try:
        data = json.loads((site / WORKS_INDEX).read_bytes())
    except (OSError, ValueError):
        return None
    return len(data) if isinstance(data, list) else None


def shrink_refusal(before: int | None, after: int, max_shrink: float) -> str | None:
    """Why publishing `after` works in place of `before` removes too many (more than max_shrink of them),
    or None when it does not (or when there was no readable site before: nothing to compare with)."""
    if not before or after >= before or (before - after) / before <= max_shrink:
        return None
    return (f"this build would publish {after:,} works where {before:,} are published now "
            f"({(before - after) / before:.0%} fewer; publish.max_shrink allows {max_shrink:.0%}); nothing was "
            "published: check the collection and the label rules, or build with --allow-shrink to publish it")


def check_shrink(output: Path, writer: SiteWriter, max_shrink: float, allowed: bool) -> None:
    """Refuse (ShrinkRefused) to publish the staged site when it drops too many of the published works."""
    if allowed:
        return
    refusal = shrink_refusal(works_count(output), works_count(writer.root) or 0, max_shrink)
    if refusal:
        raise ShrinkRefused(f"{output / WORKS_INDEX}: {refusal}")
