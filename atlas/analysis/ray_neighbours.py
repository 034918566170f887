"""The exact conditional-neighbour search on a Ray cluster (engine.kind: ray).

atlas.analysis.neighbours.exact_search_groups answers any subset of queries (`query_rows`) against every
candidate, one matrix multiply per block of `query_step` queries. Here the queries are cut into
contiguous pieces, each a whole number of those blocks, and every piece is a Ray task running that same
function (on a GPU where the task holds one); the pieces' rows are stacked back in order. Each task
therefore multiplies exactly the blocks a local search multiplies, so the arrays are identical to a
local search, ties included (torch.topk sees the same numbers in the same order). The vectors go to the
object store once and every task reads them from there. A task whose worker dies is retried by Ray.
"""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np

from atlas.analysis.neighbours import ExactSearch, exact_search_groups, query_step, search_candidates
from atlas.core.config import EngineConfig
from atlas.core.engine import Cluster, EngineLog


def ray_exact_search(engine: EngineConfig, cluster: Cluster, log: EngineLog, use_gpus: bool) -> ExactSearch:
    """exact_search_groups on the cluster, with engine's settings (a drop-in for conditional_neighbours)."""
    return partial(exact_search_on_ray, engine=engine, cluster=cluster, log=log, use_gpus=use_gpus)


def query_pieces(n: int, step: int, pieces: int) -> list[tuple[int, int]]:
    """[start, stop) ranges covering range(n) in at most `pieces` parts, every part but the last a
    multiple of `step` long."""
    blocks = -(-n // step)
    per = -(-blocks // max(1, pieces)) * step
    return [(start, min(start + per, n)) for start in range(0, n, per)]


def exact_search_on_ray(
    vectors: np.ndarray, groups: list[np.ndarray], k: int, block_size: int = 4096, device: str = "cpu",
    query_rows: np.ndarray | None = None, *, engine: EngineConfig, cluster: Cluster, log: EngineLog,
    use_gpus: bool = True,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """exact_search_groups' answer, computed as Ray tasks over pieces of the queries and stacked in order."""
    import ray

    queries = np.arange(len(vectors)) if query_rows is None else np.asarray(query_rows, dtype=np.int64)
    if not groups or len(queries) == 0:
        return exact_search_groups(vectors, groups, k, block_size, device, query_rows)
    gpus = engine.gpus_per_worker if use_gpus and cluster.gpus > 0 else 0.0
    task_device = "cuda" if gpus else device
    step = query_step(search_candidates(groups), block_size, task_device)
    pieces = query_pieces(len(queries), step, engine.search_tasks or max(1, int(cluster.cpus)))
    timer = log.timed("neighbours", "queries", len(pieces), gpus * len(pieces))
    shared_vectors, shared_groups = ray.put(np.ascontiguousarray(vectors, dtype=np.float32)), ray.put(groups)
    search = ray.remote(_search_piece).options(num_cpus=engine.cpus_per_worker, num_gpus=gpus)
    futures = [search.remote(shared_vectors, shared_groups, k, block_size, task_device, queries[start:stop])
               for start, stop in pieces]
    answers = ray.get(futures)
    timer.finish(len(queries))
    return [(np.concatenate([a[g][0] for a in answers]), np.concatenate([a[g][1] for a in answers]))
            for g in range(len(groups))]


def _search_piece(vectors: np.ndarray, groups: list[np.ndarray], k: int, block_size: int, device: str,
                  rows: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """One Ray task: the exact search for the queries `rows` (a contiguous piece of the whole). `vectors`
    is the object store's read-only array, shared by every task on a node; the search only reads it."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return exact_search_groups(vectors, groups, k, block_size, device, query_rows=rows)
