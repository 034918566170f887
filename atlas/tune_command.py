"""`atlas finetune --objective connections`: its options and what it prints (atlas.cli wires it in).

Kept out of cli.py so the command line module stays one screen per command; the work itself is
atlas.analysis.tuning_eval (connections, tuning, before / after evaluation).
"""

from __future__ import annotations

from pathlib import Path

from atlas.core.config import SiteConfig
from atlas.core.text import one_line, printable


def add_connection_options(f) -> None:
    """Options of the connections objective (the culture objective ignores them)."""
    f.add_argument("--objective", choices=["culture", "connections"], default="culture", help="culture: classify the collection's cultures; connections: metric learning on curated pairings and confirmed patterns, hard negatives from the nearest non-connections (default: culture)")
    f.add_argument("--held-out", type=float, default=0.2, help="connections: share of the connected works never trained on, for the model page's before/after ranks (default: 0.2)")
    f.add_argument("--margin", type=float, default=0.2, help="connections: triplet hinge margin on normalised features (default: 0.2)")
    f.add_argument("--hard-k", type=int, default=10, help="connections: each negative is drawn from the anchor's k nearest non-connections (default: 10)")
    f.add_argument("--connections", metavar="FILE", help="connections: a further file in the pairings.yaml format to train on, not shown on the site")
    f.add_argument("--seed", type=int, default=0, help="connections: seed of the held-out draw, the negatives and the augmentation (default: 0)")


def run_connections(config: SiteConfig, args) -> int:
    from atlas.analysis.tuning_eval import tune_and_evaluate
    from atlas.vectors.metric_tune import MetricSettings

    settings = MetricSettings(
        Path(args.out).resolve(), args.epochs, args.steps, args.lr, args.batch_size, args.device, args.margin,
        args.hard_k, args.held_out, args.seed,
    )
    summary = tune_and_evaluate(config, settings, Path(args.connections).resolve() if args.connections else None)
    for problem in summary["problems"]:
        print(f"warning: {one_line(f'{problem.file}, line {problem.line}: {problem.reason}')}")
    c, b, a = summary["connections"], summary["before"], summary["after"]
    print(f"Tuned {summary['model']} (from {summary['started_from']}) on {c['train']} connections "
          f"({summary['settings']['steps']} steps, {summary['settings']['epochs']} epochs on {summary['device']} in "
          f"{summary['seconds']} s; loss {summary['first_loss']} -> {summary['last_loss']}).")
    print(f"Held out {c['held_out']} connections ({c['held_out_works']} works never trained on):")
    for key in ("median_rank", "recall_at_1", "recall_at_10", "recall_at_100", "culture_top1"):
        print(f"  {key:<14} before {b[key]}  after {a[key]}")
    print(f"Wrote {printable(str(settings.out))} and its evaluation {printable(str(settings.out))}.json. "
          f"To build with the tuned features, set in {printable(args.config)}:\n  embedding:\n    weights: {printable(str(settings.out))}")
    return 0
