"""Profile one rebuild: where a one-title rebuild's seconds go (cProfile), against a work folder that
benchmarks/rebuilds.py made (`--work-dir W`: its collection copy, cache and site).

    python -m benchmarks.profile_rebuild --config DIR/site.yaml --work-dir W

Makes one settling build (the code may have changed since W was built), retitles one record (or, with
`--change image`, mirrors one record's image) as benchmarks.rebuilds does, builds again under cProfile, prints the stages and the top functions by cumulative
time, and writes the profile to benchmarks/results/profile-rebuild.prof (read it with pstats). Times under
cProfile are about 1.8 times the plain ones.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
from pathlib import Path

from atlas.core.config import load_config
from benchmarks.rebuilds import change_image, change_title, timed_build, work_overrides

CHANGES = {"title": change_title, "image": change_image}

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True, help="the synthetic collection's site.yaml")
    parser.add_argument("--work-dir", type=Path, required=True, help="benchmarks.rebuilds' --work-dir")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--change", choices=sorted(CHANGES), default="title",
                        help="retitle one record (default) or mirror one record's image in place")
    args = parser.parse_args(argv)
    config = load_config(args.config, work_overrides(load_config(args.config), args.work_dir, copy=False))
    seconds, _ = timed_build(config)
    print(f"settling build: {seconds:.1f} s")
    CHANGES[args.change](config)
    profile = cProfile.Profile()
    profile.enable()
    seconds, run = timed_build(config)
    profile.disable()
    print(f"one {args.change} changed, under cProfile: {seconds:.1f} s; pages kept: {run['pages_kept']:,}")
    for stage, took in sorted(run["stages_s"].items(), key=lambda item: -item[1]):
        if took >= 0.1:
            print(f"  {stage:<28} {took:>7.2f} s")
    RESULTS.mkdir(exist_ok=True)
    profile.dump_stats(RESULTS / ("profile-rebuild.prof" if args.change == "title" else f"profile-rebuild-{args.change}.prof"))
    pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
