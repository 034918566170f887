"""The Ray connection: joining a cluster, what it holds, and what each stage ran there.

`engine.kind: local` (the default) never imports Ray: a plain `pip install atlas` needs none of it.
With `engine.kind: ray` the build joins (or starts) a Ray cluster once, ships the driver's own atlas
package to the workers (Ray's `py_modules` runtime environment, so every node runs exactly the code of the
build that asked, whatever is installed there), and lets atlas.vectors.ray_embed and
atlas.analysis.ray_neighbours send work to it. What ran where is kept in an EngineLog and becomes notes of
the build report (never part of the site, so the pages stay byte-identical to a local build).
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from atlas.core.config import EngineConfig

INSTALL_LINE = ("engine.kind is 'ray', but Ray is not installed in this Python: "
                "pip install 'atlas[ray]' (or pip install 'ray[data]'), or set engine.kind: local")


class EngineUnavailable(RuntimeError):
    """engine.kind is ray and Ray cannot be imported or reached; the message is one line saying what to do."""


def ray_missing() -> str:
    """INSTALL_LINE when Ray cannot be imported, "" when it can (looked up without importing it)."""
    try:
        found = importlib.util.find_spec("ray") is not None
    except (ImportError, ValueError):  # ValueError: sys.modules["ray"] is None (a hidden module)
        found = False
    return "" if found else INSTALL_LINE


def require_ray():
    """The ray module, or EngineUnavailable with the one line saying how to install it."""
    try:
        import ray
    except ImportError as exc:
        raise EngineUnavailable(INSTALL_LINE) from exc
    return ray


def runtime_env() -> dict:
    """Ray's runtime environment for atlas's workers: this very atlas package, shipped to every node."""
    package = Path(str(importlib.resources.files("atlas")))
    return {"py_modules": [str(package)], "excludes": ["__pycache__", "*.pyc"]}


@dataclass(frozen=True)
class Cluster:
    """The cluster a build runs on, as seen when it joined."""

    address: str  # what engine.address asked for ("" = a private runtime on this machine)
    nodes: int
    cpus: float
    gpus: float
    started: bool  # this build started the runtime (and shuts it down again)

    def describe(self) -> str:
        where = self.address or "a private runtime on this machine"
        return f"ray at {where}: {self.nodes} nodes, {self.cpus:g} CPUs, {self.gpus:g} GPUs"


def connect(cfg: EngineConfig) -> Cluster:
    """Join engine.address (or start a private runtime), unless this process already joined one (a test's
    ray.init, a notebook): that one is used as it is and left running."""
    ray = require_ray()
    started = not ray.is_initialized()
    if started:
        try:
            ray.init(address=cfg.address or None, runtime_env=runtime_env(), include_dashboard=False,
                     logging_level=logging.WARNING, log_to_driver=True)
        except ConnectionError as exc:
            raise EngineUnavailable(f"engine.address '{cfg.address}': no Ray cluster answers there ({exc})") from exc
    quiet_progress_bars(ray)
    resources = ray.cluster_resources()
    nodes = sum(1 for node in ray.nodes() if node.get("Alive"))
    return Cluster(cfg.address, nodes, float(resources.get("CPU", 0)), float(resources.get("GPU", 0)), started)


def disconnect(cluster: Cluster) -> None:
    """Shut the runtime down again when this build started it."""
    if cluster.started:
        require_ray().shutdown()


def quiet_progress_bars(ray) -> None:
    """Ray Data's own bars would fight atlas's progress bars (atlas.core.progress) on the terminal."""
    ray.data.DataContext.get_current().enable_progress_bars = False


@dataclass
class StageRun:
    """One stage's work on the cluster: how much, on how many workers and GPUs, how fast."""

    stage: str
    items: int
    unit: str
    workers: int
    gpus: float
    seconds: float

    def line(self) -> str:
        rate = f"{self.items / self.seconds:,.1f} {self.unit}/s" if self.seconds > 0 and self.items else "nothing to do"
        return (f"{self.stage} on ray: {self.items:,} {self.unit} on {self.workers} workers ({self.gpus:g} GPUs) "
                f"in {self.seconds:.1f} s, {rate}")


@dataclass
class EngineLog:
    """What ran where in this build; the build report's notes say it (engine_lines)."""

    cluster: Cluster | None = None
    runs: list[StageRun] = field(default_factory=list)

    def timed(self, stage: str, unit: str, workers: int, gpus: float):
        """A StageRun whose seconds run from now until its `finish(items)`."""
        return _Timer(self, stage, unit, workers, gpus)

    def lines(self) -> list[str]:
        if self.cluster is None:
            return []
        return [f"engine: {self.cluster.describe()}"] + [f"engine: {run.line()}" for run in self.runs]


@dataclass
class _Timer:
    log: EngineLog
    stage: str
    unit: str
    workers: int
    gpus: float
    start: float = field(default_factory=time.perf_counter)

    def finish(self, items: int) -> None:
        seconds = time.perf_counter() - self.start
        self.log.runs.append(StageRun(self.stage, items, self.unit, self.workers, self.gpus, seconds))
