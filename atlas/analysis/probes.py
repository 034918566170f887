"""What the features know: simple classifiers and a date regressor trained on the cached embeddings.

The art-and-AI studies this atlas draws on ask a network to tell a work's culture, its year, its
medium, style or artist. Here the same questions are asked of the atlas's own vectors with small,
boring scikit-learn models (a shrinkage linear discriminant per label, a ridge regression for the year), so
every build can say how much of the catalogue the image features alone recover, and where they fail.

Two kinds of figures, kept apart so none is flattering:
- the model page's figures come from ONE fixed, stratified, seeded split: fit on the training part,
  score on the held-out part only (top-1/top-3 accuracy against the majority-class baseline, per-class
  counts, the confusion matrix, the mean absolute error in years by period);
- each artwork page's guess comes from k-fold cross-fitting: the model that guesses a work never saw
  it. Works without a usable label get the guess of a model fitted on every labelled work.

Everything returned is plain JSON-able data with rounded floats, so rebuilds are byte-identical.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, fields

import numpy as np

from atlas.analysis.baseline_rule import (
    classifier_beats_baseline,
    date_beats_baseline,
    shown_guesses,
    verdict,
)
from atlas.core.config import ProbesConfig
from atlas.core.records import CONDITIONS, Record
from atlas.core.splits import split, usable_classes
from atlas.core.typed import JsonData, plain

DECIMALS = 4
PROBE_DIMS = 128  # the classifiers see at most this many PCA dimensions (see _classifier)
RIDGE_ALPHAS = tuple(float(a) for a in np.logspace(-1, 5, 13))
UNKNOWN_VALUES = {"", "unknown", "anonymous", "unknown artist", "n/a", "none"}


def work_label(work: Record, name: str) -> str | None:
    """A work's value for a label column: a Record field (culture, medium, artist) or an extra column."""
    value = getattr(work, name, None) if name in Record.__dataclass_fields__ else work.extra.get(name)
    if value is None or not isinstance(value, str) or value.strip().casefold() in UNKNOWN_VALUES:
        return None
    return value.strip()


def work_year(work: Record) -> float | None:
    """The year the date model learns: the middle of the catalogue's span (one bound when only one is known)."""
    bounds = [b for b in (work.date_begin, work.date_end) if b is not None]
    return sum(bounds) / len(bounds) if bounds else None


@dataclass(frozen=True)
class ProbeReport(JsonData):
    """What the probes found: one report per label, the date report, each work's cross-fitted guesses, and
    the settings (data/probes.json holds all but the guesses, data/guesses.json the guesses)."""

    classifiers: dict  # {label: report}
    date: dict
    guesses: dict  # {work id: {label: guess}}, only for the probes that beat their baseline (baseline_rule)
    settings: dict

    def public(self) -> dict:
        """data/probes.json and the model page: everything but the per-work guesses."""
        return {f.name: plain(getattr(self, f.name)) for f in fields(self) if f.name != "guesses"}  # not turned and dropped


def run_probes(works: list[Record], vectors: np.ndarray, cfg: ProbesConfig) -> ProbeReport:
    """Train and score the probes of culture, medium, the configured labels and the date."""
    ids = [w.id for w in works]
    guesses: dict[str, dict] = {i: {} for i in ids}
    classifiers = {}
    for name in dict.fromkeys([*CONDITIONS, *cfg.labels]):
        values = [work_label(w, name) for w in works]
        report, per_work = probe_classifier(vectors, values, cfg)
        classifiers[name] = verdict(dict(report, label=name), classifier_beats_baseline(report),
                                    f"always guessing the most common class ({report.get('majority_class')})")
        for i, guess in zip(ids, per_work):
            if guess is not None:
                guesses[i][name] = guess
    date_report, per_work = probe_dates(vectors, [work_year(w) for w in works], cfg)
    date_report = verdict(date_report, date_beats_baseline(date_report), "always guessing the median year")
    for i, guess in zip(ids, per_work):
        if guess is not None:
            guesses[i]["date"] = guess
    shown = {name for name, r in classifiers.items() if r["guesses_shown"]} | ({"date"} if date_report["guesses_shown"] else set())
    return ProbeReport(
        classifiers=classifiers,
        date=date_report,
        guesses=shown_guesses(guesses, shown),  # the baseline rule: only probes that beat their baseline
        settings={
            "test_size": cfg.test_size,
            "folds": cfg.folds,
            "seed": cfg.seed,
            "min_class_size": cfg.min_class_size,
            "classifier": f"PCA to at most {PROBE_DIMS} dimensions, then linear discriminant analysis with Ledoit-Wolf shrinkage",
            "regressor": (f"standardised features (PCA to {PROBE_DIMS} dimensions when there are more training works than "
                          "dimensions), ridge regression (alpha chosen by leave-one-out on the training part)"),
        },
    )


