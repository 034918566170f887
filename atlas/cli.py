"""Command line: `atlas build`, `atlas serve`, ... (also `python -m atlas ...`; see --help)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

DESCRIPTION = """\
atlas turns an art collection (a metadata table plus images) into a static website where every work
is shown with its closest visual analogies within each culture and each medium.

  python -m atlas build            read site.yaml, embed the images, write the site to build/site
  python -m atlas serve            preview build/site at http://127.0.0.1:8000/
  python -m atlas check            check site.yaml whole (files, paths, limits) without building
  python -m atlas finetune         tune the network on the collection's cultures (then embedding.weights: <file>)

The default site.yaml builds a bundled sample collection; point --config at your own to build yours.
"""


def main(argv: list[str] | None = None, prog: str = "atlas") -> int:
    parser = argparse.ArgumentParser(
        prog=prog, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    b = sub.add_parser("build", help="build the site from site.yaml", description="Read the collection, embed every image (cached), compute analogies, culture similarity and the map, and publish the site atomically.")
    b.add_argument("--config", default="site.yaml", help="path to the site configuration (default: site.yaml)")
    b.add_argument("--device", choices=["auto", "cpu", "cuda"], help="where to run the network (overrides embedding.device)")
    b.add_argument("--output", help="folder to publish to (overrides output)")
    b.add_argument("--strict", action="store_true", help="exit with status 1 when any record was skipped or changed, and with 2 before building when the configuration has warnings (for CI)")
    b.add_argument("--explain", action="store_true", help="say for each stage whether it reused its cache or recomputed, and why")
    b.add_argument("-v", "--verbose", action="store_true", help="log every step")

    s = sub.add_parser("serve", help="preview the built site on localhost", description="Serve the built site on localhost, under its base_url, for preview.")
    s.add_argument("--config", default="site.yaml", help="path to the site configuration (default: site.yaml)")
    s.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    s.add_argument("--output", help="folder to serve (default: the config's output)")

    add_finetune_parser(sub)
    add_check_parser(sub)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING, format="%(levelname)s %(message)s")
    if args.command == "build":
        return run_build(args)
    if args.command == "finetune":
        return run_finetune(args)
    if args.command == "check":
        return run_check(args)
    return run_serve(args)


def run_build(args) -> int:
    from atlas.build import build
    from atlas.core.config import ConfigError, load_config
    from atlas.preflight import PreflightError, check_config
    from atlas.vectors.network import WeightsUnavailable

    overrides = {}
    if args.device:
        overrides["embedding.device"] = args.device
    if args.output:
        overrides["output"] = str(Path(args.output).resolve())
    try:
        config = load_config(args.config, overrides)
        preflight = check_config(config)  # cheap, writes nothing: refuse before any heavy work
        preflight.raise_for_errors(strict=args.strict)
        report = build(config, preflight)
    except PreflightError as exc:  # nothing was read or written: one line per problem, nothing else to say
        print(f"atlas: build refused: {exc}", file=sys.stderr)
        return 2
    except (ConfigError, WeightsUnavailable, FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"atlas: build failed: {exc}", file=sys.stderr)
        print("atlas: the previously published site (if any) is unchanged.", file=sys.stderr)
        return 2
    print(report.summary())
    if args.explain:
        print(report.explain())
    print(f"\nPublished {config.output_dir}  (report: {config.output_dir.parent / 'report.html'})")
    if args.strict and report.problems:
        print(f"atlas: --strict: {len(report.problems)} report entries", file=sys.stderr)
        return 1
    return 0


def add_finetune_parser(sub) -> None:
    f = sub.add_parser("finetune", help="fine-tune the network on the collection's culture labels", description="Fine-tune the backbone named in site.yaml on the collection's culture labels (the culture probe's training works only) and write a checkpoint; set embedding.weights to it to build the atlas with the tuned features.")
    f.add_argument("--config", default="site.yaml", help="path to the site configuration (default: site.yaml)")
    f.add_argument("--out", default="build/finetuned.pt", help="checkpoint to write (default: build/finetuned.pt)")
    f.add_argument("--epochs", type=int, default=3, help="passes over the training works (default: 3)")
    f.add_argument("--steps", type=int, default=0, help="stop after this many optimiser steps (default: 0 = all epochs)")
    f.add_argument("--lr", type=float, default=1e-4, help="backbone learning rate; the culture head gets 10x (default: 1e-4)")
    f.add_argument("--batch-size", type=int, default=32, help="images per step (default: 32)")
    f.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto", help="where to train (default: auto = GPU when present)")
    f.add_argument("--max-per-class", type=int, default=0, help="use at most this many works per culture (default: 0 = all)")


def add_check_parser(sub) -> None:
    c = sub.add_parser("check", help="check site.yaml without building", description="Check the whole configuration without building or writing anything: label rules compile, the collection, image folder, pairings and id-rename files are there and well formed, the output folder holds none of the inputs, and limits such as neighbours.k are within what the machine can do. Exit status 0 when it can be built, 2 when not.")
    c.add_argument("--config", default="site.yaml", help="path to the site configuration (default: site.yaml)")
    c.add_argument("--output", help="folder that would be published to (overrides output)")
    c.add_argument("--strict", action="store_true", help="exit with status 2 on warnings too, as build --strict does")


def run_check(args) -> int:
    from atlas.core.config import ConfigError, load_config
    from atlas.preflight import check_config

    overrides = {"output": str(Path(args.output).resolve())} if args.output else {}
    try:
        preflight = check_config(load_config(args.config, overrides))
    except ConfigError as exc:
        print(f"atlas: {exc}", file=sys.stderr)
        return 2
    for error in preflight.errors:
        print(f"error: {error}", file=sys.stderr)
    for warning in preflight.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    failed = bool(preflight.errors) or (args.strict and bool(preflight.warnings))
    counts = f"{len(preflight.errors)} errors, {len(preflight.warnings)} warnings"
    print(f"{args.config}: {counts}; {'cannot be built' if failed else 'ready to build'}")
    return 2 if failed else 0


def run_finetune(args) -> int:
    from atlas.core.config import ConfigError, load_config
    from atlas.vectors.finetune import FinetuneSettings, finetune
    from atlas.vectors.network import WeightsUnavailable

    try:
        config = load_config(args.config)
        settings = FinetuneSettings(
            Path(args.out).resolve(), args.epochs, args.steps, args.lr, args.batch_size, args.device, args.max_per_class
        )
        summary = finetune(config, settings)
    except (ConfigError, WeightsUnavailable, FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"atlas: fine-tuning failed: {exc}", file=sys.stderr)
        return 2
    print(f"Fine-tuned {config.embedding.model} (from {summary['started_from']}) on {summary['works']} works, "
          f"{len(summary['classes'])} cultures, {summary['steps']} steps on {summary['device']} in {summary['seconds']} s; "
          f"loss {summary['first_loss']} -> {summary['last_loss']}. {summary['held_out']} works held out for the model page.")
    print(f"Wrote {summary['out']}. To build the atlas with the tuned features, set in {args.config}:\n"
          f"  embedding:\n    weights: {summary['out']}")
    return 0


def run_serve(args) -> int:
    from atlas.core.config import ConfigError, load_config
    from atlas.site.serve import serve

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"atlas: {exc}", file=sys.stderr)
        return 2
    directory = Path(args.output) if args.output else config.output_dir
    serve(directory, config.base_url, port=args.port)
    return 0
