"""The build locks (atlas.core.locks): flock(2) on a file holding the holder's pid, host and start time.

flock locks belong to an open file description, so a second LockFile in this same process conflicts with
the first exactly as another process would; the tests that need a process that dies use a real one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from atlas.core import exits
from atlas.core.exits import LockHeld
from atlas.core.locks import (
    Holder,
    LockFile,
    build_locks,
    cache_lock_path,
    output_lock_path,
)

ROOT = Path(__file__).resolve().parent.parent


def test_the_lock_file_names_its_holder_and_goes_when_released(tmp_path):
    path = tmp_path / "site.lock"
    with LockFile(path, "output site"):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["pid"] == os.getpid() and data["host"] and data["started"].endswith("+00:00")
    assert not path.exists()


def test_a_second_taker_is_refused_with_the_holder_named(tmp_path):
    path = tmp_path / "site.lock"
    with LockFile(path, "output /srv/site"):
        started = json.loads(path.read_text(encoding="utf-8"))["started"]
        with pytest.raises(LockHeld) as refused:
            LockFile(path, "output /srv/site").acquire()
    message = str(refused.value)
    assert f"pid {os.getpid()}" in message and started in message and str(path) in message
    assert "output /srv/site" in message and "--wait" in message and "\n" not in message
    assert exits.exit_status(refused.value) == exits.LOCKED
    LockFile(path, "output /srv/site").acquire().release()  # free again once released


def test_wait_takes_the_lock_once_the_holder_lets_go(tmp_path):
    path = tmp_path / "site.lock"
    holder = LockFile(path, "output site").acquire()
    threading.Timer(0.4, holder.release).start()
    start = time.monotonic()
    waiter = LockFile(path, "output site").acquire(wait_seconds=10)
    assert 0.3 < time.monotonic() - start < 5
    assert waiter.stale is None  # released properly: not a dead holder's file
    waiter.release()


def test_wait_gives_up_after_its_timeout(tmp_path):
    path = tmp_path / "site.lock"
    with LockFile(path, "output site"):
        start = time.monotonic()
        with pytest.raises(LockHeld, match=r"waited 0\.3 s"):
            LockFile(path, "output site").acquire(wait_seconds=0.3)
        assert time.monotonic() - start < 3


def test_the_kernel_releases_the_lock_of_a_killed_process_and_the_file_is_taken_over(tmp_path):
    path = tmp_path / "site.lock"
    script = ("import sys, time; from pathlib import Path; from atlas.core.locks import LockFile; "
              "LockFile(Path(sys.argv[1]), 'output site').acquire(); print('held', flush=True); time.sleep(60)")
    child = subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True,
                             env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        assert child.stdout.readline().strip() == "held"
        with pytest.raises(LockHeld, match=f"pid {child.pid} "):
            LockFile(path, "output site").acquire()
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        child.kill()
        child.wait()
    assert path.exists()  # a dead process cannot remove its file ...
    lock = LockFile(path, "output site").acquire()  # ... but holds no flock on it any more
    assert lock.stale is not None and lock.stale.pid == child.pid
    assert json.loads(path.read_text(encoding="utf-8"))["pid"] == os.getpid()
    lock.release()


def test_an_unreadable_leftover_is_taken_over_too(tmp_path):
    path = tmp_path / "site.lock"
    path.write_text("not json", encoding="utf-8")
    lock = LockFile(path, "output site").acquire()
    assert lock.stale is not None and "unknown process" in lock.stale.describe()
    lock.release()


def test_build_locks_take_the_output_then_the_cache(tmp_path):
    output, cache = tmp_path / "out" / "site", tmp_path / "cache"
    with build_locks(output, cache) as locks:
        assert [lock.path for lock in locks] == [output_lock_path(output), cache_lock_path(cache)]
        assert output_lock_path(output) == tmp_path / "out" / "site.lock" and cache_lock_path(cache).is_file()
        with pytest.raises(LockHeld, match="cache"):  # another output sharing this cache
            with build_locks(tmp_path / "other", cache):
                pass
        assert not (tmp_path / "other.lock").exists()  # the other output's lock was let go again
    assert not output_lock_path(output).exists() and not cache_lock_path(cache).exists()


def test_holder_text_round_trips():
    me = Holder.me()
    assert Holder.parse(me.to_json()) == me
    assert Holder.parse("") is None and Holder.parse('{"pid": "x"}') is None
