"""Exit statuses of the command line, in one place, and the exceptions that carry them.

A script driving `atlas build` (cron, CI, a deploy hook) must be able to tell "fix your config" from "another
build is running, try later" from "the disk is full" without parsing the message, so each class of failure
has its own status. The message itself is always one line on stderr starting "atlas: " (atlas.cli.main).

    0    built and published
    1    --strict: built and published, but the report has entries
    2    the user's config or input is unusable (a PreflightError, a ConfigError, a missing table, ...)
    3    another build holds the lock on the output or the cache (`--wait` waits for it instead)
    4    the machine refused a write: disk full, quota, file too large, read-only filesystem, permission
         denied, I/O error
    5    the build would remove more than publish.max_shrink of the published works (`--allow-shrink`)
    6    the published site is damaged: its URL ledger (_atlas/ledger.json) is unreadable or corrupt
    130  interrupted by Ctrl+C (SIGINT), as a shell reports it: 128 + 2
    143  stopped by SIGTERM (kill, systemd, a CI timeout): 128 + 15

Whatever the status, the published site is the one from before the build or the complete new one, and no
staging folder is left behind (atlas.site.writer).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import threading
from collections.abc import Iterator

OK = 0
STRICT_PROBLEMS = 1
USER_ERROR = 2
LOCKED = 3
WRITE_ERROR = 4
SHRINK_REFUSED = 5
DAMAGED_SITE = 6
INTERRUPTED = 128 + signal.SIGINT  # 130
TERMINATED = 128 + signal.SIGTERM  # 143

# What the machine, not the user's config, refused: these errors on any file give status 4.
MACHINE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM,
                            errno.EIO})


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread by the CLI's handler. A KeyboardInterrupt, so that every `finally`
    and `except BaseException` cleanup that runs for Ctrl+C (the staging folder removed, the locks
    released) runs for `kill` too, and no `except Exception` swallows it."""


class LockHeld(RuntimeError):
    """Another build holds the lock on this output or cache; the message names it (pid, host, start)."""

    exit_status = LOCKED


class ShrinkRefused(RuntimeError):
    """The build would unpublish more than publish.max_shrink of the works; --allow-shrink publishes anyway."""

    exit_status = SHRINK_REFUSED


class DamagedSite(ValueError):
    """A file of the published site that the build needs (the URL ledger) is unreadable or corrupt."""

    exit_status = DAMAGED_SITE


def exit_status(exc: BaseException) -> int:
    """The status for a failure that main() turned into one line: the exception's own, else 4 for what the
    operating system refused (see MACHINE_ERRNOS), else 2."""
    if isinstance(exc, KeyboardInterrupt):
        return TERMINATED if isinstance(exc, Terminated) else INTERRUPTED
    own = getattr(exc, "exit_status", None)
    if isinstance(own, int):
        return own
    if isinstance(exc, OSError) and exc.errno in MACHINE_ERRNOS:
        return WRITE_ERROR
    return USER_ERROR


def terminated_handler(owner: int):
    """The SIGTERM handler for the process `owner`: raise Terminated there so cleanup runs. A process forked
    from it (a render worker, a data loader) inherits the handler; there it ends as plain SIGTERM would,
    quietly, since Pool.terminate() stops its workers with SIGTERM on every normal exit."""
    def handler(signum: int, frame: object) -> None:
        if os.getpid() != owner:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise Terminated(f"stopped by signal {signum}")
    return handler


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """For the block, SIGTERM raises Terminated in the main thread, so a build's cleanup runs for `kill` as
    it does for Ctrl+C; the previous handler is put back after. Elsewhere than the main thread (where
    Python cannot install handlers) it changes nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, terminated_handler(os.getpid()))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def interruption_line(exc: KeyboardInterrupt) -> str:
    """What main() says for a signal that stopped the command."""
    return "stopped by SIGTERM" if isinstance(exc, Terminated) else "interrupted"
