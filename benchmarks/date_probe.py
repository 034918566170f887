"""The date probe before and after its PCA step (issue 20): its figures on real builds, its time at scale.

    python -m benchmarks.date_probe --config examples/aic/site.yaml --name aic --work /tmp/dp
    python -m benchmarks.date_probe --sample --name sample --work /tmp/dp        # the tests' sample settings
    python -m benchmarks.date_probe --synthetic 5000,10000,30000 --before-max 5000

With --config (or --sample) it builds the site up to the probes stage, with the output and caches under
--work (so a checkout's own build folder is never touched), keeps the vectors and dated years the probes
would get (DIR/NAME.npz) and stops there; then runs atlas.analysis.probes.probe_dates as it is ("after":
standardised, PCA to PROBE_DIMS when there are more training works than dimensions, RidgeCV), as it
was ("before": standardised, RidgeCV on every dimension) and with the PCA whatever the sizes ("pca-always") and prints the held-out mean absolute error, the median-year baseline it must beat, the
chosen alpha and the seconds. With --synthetic it times both on clustered synthetic vectors (the
benchmarks/synthetic.py ones, 2,048-d) with years that follow the works' culture, "before" only up to
--before-max works. Results: benchmarks/results/date_probe_NAME.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


class Captured(Exception):
    """Raised from the patched probes stage once the vectors are saved: the build stops there."""


def capture(config_path: Path, work: Path, name: str) -> Path:
    """Build up to the probes stage and save what the probes get (vectors, years) to WORK/NAME.npz."""
    from atlas import build as build_module
    from atlas.analysis import probes
    from atlas.core.config import load_config

    out = work / f"{name}.npz"
    if out.exists():
        return out

    def keep(works, vectors, cfg):
        years = [probes.work_year(w) for w in works]
        np.savez(out, vectors=np.asarray(vectors, np.float32),
                 years=np.array([np.nan if y is None else y for y in years], np.float64))
        raise Captured

    overrides = {"output": str(work / name / "site"), "cache": str(work / name / "cache"), "probes.enabled": True}
    config = load_config(config_path, overrides)
    build_module.probes.run_probes = keep
    try:
        build_module.build(config)
    except Captured:
        pass
    return out


def sample_config(work: Path) -> Path:
    from tests.conftest import sample_config as make

    folder = work / "sample-src"
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "site.yaml").exists():
        make(folder)
    return folder / "site.yaml"


def before_regressor(seed: int, rows: int, dims: int):
    """The date probe's model before this change: standardised features, RidgeCV on every dimension."""
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from atlas.analysis.probes import RIDGE_ALPHAS

    return make_pipeline(StandardScaler(), RidgeCV(alphas=RIDGE_ALPHAS))


def pca_regressor(seed: int, rows: int, dims: int):
    """The reduced model whatever the sizes (the code uses it only with more training rows than dimensions):
    its figures on collections too small to need it."""
    from sklearn.decomposition import PCA
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from atlas.analysis.probes import PROBE_DIMS, RIDGE_ALPHAS

    keep = min(PROBE_DIMS, rows - 1, dims)
    return make_pipeline(StandardScaler(), PCA(n_components=keep, svd_solver="randomized", random_state=seed),
                         RidgeCV(alphas=RIDGE_ALPHAS))


MODELS = {"before": before_regressor, "pca-always": pca_regressor}  # "after": the code as it is


def measure(vectors: np.ndarray, years: list, which: str) -> dict:
    """probe_dates (split report + cross-fitted guesses) with the model of `which`: figures and seconds."""
    from atlas.analysis import probes
    from atlas.core.config import ProbesConfig

    now = probes._regressor
    probes._regressor = MODELS.get(which, now)
    try:
        start = time.perf_counter()
        report, guesses = probes.probe_dates(vectors, years, ProbesConfig())
        seconds = time.perf_counter() - start
    finally:
        probes._regressor = now
    return {"model": which, "seconds": round(seconds, 2), "mae": report.get("mae"), "baseline_mae": report.get("baseline_mae"),
            "median_error": report.get("median_error"), "alpha": report.get("alpha"), "train": report.get("train"),
            "test": report.get("test"), "beats_baseline": report.get("mae", 1e9) < report.get("baseline_mae", 0),
            "load": round(os.getloadavg()[0], 2)}


def synthetic(works: int) -> tuple[np.ndarray, list]:
    from benchmarks.synthetic import CULTURES, clustered_vectors, group_labels

    rng = np.random.default_rng(0)
    cultures = group_labels(works, CULTURES, rng)
    vectors = clustered_vectors(works, 2048, cultures, np.random.default_rng(1))
    eras = np.linspace(-1500, 1900, len(CULTURES))  # each culture its era, as the sample's dates are drawn
    years = (eras[cultures] + rng.normal(0, 80, size=works)).round().tolist()
    return vectors, years


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="the date probe before and after its PCA step")
    parser.add_argument("--config", type=Path)
    parser.add_argument("--sample", action="store_true", help="the tests' sample (untrained resnet18 at 128 px)")
    parser.add_argument("--synthetic", default="", help="comma-separated sizes to time")
    parser.add_argument("--before-max", type=int, default=5000, help="largest synthetic size to run the old model on")
    parser.add_argument("--name", default="synthetic")
    parser.add_argument("--work", type=Path, default=Path("/tmp/date-probe"))
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    rows = []
    if args.config or args.sample:
        data = np.load(capture(args.config or sample_config(args.work), args.work, args.name))
        vectors, years = data["vectors"], [None if np.isnan(y) else float(y) for y in data["years"]]
        for which in ("before", "after", "pca-always"):
            rows.append(dict(measure(vectors, years, which), works=len(vectors), dim=vectors.shape[1], data=args.name))
            print(rows[-1], flush=True)
    for works in [int(n) for n in args.synthetic.split(",") if n]:
        vectors, years = synthetic(works)
        for which in ("before", "after") if works <= args.before_max else ("after",):
            rows.append(dict(measure(vectors, years, which), works=works, dim=vectors.shape[1], data="synthetic"))
            print(rows[-1], flush=True)
    print(f"\n{'data':<10} {'works':>7} {'dim':>5} {'model':<10} {'MAE':>7} {'baseline':>8} {'alpha':>9} {'seconds':>8} {'load':>5}")
    for r in rows:
        print(f"{r['data']:<10} {r['works']:>7,} {r['dim']:>5} {r['model']:<10} {r['mae']:>7} {r['baseline_mae']:>8} "
              f"{r['alpha']:>9} {r['seconds']:>8} {r['load']:>5}")
    out = RESULTS / f"date_probe_{args.name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"rows": rows}, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
