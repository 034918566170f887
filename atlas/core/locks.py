"""One build at a time per output folder and per cache: lock files taken with flock(2).

Two builds writing the same output would swap their staging folders over each other, and two builds
sharing a cache would rewrite each other's stage results; so `build` takes two locks before it writes
anything: `<output>.lock` beside the output folder, then `<cache>/.lock` (always in that order, so two
waiting builds cannot deadlock).

The lock itself is flock(2) on the open file, which the kernel releases when the holder's process ends,
however it ends (SIGKILL, a power cut of the process, an OOM kill). The file's content is only for the
message: the holder's pid, host and start time as JSON, so a second build can say who it waits for.
A holder that ends normally removes the file. A file found with content but no flock on it was left by a
process that died; it is taken over, and `LockFile.stale` says whose it was (the build reports it).

Removing a lock file while others may be opening it is safe because a taker checks, once it holds the
flock, that the path still names the file it locked; if not (the holder removed it meanwhile), it tries
again on the new file.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import logging
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from atlas.core.exits import LockHeld

log = logging.getLogger(__name__)
POLL_SECONDS = 0.5  # how often --wait looks again


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) a lock, as written in the lock file."""

    pid: int | None
    host: str
    started: str  # ISO 8601, UTC

    @classmethod
    def me(cls) -> Holder:
        started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        return cls(os.getpid(), socket.gethostname(), started)

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        """The holder in a lock file's text; None when the file is empty or not ours (being written)."""
        try:
            data = json.loads(text)
            return cls(int(data["pid"]), str(data["host"]), str(data["started"]))
        except (ValueError, KeyError, TypeError):
            return None

    def describe(self) -> str:
        who = f"pid {self.pid}" if self.pid is not None else "an unknown process"
        return f"{who} on {self.host}, started {self.started}"

    def to_json(self) -> str:
        return json.dumps({"pid": self.pid, "host": self.host, "started": self.started}) + "\n"


class LockFile:
    """An exclusive lock on `path`: `acquire` (or `with`), then `release`. Not reentrant."""

    def __init__(self, path: Path, what: str):
        self.path = path
        self.what = what  # "output /srv/site": says in the message what is locked
        self.fd: int | None = None
        self.stale: Holder | None = None  # the dead holder whose lock file this one took over

    def acquire(self, wait_seconds: float | None = None) -> LockFile:
        """Take the lock now, or within `wait_seconds` (None: do not wait). Raises LockHeld naming the holder."""
        deadline = None if wait_seconds is None else time.monotonic() + wait_seconds
        said = False
        while True:
            fd = self._try_lock()
            if fd is not None:
                self._claim(fd)
                return self
            if deadline is None or time.monotonic() >= deadline:
                raise LockHeld(self._held_message(wait_seconds))
            if not said:  # once, so that a build that seems to hang says what it waits for
                holder = self._holder()
                log.warning("waiting up to %g s for %s (%s) to finish", wait_seconds, self.what,
                            holder.describe() if holder else "another build")
                said = True
            time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))

    def release(self) -> None:
        """Remove the lock file, then let go of the flock (in that order: see the module docstring)."""
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            if os.stat(self.path).st_ino == os.fstat(self.fd).st_ino:
                os.unlink(self.path)
        os.close(self.fd)
        self.fd = None

    def __enter__(self) -> LockFile:
        return self.acquire() if self.fd is None else self

    def __exit__(self, *exc) -> None:
        self.release()

    def _try_lock(self) -> int | None:
        """An fd holding the flock on the file now at `path`, or None when another process holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return None
            except BaseException:
                os.close(fd)
                raise
            if _same_file(self.path, fd):
                return fd
            os.close(fd)  # the holder removed the file as we locked it: lock the one at the path now

    def _claim(self, fd: int) -> None:
        """Note a dead holder's leftover content, then write ours."""
        self.fd = fd
        left = os.pread(fd, 4096, 0).decode("utf-8", "replace")
        self.stale = (Holder.parse(left) or Holder(None, "an unknown host", "at an unknown time")) if left.strip() else None
        data = Holder.me().to_json().encode("utf-8")
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)

    def _held_message(self, wait_seconds: float | None) -> str:
        holder = self._holder()
        who = holder.describe() if holder else "a process that has not yet written its name"
        waited = f"waited {wait_seconds:g} s; " if wait_seconds is not None else ""
        advice = "try again later" if wait_seconds is not None else "run `atlas build --wait` to wait for it"
        return f"{self.path}: another build holds the lock on {self.what} ({who}); {waited}{advice}"

    def _holder(self) -> Holder | None:
        """Who holds the lock now, read from the file (it may be empty for a moment while being written)."""
        for _ in range(5):
            try:
                holder = Holder.parse(self.path.read_text(encoding="utf-8"))
            except OSError:
                holder = None
            if holder is not None:
                return holder
            time.sleep(0.05)
        return None


def _same_file(path: Path, fd: int) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def output_lock_path(output: Path) -> Path:
    """`<output>.lock` beside the output folder (not inside it: the folder is replaced whole)."""
    return output.parent / f"{output.name}.lock"


def cache_lock_path(cache: Path) -> Path:
    return cache / ".lock"


@contextlib.contextmanager
def build_locks(output: Path, cache: Path, wait_seconds: float | None = None):
    """Hold the output's lock and then the cache's for the block; yields the two LockFiles."""
    deadline = None if wait_seconds is None else time.monotonic() + wait_seconds
    with contextlib.ExitStack() as stack:
        locks = []
        for path, what in ((output_lock_path(output), f"output {output}"), (cache_lock_path(cache), f"cache {cache}")):
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            lock = LockFile(path, what)
            stack.enter_context(lock.acquire(left))
            locks.append(lock)
        yield locks
