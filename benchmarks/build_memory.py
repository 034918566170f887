"""Peak memory of a whole build of N synthetic works, stage by stage.

    python -m benchmarks.build_memory --works 10000
    python -m benchmarks.build_memory --works 100000          # generating + building takes long on 2 cores

Generates the collection with benchmarks/synthetic.py (tiny JPEGs; clustered 2,048-d vectors injected
into the embedding cache, so no image goes through the network), then runs `atlas.build.build` in a
child process that resets the kernel's resident-size high-water mark (/proc/self/clear_refs) at the start
of every stage and reads it (VmHWM) at the end: the peak RSS of each stage, and of the whole build.
RSS counts the pages of memory-mapped files the build has touched (the vector matrices, atlas.vectors.matrix)
and of shared libraries, which the kernel can drop and re-read; a thread therefore also samples the
anonymous part (RssAnon, every 50 ms), the memory the build cannot give back. Rendering workers are
forked processes with their own RSS: the largest is reported too (ru_maxrss of the children).
The map uses the PCA layout above 20,000 works (as the generated site.yaml says).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class AnonSampler:
    """Samples RssAnon in a thread; reset() returns the highest value since the last reset (kB)."""

    def __init__(self, every: float = 0.05):
        self.peak = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(every,), daemon=True)
        self.thread.start()

    def _run(self, every: float) -> None:
        while not self.done.wait(every):
            self.peak = max(self.peak, status_kb("RssAnon"))

    def reset(self) -> int:
        peak, self.peak = max(self.peak, status_kb("RssAnon")), status_kb("RssAnon")
        return peak

    def stop(self) -> None:
        self.done.set()
        self.thread.join()


def largest_mappings(count: int = 8) -> dict[str, float]:
    """The resident MB of the largest mappings at the end of the build, by file (anonymous memory as "[anon]"):
    what the RSS beyond the anonymous peak is made of (memory-mapped matrices, libraries)."""
    sizes: dict[str, float] = {}
    name = "[anon]"
    try:
        smaps = Path("/proc/self/smaps").read_text().splitlines()
    except OSError:  # a sandboxed kernel (gVisor) may not have it
        return {}
    for line in smaps:
        head = line.split()
        if head and "-" in head[0] and len(head) >= 5 and not head[0].endswith(":"):
            name = head[5] if len(head) > 5 else "[anon]"
            name = name if name.startswith("[") else Path(name).name
        elif head and head[0] == "Rss:":
            sizes[name] = sizes.get(name, 0) + int(head[1]) / 1024
    return dict(sorted(sizes.items(), key=lambda item: -item[1])[:count])


def reset_high_water_mark() -> bool:
    """Reset VmHWM to the current RSS; a sandboxed kernel (gVisor) may refuse, and then each stage's peak
    is the build's peak so far (the result says which)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def child(config_path: Path, workers: int, layout: str | None) -> dict:
    """Build with per-stage peak RSS recorded; returns the figures."""
    from atlas.build import build
    from atlas.core.config import load_config
    from atlas.core.report import BuildReport

    peaks: dict[str, float] = {}
    anon_peaks: dict[str, float] = {}
    whole = [status_kb("VmRSS")]
    original = BuildReport.stage
    sampler = AnonSampler()

    @contextmanager
    def stage(self, name):
        reset_high_water_mark()
        sampler.reset()
        began = time.perf_counter()
        with original(self, name):
            yield
        # progress on stderr (the parent passes it through), so a build stopped part-way still says how far it got
        print(f"  stage {name}: {time.perf_counter() - began:.1f} s", file=sys.stderr, flush=True)
        peaks[name] = status_kb("VmHWM") / 1024
        anon_peaks[name] = sampler.reset() / 1024
        whole.append(status_kb("VmHWM"))

    BuildReport.stage = stage
    resets = reset_high_water_mark()
    overrides = ({"render.workers": workers} if workers else {}) | ({"map.layout": layout} if layout else {})
    config = load_config(config_path, overrides)
    start = time.perf_counter()
    report = build(config)
    sampler.stop()
    mapped = largest_mappings()
    return {
        "largest_mappings_mb": mapped, "stage_peaks_reset": resets,
        "seconds": time.perf_counter() - start, "stage_peak_rss_mb": peaks, "peak_rss_mb": max(whole) / 1024,
        "stage_peak_anon_mb": anon_peaks, "peak_anon_mb": max(anon_peaks.values(), default=0),
        "largest_child_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "rss_before_build_mb": whole[0] / 1024, "timings": report.timings, "counts": report.counts,
        "notes": report.notes,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="peak RSS of a whole synthetic build")
    parser.add_argument("--works", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=0, help="render.workers (0 = the config default)")
    parser.add_argument("--folder", type=Path, help="reuse or keep the generated collection here")
    parser.add_argument("--layout", choices=["tsne", "pca"], help="map.layout (default: the generated site.yaml's)")
    parser.add_argument("--inject-thumbnails", action="store_true",
                        help="generate the thumbnails into the cache too, so the build skips that stage")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.workers, args.layout)))
        return
    with tempfile.TemporaryDirectory(prefix="build-memory-") as tmp:
        folder = args.folder or Path(tmp)
        config = folder / "site.yaml"
        start = time.perf_counter()
        if not config.exists():
            from benchmarks.synthetic import generate

            generate(folder, args.works, inject=True, thumbs=args.inject_thumbnails)
        made = time.perf_counter() - start
        print(f"collection of {args.works} works ready in {made:.0f} s; building...", flush=True)
        load = os.getloadavg()[0]
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.build_memory", "--child", str(config), "--workers", str(args.workers)]
            + (["--layout", args.layout] if args.layout else []),
            check=True, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parent.parent,
        )
        result = json.loads(proc.stdout.strip().splitlines()[-1])
    result.update(works=args.works, generate_s=made, layout=args.layout or "as generated", load_before=round(load, 2), load_after=round(os.getloadavg()[0], 2),
                  machine=f"{platform.machine()}, {os.cpu_count()} CPUs")
    print(f"\nwhole build of {args.works} works: {result['seconds']:.0f} s, peak RSS {result['peak_rss_mb']:.0f} MB, "
          f"anonymous {result['peak_anon_mb']:.0f} MB, largest worker {result['largest_child_rss_mb']:.0f} MB "
          f"(load {result['load_before']}->{result['load_after']})")
    print("largest mappings at the end (MB resident): "
          + ", ".join(f"{name} {mb:.0f}" for name, mb in result.get("largest_mappings_mb", {}).items()))
    print(f"{'stage':<12} {'peak RSS MB':>11} {'anon MB':>8} {'seconds':>8}")
    for name, mb in result["stage_peak_rss_mb"].items():
        anon = result["stage_peak_anon_mb"].get(name, 0)
        print(f"{name:<12} {mb:>11.0f} {anon:>8.0f} {result['timings'].get(name, 0):>8.1f}")
    out = RESULTS / f"build_memory_{args.works}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
