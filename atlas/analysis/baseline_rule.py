"""The baseline rule: a probe's guesses reach visitors only when the probe beats its baseline on held-out works.

A date model that is off by 262 years on average where always guessing the median year is off by 143,
or a nationality model right 46.7% of the time where always guessing "French" is right 48.3%, tells a
visitor nothing, yet its guesses look as confident as a good model's ("about 3730 ± 262"). Such a probe
is still reported on the model page, with that fact, but its per-work guesses are withheld from artwork
pages and from Surprises. "Beats" is strict: a probe that only ties its baseline is withheld too.
"""

from __future__ import annotations


def classifier_beats_baseline(report: dict) -> bool:
    """A classifier beats its baseline when its held-out top-1 accuracy is above always guessing the
    training part's most common class."""
    return bool(report.get("available")) and report["top1"] > report["majority_baseline"]


def date_beats_baseline(report: dict) -> bool:
    """The date regressor beats its baseline when its held-out mean absolute error is below that of
    guessing the training part's median year for every work."""
    return bool(report.get("available")) and report["mae"] < report["baseline_mae"]


def verdict(report: dict, beats: bool, baseline: str) -> dict:
    """The report with `beats_baseline` and `guesses_shown` added, and a plain sentence saying what follows."""
    if not report.get("available"):
        return dict(report, beats_baseline=False, guesses_shown=False, verdict="")
    sentence = (f"Better than {baseline} on the held-out works, so its guesses are shown on artwork pages."
                if beats else
                f"No better than {baseline} on the held-out works, so its guesses are not shown on artwork pages "
                "or in Surprises.")
    return dict(report, beats_baseline=beats, guesses_shown=beats, verdict=sentence)


def shown_guesses(guesses: dict[str, dict], shown: set[str]) -> dict[str, dict]:
    """{work id: {label: guess}} keeping only the labels whose probe beat its baseline."""
    return {work_id: {name: g for name, g in per_work.items() if name in shown} for work_id, per_work in guesses.items()}
