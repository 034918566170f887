"""A two-node Ray cluster on this machine for the engine.kind ray tests, and its clean-up.

`ray start --head` plus a second `ray start --address` with its own resources make two raylets (two
nodes) sharing this machine's disk, as a real cluster shares its storage. Clean-up ends exactly the
processes of this cluster, by their ids: every process whose command line names the cluster's own
temporary folder (the GCS, both raylets, their monitors) and their children (workers, agents). `ray stop`
would end every Ray process of the machine, other people's included, so it is not used here.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# Token authentication (Ray 2.5x's default for `ray start`) needs the token on every node; this cluster
# lives on one machine for one test module, so it is switched off for its processes and the test's driver.
RAY_ENV = {"RAY_AUTH_MODE": "token", "RAY_USAGE_STATS_ENABLED": "0"}


@dataclass(frozen=True)
class LocalCluster:
    address: str  # head node's GCS address, what engine.address takes
    temp: Path  # the cluster's own temporary folder (short: Ray's socket paths must stay under 107 bytes)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_two_nodes(cpus_per_node: int = 2) -> LocalCluster:
    """A head node and a second node (with a `second_node` resource of its own) on this machine."""
    temp = Path(tempfile.mkdtemp(prefix="atlas-ray-", dir="/tmp"))
    port = free_port()
    env = {**os.environ, **RAY_ENV}
    cluster = LocalCluster(f"127.0.0.1:{port}", temp)
    try:
        _ray(["start", "--head", f"--port={port}", f"--num-cpus={cpus_per_node}", "--num-gpus=0",
              f"--temp-dir={temp}", "--include-dashboard=false", "--disable-usage-stats"], env)
        _ray(["start", f"--address={cluster.address}", f"--num-cpus={cpus_per_node}", "--num-gpus=0",
              '--resources={"second_node": 1}', "--disable-usage-stats"], env)
    except BaseException:
        stop_cluster(cluster)
        raise
    return cluster


def _ray(args: list[str], env: dict) -> None:
    done = subprocess.run([shutil.which("ray") or "ray", *args], env=env, capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        raise RuntimeError(f"ray {' '.join(args)} failed: {done.stderr[-2000:]}")


def cluster_pids(cluster: LocalCluster) -> list[int]:
    """The cluster's processes: those naming its temporary folder, and their children."""
    table = _processes()
    own = {pid for pid, (_, args) in table.items() if str(cluster.temp) in args and pid != os.getpid()}
    children = {pid for pid, (parent, _) in table.items() if parent in own}
    return sorted(own | children)


def embedding_actor_pids(cluster: LocalCluster) -> list[int]:
    """The Ray Data actors running atlas's embedder (children of this cluster's raylets)."""
    table = _processes()
    raylets = {pid for pid, (_, args) in table.items() if str(cluster.temp) in args and "raylet" in args}
    return sorted(pid for pid, (parent, args) in table.items() if parent in raylets and "_Embedder" in args)


def stop_cluster(cluster: LocalCluster) -> None:
    """End the cluster's processes by id (SIGTERM, then SIGKILL after 10 s) and remove its folder."""
    pids = cluster_pids(cluster)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
            time.sleep(0.2)
    shutil.rmtree(cluster.temp, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat")
    return not (state.exists() and state.read_text().split(") ")[-1].startswith("Z"))  # a zombie is ended


def _processes() -> dict[int, tuple[int, str]]:
    """{pid: (parent pid, command line)} of this machine's processes, from /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            parent = int((entry / "stat").read_text().split(") ")[-1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        table[int(entry.name)] = (parent, args)
    return table
