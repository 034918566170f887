"""Command line: `atlas init`, `atlas build`, `atlas serve`, ... (also `python -m atlas ...`; see --help).

Every failure a user or the machine can cause (a config error, a missing or unreadable file, a bad value,
another build holding the lock, a full disk, Ctrl+C, SIGTERM) ends in one line on stderr starting
"atlas: " and an exit status that says which kind it was (the table is in atlas.core.exits: 2 for the
config, 3 locked, 4 the machine refused a write, ...), never a traceback: the handler sits once, in
`main`, around the command. ATLAS_TRACEBACK=1 lets the exception through.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from atlas import __version__
from atlas.core import exits
from atlas.core.config import ConfigError, load_config
from atlas.core.text import one_line, printable
from atlas.vectors.network import WeightsUnavailable

DESCRIPTION = """\
atlas turns an art collection (a metadata table plus images) into a static website where every work
is shown with its closest visual analogies within each culture and each medium.

  {prog} init        write a commented site.yaml for the CSV table and images in this folder
  {prog} build       read site.yaml, embed the images, write the site to build/site
  {prog} check       check site.yaml whole (files, paths, limits) without building
  {prog} serve       preview build/site at http://127.0.0.1:8000/
  {prog} finetune    tune the network on the collection's cultures (then embedding.weights: <file>)

Without a site.yaml of your own, start with `{prog} init` in the folder holding your table.
"""

EPILOG = """\
environment:
  ATLAS_TRACEBACK=1  show the Python traceback of a failure instead of the one-line message (for developers)
"""

FAILURE_NOTES = {"build": " (the previously published site, if any, is unchanged)"}  # added to the one line
REFUSALS = ("PreflightError", "LockHeld", "ShrinkRefused")  # refused before anything was published


def main(argv: list[str] | None = None, prog: str = "atlas") -> int:
    """Run one command. `prog` is how the user called us: "atlas" for the console script (which calls
    main() with no arguments), "python -m atlas" from __main__; usage lines and advice repeat it."""
    args = make_parser(prog).parse_args(argv)
    logging.basicConfig(level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        with exits.sigterm_raises():  # so that `kill` cleans up as Ctrl+C does
            return dispatch(args, prog)
    except KeyboardInterrupt as exc:
        if developer_wants_traceback():
            raise
        print(f"atlas: {exits.interruption_line(exc)}", file=sys.stderr)
        return exits.exit_status(exc)
    # ConfigError is a ValueError and WeightsUnavailable a RuntimeError; named for the reader.
    except (ConfigError, WeightsUnavailable, OSError, ValueError, RuntimeError) as exc:
        if developer_wants_traceback():
            raise
        if type(exc).__name__ in REFUSALS:
            print(f"atlas: {args.command} refused: {error_line(exc)}", file=sys.stderr)
        else:
            print(f"atlas: {args.command} failed: {error_line(exc)}{FAILURE_NOTES.get(args.command, '')}", file=sys.stderr)
        return exits.exit_status(exc)


def developer_wants_traceback() -> bool:
    """ATLAS_TRACEBACK=1: let the exception through, traceback and all (documented in the epilog)."""
    return os.environ.get("ATLAS_TRACEBACK") == "1"


def make_parser(prog: str) -> argparse.ArgumentParser:
    """The whole command line; sub-commands inherit `prog` in their usage lines."""
    parser = argparse.ArgumentParser(
        prog=prog, description=DESCRIPTION.format(prog=prog), epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"atlas {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_init_parser(sub)

    b = sub.add_parser("build", help="build the site from site.yaml", description="Read the collection, embed every image (cached), compute analogies, culture similarity and the map, and publish the site atomically.")
    b.add_argument("--config", default="site.yaml", help="path to the site configuration (default: site.yaml)")
    b.add_argument("--device", choices=["auto", "cpu", "cuda"], help="where to run the network (overrides embedding.device)")
    b.add_argument("--output", help="folder to publish to (overrides output)")
    b.add_argument("--strict", action="store_true", help="exit with status 1 when any record was skipped or changed, and with 2 before building when the configuration has warnings (for CI)")
    b.add_argument("--explain", action="store_true", help="say for each stage whether it reused its cache or recomputed, and why")
    add_publish_options(b)
    b.add_argument("--offline", action="store_true", help="make no request: images and IIIF documents given as URLs come from the fetch cache alone (sets fetch.offline)")
    b.add_argument("-v", "--verbose", action="store_true", help="log every step")

    s = sub.add_parser("serve", help="preview the built site on localhost", description="Serve the built site on localhost, under its base_url, for preview.")
    s.add_argument("--config", default="site.yaml", help="path to the site configuration (default: site.yaml)")
    s.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    s.add_argument("--output", help="folder to serve (default: the config's output)")

    add_finetune_parser(sub)
    add_check_parser(sub)
    return parser


def dispatch(args: argparse.Namespace, prog: str) -> int:
    if args.command == "init":
        return run_init(args, prog)
    if args.command == "build":
        return run_build(args)
    if args.command == "finetune":
        return run_finetune(args)
    if args.command == "check":
        return run_check(args)
    return run_serve(args, prog)


def error_line(exc: BaseException) -> str:
    """The failure as one printable line. Text from the data is escaped: a column name or a YAML key
    may hold an escape sequence that would otherwise rewrite the user's terminal."""
    return one_line(_os_error(exc) if isinstance(exc, OSError) else (str(exc) or type(exc).__name__))