# -- classifiers ---------------------------------------------------------------------------------
def _classifier(seed: int, rows: int, dims: int):
    """PCA to at most PROBE_DIMS dimensions, then linear discriminant analysis with Ledoit-Wolf shrinkage.

    A linear probe with a closed-form fit: no iterations, nothing to tune. Shrinkage LDA was chosen over
    a standardised logistic regression on the sample's 512-D resnet18 vectors (1.2 s vs 5.5 s per fit,
    held-out culture accuracy 0.96 vs 0.95). The PCA step (fitted on the training rows only) keeps it
    fast on wide features: on the sample's 2,048-D resnet50 vectors one fit took 53 s without it and
    about 8 s with it, for the same held-out culture accuracy (0.99), on the busy 2-core dev machine."""
    from sklearn.decomposition import PCA
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.pipeline import make_pipeline

    lda = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")
    keep = min(PROBE_DIMS, rows - 1, dims)
    if keep >= dims:
        return lda
    return make_pipeline(PCA(n_components=keep, svd_solver="randomized", random_state=seed), lda)


def probe_classifier(vectors: np.ndarray, values: list[str | None], cfg: ProbesConfig) -> tuple[dict, list]:
    """(report for the model page, per-work guess or None) for one label column."""
    classes, dropped = usable_classes(values, max(cfg.min_class_size, 2))
    keep = np.array([i for i, v in enumerate(values) if v in set(classes)], dtype=np.int64)
    unlabelled = sum(v is None for v in values)
    base = {"classes": classes, "dropped_classes": dropped, "unlabelled": unlabelled}
    held_out = round(cfg.test_size * len(keep))
    if len(classes) < 2 or held_out < len(classes) or len(keep) - held_out < len(classes):
        reason = "fewer than two classes with enough works" if len(classes) < 2 else "too few works to hold out one per class"
        return dict(base, available=False, reason=reason, caveats=[]), [None] * len(values)
    y = np.array([values[i] for i in keep])
    train, test = split(list(y), cfg.test_size, cfg.seed)
    model = _classifier(cfg.seed, len(train), vectors.shape[1]).fit(vectors[keep[train]], y[train])
    proba = model.predict_proba(vectors[keep[test]])
    report = dict(base, available=True, **_scores(y[train], y[test], proba, list(model.classes_)))
    report["caveats"] = _class_caveats(report, values)
    return report, _class_guesses(vectors, values, keep, y, cfg)


def _scores(y_train: np.ndarray, y_test: np.ndarray, proba: np.ndarray, classes: list[str]) -> dict:
    from sklearn.metrics import confusion_matrix, top_k_accuracy_score

    predicted = np.array(classes)[proba.argmax(axis=1)]
    k = min(3, len(classes))
    majority, _ = min(Counter(y_train.tolist()).items(), key=lambda t: (-t[1], t[0]))
    train_counts, test_counts = Counter(y_train.tolist()), Counter(y_test.tolist())
    confusion = confusion_matrix(y_test, predicted, labels=classes)
    per_class = [
        {
            "name": c,
            "train": train_counts[c],
            "test": test_counts[c],
            "correct": int(confusion[i, i]),
            "recall": _round(confusion[i, i] / test_counts[c]) if test_counts[c] else None,
        }
        for i, c in enumerate(classes)
    ]
    return {
        "train": len(y_train),
        "test": len(y_test),
        "top1": _round(float(np.mean(predicted == y_test))),
        "top3": _round(top_k_accuracy_score(y_test, proba, k=k, labels=classes)) if len(classes) > k else None,
        "top_k": k,
        "majority_class": majority,
        "majority_baseline": _round(float(np.mean(y_test == majority))),
        "per_class": per_class,
        "confusion": confusion.astype(int).tolist(),
    }


def _class_guesses(vectors, values, keep, y, cfg: ProbesConfig) -> list:
    """Out-of-fold guesses for labelled works; a model fitted on all of them guesses the rest."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    folds = max(2, min(cfg.folds, min(Counter(y.tolist()).values())))
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=cfg.seed)
    proba = np.zeros((len(values), len(set(y.tolist()))))
    rows = len(keep) - len(keep) // folds - 1  # the smallest training part of a fold
    proba[keep] = cross_val_predict(_classifier(cfg.seed, rows, vectors.shape[1]), vectors[keep], y, cv=cv, method="predict_proba")
    rest = np.setdiff1d(np.arange(len(values)), keep)
    full = _classifier(cfg.seed, len(keep), vectors.shape[1]).fit(vectors[keep], y)
    classes = list(full.classes_)
    if len(rest):
        proba[rest] = full.predict_proba(vectors[rest])
    held_out = np.zeros(len(values), bool)
    held_out[keep] = True  # one mask, not a set of `keep` built again for every work (quadratic at 100k)
    guesses = []
    for i, row in enumerate(proba):
        order = np.argsort(-row, kind="stable")[:3]
        guesses.append({
            "guess": classes[order[0]],
            "p": _round(row[order[0]], 3),
            "top": [[classes[j], _round(row[j], 3)] for j in order],
            "catalogue": values[i],
            "held_out": bool(held_out[i]),
        })
    return guesses


def _class_caveats(report: dict, values: list[str | None]) -> list[str]:
    counts = [c["train"] + c["test"] for c in report["per_class"]]
    notes = [
        (f"{'Class imbalance' if max(counts) >= 1.5 * min(counts) else 'Classes are nearly balanced'}: the "
        f"largest class has {max(counts)} works and the smallest {min(counts)} "
        f"(ratio {max(counts) / min(counts):.1f}). Always guessing the most common class "
        f"({report['majority_class']}) would be right {report['majority_baseline'] * 100:.1f}% of the time; "
        "that is the baseline to beat."),
        (f"Only {report['test']} works are held out, so one work more or less right moves top-1 accuracy "
        f"by {100 / max(report['test'], 1):.1f} points."),
        ("Label noise: the labels are the catalogue's own, normalised by the site's rules; a miscatalogued or "
        "loosely labelled work counts as an error even when the network is right."),
    ]
    if report["dropped_classes"]:
        shown = ", ".join(f"{k} ({v})" for k, v in report["dropped_classes"].items())
        notes.append(f"Left out for having too few works: {shown}.")
    if report["unlabelled"]:
        notes.append(f"{report['unlabelled']} works have no usable value for this label and are not scored.")
    return notes


# -- dates ---------------------------------------------------------------------------------------
def _regressor(seed: int, rows: int, dims: int):
    """Standardised features, PCA to at most PROBE_DIMS dimensions (as the classifiers), then ridge regression
    with alpha chosen by leave-one-out (RidgeCV's exact shortcut).

    Only with more training rows than dimensions: there RidgeCV's leave-one-out works from the d x d
    covariance but multiplies the N x d matrix by a d x d one for each of its 13 alphas, in each of the 6
    fits (split, 4 folds, all): at 2,048 dimensions the probes did not finish at 5,000 works in 900 s. On
    128 dimensions that is negligible and the randomized PCA is linear in N. With fewer rows than
    dimensions (the sample, AIC: a few hundred works) RidgeCV uses the N x N Gram matrix, which is cheap,
    so every dimension is kept and their figures are unchanged (benchmarks/README.md, "The date probe",
    has both models' figures on AIC and on synthetic collections)."""
    from sklearn.decomposition import PCA
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if rows <= dims or dims <= PROBE_DIMS:  # the N x N Gram matrix is the cheap way: every dimension kept
        return make_pipeline(StandardScaler(), RidgeCV(alphas=RIDGE_ALPHAS))
    return make_pipeline(StandardScaler(), PCA(n_components=PROBE_DIMS, svd_solver="randomized", random_state=seed),
                         RidgeCV(alphas=RIDGE_ALPHAS))


def probe_dates(vectors: np.ndarray, years: list[float | None], cfg: ProbesConfig) -> tuple[dict, list]:
    """(report: MAE in years overall and by period, per-work guess or None) for the date regressor."""
    keep = np.array([i for i, y in enumerate(years) if y is not None], dtype=np.int64)
    undated = len(years) - len(keep)
    if len(keep) < 10:
        return {"available": False, "reason": "fewer than 10 dated works", "undated": undated, "caveats": []}, [None] * len(years)
    y = np.array([years[i] for i in keep], dtype=np.float64)
    train, test = split(list(y), cfg.test_size, cfg.seed, stratify=False)
    model = _regressor(cfg.seed, len(train), vectors.shape[1]).fit(vectors[keep[train]], y[train])
    predicted = model.predict(vectors[keep[test]])
    errors = predicted - y[test]
    baseline = float(np.mean(np.abs(np.median(y[train]) - y[test])))
    periods = _by_period(y[test], errors)
    report = {
        "available": True,
        "train": len(train),
        "test": len(test),
        "undated": undated,
        "mae": _round(float(np.mean(np.abs(errors))), 1),
        "median_error": _round(float(np.median(np.abs(errors))), 1),
        "baseline_mae": _round(baseline, 1),
        "bias": _round(float(np.mean(errors)), 1),
        "by_period": periods,
        "alpha": _round(float(model[-1].alpha_), 4),
    }
    report["caveats"] = _date_caveats(report)
    return report, _date_guesses(vectors, years, keep, y, report, cfg)


def _by_period(true: np.ndarray, errors: np.ndarray) -> list[dict]:
    """Mean absolute error for the held-out works of each century (by catalogue date)."""
    starts = (np.floor(true / 100) * 100).astype(int)
    rows = []
    for start in sorted(set(starts.tolist())):
        mask = starts == start
        rows.append({
            "period": f"{start}\u2013{start + 99}",
            "start": start,
            "test": int(mask.sum()),
            "mae": _round(float(np.mean(np.abs(errors[mask]))), 1),
            "bias": _round(float(np.mean(errors[mask])), 1),
        })
    return rows


def _date_guesses(vectors, years, keep, y, report: dict, cfg: ProbesConfig) -> list:
    """Out-of-fold year for dated works (a model on all dated works for the rest), with the ± of its period."""
    from sklearn.model_selection import KFold, cross_val_predict

    predicted = np.zeros(len(years))
    cv = KFold(n_splits=max(2, min(cfg.folds, len(keep))), shuffle=True, random_state=cfg.seed)
    rows = len(keep) - len(keep) // cv.n_splits - 1  # the smallest training part of a fold
    predicted[keep] = cross_val_predict(_regressor(cfg.seed, rows, vectors.shape[1]), vectors[keep], y, cv=cv)
    rest = np.setdiff1d(np.arange(len(years)), keep)
    if len(rest):
        predicted[rest] = _regressor(cfg.seed, len(keep), vectors.shape[1]).fit(vectors[keep], y).predict(vectors[rest])
    spread = {row["start"]: row["mae"] for row in report["by_period"] if row["test"] >= 5}
    keep_set = set(keep.tolist())
    guesses = []
    for i, year in enumerate(predicted):
        period = int(np.floor(year / 100) * 100)
        guesses.append({
            "year": round(float(year)),
            "pm": round(float(spread.get(period, report["mae"]))),
            "catalogue": None if years[i] is None else _round(years[i], 1),
            "error": None if years[i] is None else _round(year - years[i], 1),
            "held_out": i in keep_set,
        })
    return guesses


def _date_caveats(report: dict) -> list[str]:
    return [
        (f"Guessing the training works' median year for every work would be off by {report['baseline_mae']:.1f} "
        "years on average; that is the baseline to beat."),
        ("Catalogue dates are often spans (\"17th century\", \"ca. 1650-1670\"); the model learns and is scored "
        "on the middle of the span, so a century-wide date carries up to 50 years of label noise by itself."),
        ("The \u00b1 on artwork pages is the held-out mean error of the century the guess falls in (the overall "
        "mean error where fewer than 5 held-out works share that century)."),
    ] + ([f"{report['undated']} works have no readable date and are not scored."] if report["undated"] else [])


def _round(value, decimals: int = DECIMALS):
    return None if value is None else round(float(value), decimals)