def _os_error(exc: OSError) -> str:
    """'site.yaml: Permission denied' rather than '[Errno 13] Permission denied: 'site.yaml''."""
    if exc.filename is None:
        return exc.strerror or str(exc)  # our own FileNotFoundError("collection table not found: ...") too
    names = f"{exc.filename} -> {exc.filename2}" if exc.filename2 is not None else f"{exc.filename}"
    return f"{names}: {exc.strerror or exc}"


def add_init_parser(sub) -> None:
    i = sub.add_parser("init", help="write a commented starter site.yaml for a CSV table and images", description="Read the CSV table in FOLDER, propose which column feeds each field atlas reads, find the image folder, and write FOLDER/site.yaml with every line commented. An existing site.yaml is never overwritten.")
    i.add_argument("folder", nargs="?", default=".", metavar="FOLDER", help="where site.yaml is written and the table is looked for (default: .)")
    i.add_argument("--table", metavar="PATH", help="the collection's CSV table, from the current folder (default: the one *.csv in FOLDER)")
    i.add_argument("--images", metavar="DIR", help="the folder of images (default: images/, img/ or photos/ in FOLDER, else the folder with most images)")


def run_init(args, prog: str) -> int:
    from atlas.starter import describe, init_site

    target, proposal = init_site(args.folder, args.table, args.images)
    print(describe(target, proposal, prog))
    return 0


def run_build(args) -> int:
    overrides = {}
    if args.device:
        overrides["embedding.device"] = args.device
    if args.output:
        overrides["output"] = str(Path(args.output).resolve())
    if args.offline:
        overrides["fetch.offline"] = True
    config = load_config(args.config, overrides)
    from atlas.preflight import (
        check_config,  # after the config: a typo is reported before torch is even imported
    )

    preflight = check_config(config)  # cheap, writes nothing: refuse before any heavy work
    preflight.raise_for_errors(strict=args.strict)
    from atlas.build import build

    report = build(config, preflight, wait_seconds=args.wait_timeout if args.wait else None,
                   allow_shrink=args.allow_shrink)
    print(report.summary())
    if args.explain:
        print(report.explain())
    print(f"\nPublished {printable(str(config.output_dir))}  (report: {printable(str(config.output_dir.parent / 'report.html'))})")
    if args.strict and report.problems:
        print(f"atlas: --strict: {len(report.problems)} report entries", file=sys.stderr)
        return exits.STRICT_PROBLEMS
    return 0


def add_publish_options(b) -> None:
    """build's options about other builds and the published site (exit statuses 3 and 5, atlas.core.exits)."""
    b.add_argument("--wait", action="store_true", help="when another build holds the output's or the cache's lock, wait for it instead of stopping with status 3")
    b.add_argument("--wait-timeout", type=float, default=3600, metavar="SECONDS", help="with --wait, give up (status 3) after this many seconds (default: 3600)")
    b.add_argument("--allow-shrink", action="store_true", help="publish even when the build removes more than publish.max_shrink of the published works (else status 5)")


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
    from atlas.preflight import check_config

    overrides = {"output": str(Path(args.output).resolve())} if args.output else {}
    preflight = check_config(load_config(args.config, overrides))
    for error in preflight.errors:
        print(f"error: {one_line(error)}", file=sys.stderr)
    for warning in preflight.warnings:
        print(f"warning: {one_line(warning)}", file=sys.stderr)
    failed = bool(preflight.errors) or (args.strict and bool(preflight.warnings))
    counts = f"{len(preflight.errors)} errors, {len(preflight.warnings)} warnings"
    print(f"{printable(args.config)}: {counts}; {'cannot be built' if failed else 'ready to build'}")
    return exits.USER_ERROR if failed else exits.OK


def run_finetune(args) -> int:
    from atlas.vectors.finetune import FinetuneSettings, finetune

    config = load_config(args.config)
    settings = FinetuneSettings(
        Path(args.out).resolve(), args.epochs, args.steps, args.lr, args.batch_size, args.device, args.max_per_class
    )
    summary = finetune(config, settings)
    print(f"Fine-tuned {config.embedding.model} (from {summary['started_from']}) on {summary['works']} works, "
          f"{len(summary['classes'])} cultures, {summary['steps']} steps on {summary['device']} in {summary['seconds']} s; "
          f"loss {summary['first_loss']} -> {summary['last_loss']}. {summary['held_out']} works held out for the model page.")
    print(f"Wrote {summary['out']}. To build the atlas with the tuned features, set in {args.config}:\n"
          f"  embedding:\n    weights: {summary['out']}")
    return 0


def run_serve(args, prog: str) -> int:
    from atlas.site.serve import serve

    config = load_config(args.config)
    directory = Path(args.output) if args.output else config.output_dir
    if not (directory / "index.html").is_file():  # checked here so that it is one "atlas: " line too
        raise FileNotFoundError(f"no site at {directory}: run `{prog} build` first")
    serve(directory, config.base_url, port=args.port)
    return 0
