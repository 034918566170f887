"""Issue 19: `atlas finetune --objective connections` before / after, and its time per step and per epoch.

    python benchmarks/connections.py sample [--steps 20] [--image-size 128] [--device cpu]
                                            [--cultures Chinese,Dutch,Persian --media Painting,Ceramic]
    python benchmarks/connections.py aic    [--steps 20] [--image-size 224] [--device cpu]

Connections defined here (the collections come without curated ones):
  * sample: two works of the same subject in different cultures (the generator draws each subject with the
    same silhouette in every culture's palette, border and medium texture: a cross-culture motif);
  * aic: two paintings by the same named artist (../shared/data/aic-artwall; the artist string up to its
    first parenthesis; anonymous or derivative attributions, "After ...", "Workshop of ...", "Follower of
    ...", "Circle of ...", "Attributed to ...", or a bare nationality such as "Flemish", are left out).
The collection is read with its usual site.yaml (the repository's for the sample, examples/aic for AIC),
the network is an untrained, seeded torchvision model (no weights can be downloaded here), and everything
is written to a temporary folder. Prints a table; writes benchmarks/results/connections_<name>_<device>.json.
A full epoch on a CPU can take long: `--steps` stops early, and the table then projects the epoch from
the measured seconds per step (labelled "projected").
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from atlas.analysis.tuning_eval import tune_and_evaluate  # noqa: E402
from atlas.core.config import load_config  # noqa: E402
from atlas.ingest.sample import SAMPLE_LABEL_RULES, generate_sample  # noqa: E402
from atlas.vectors.connections import write_pairs  # noqa: E402
from atlas.vectors.metric_tune import MetricSettings  # noqa: E402

AIC = ROOT.parent / "shared" / "data" / "aic-artwall"
NOT_A_HAND = re.compile(r"^(after|workshop of|follower of|circle of|attributed to|school of|style of)\b", re.I)


def sample_setup(tmp: Path, embedding: dict, cultures: str = "", media: str = "") -> tuple[Path, list[tuple[str, str]]]:
    """The sample (or the part of it in `cultures` and `media`, comma-separated group names) and its connections."""
    table = generate_sample(tmp / "sample")
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    culture = {raw: g for g, raws in SAMPLE_LABEL_RULES["culture"].items() for raw in raws}
    medium = {raw: g for g, raws in SAMPLE_LABEL_RULES["medium"].items() for raw in raws}
    rows = [r for r in rows if (not cultures or culture[r["culture"]] in cultures.split(","))
            and (not media or medium[r["medium"]] in media.split(","))]
    with (table.parent / "part.csv").open("w", encoding="utf-8", newline="") as fh:  # beside images/
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    config = yaml.safe_load((ROOT / "site.yaml").read_text(encoding="utf-8"))
    config.update(output=str(tmp / "site"), cache=str(tmp / "cache"), embedding=embedding, pairings={},
                  collection={"format": "csv", "path": str(table.parent / "part.csv")})
    pairs = sorted((a["id"], b["id"]) for a, b in itertools.combinations(rows, 2)
                   if a["subject"] == b["subject"] and culture[a["culture"]] != culture[b["culture"]])
    return _write(tmp, config), pairs


def aic_setup(tmp: Path, embedding: dict) -> tuple[Path, list[tuple[str, str]]]:
    if not AIC.is_dir():
        raise SystemExit(f"{AIC} is absent: the AIC figures need ../shared/data/aic-artwall")
    config = yaml.safe_load((ROOT / "examples" / "aic" / "site.yaml").read_text(encoding="utf-8"))
    config["collection"]["path"] = str(AIC / "collection.csv")
    config.update(output=str(tmp / "site"), cache=str(tmp / "cache"), embedding=embedding)
    rows = list(csv.DictReader((AIC / "collection.csv").open(encoding="utf-8")))
    hands: dict[str, list[str]] = {}
    for row in rows:
        name = re.sub(r"\s*\(.*", "", row["artist"]).strip()
        if " " in name and not NOT_A_HAND.match(name):
            hands.setdefault(name, []).append(row["id"])
    pairs = sorted(tuple(sorted(p)) for ids in hands.values() for p in itertools.combinations(ids, 2))
    return _write(tmp, config), pairs


def _write(tmp: Path, config: dict) -> Path:
    path = tmp / "site.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("collection", choices=["sample", "aic"])
    parser.add_argument("--model", default="resnet18")
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--workers", type=int, default=0, help="image-decoding processes (embedding.workers)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument("--tag", default="", help="added to the result file's name")
    parser.add_argument("--cultures", default="", help="sample: only these culture groups (comma-separated)")
    parser.add_argument("--media", default="", help="sample: only these medium groups (comma-separated)")
    args = parser.parse_args()
    embedding = {"model": args.model, "weights": "none", "image_size": args.image_size, "batch_size": 64,
                 "workers": args.workers}
    with tempfile.TemporaryDirectory(prefix="atlas-connections-") as tmp:
        if args.collection == "sample":
            site, pairs = sample_setup(Path(tmp), embedding, args.cultures, args.media)
        else:
            site, pairs = aic_setup(Path(tmp), embedding)
        write_pairs(Path(tmp) / "connections.yaml", pairs, "defined by benchmarks/connections.py")
        settings = MetricSettings(Path(tmp) / "tuned.pt", epochs=args.epochs, steps=args.steps, lr=args.lr,
                                  batch_size=args.batch_size, device=args.device)
        started, cpu = time.perf_counter(), time.process_time()
        summary = tune_and_evaluate(load_config(site), settings, Path(tmp) / "connections.yaml")
        total, cpu = time.perf_counter() - started, time.process_time() - cpu
    summary.pop("trained"), summary.pop("problems")
    steps, train = summary["settings"]["steps"], summary["connections"]["train"]
    steps_per_epoch = -(-2 * train // args.batch_size)
    mining = sum(summary["mining_seconds"])
    per_step = (sum(summary["epoch_seconds"]) - mining) / max(steps, 1)
    epochs_run = len(summary["epoch_seconds"])
    summary.update(name=args.collection, connections_defined=len(pairs), total_seconds=round(total, 1),
                   total_cpu_seconds=round(cpu, 1), load_average=[round(x, 1) for x in os.getloadavg()],
                   seconds_per_step=round(per_step, 2), steps_per_epoch=steps_per_epoch,
                   epoch_seconds_projected=None if steps >= steps_per_epoch * epochs_run
                   else round(per_step * steps_per_epoch + mining / epochs_run, 1))
    _table(summary)
    out = Path(args.out) / f"connections_{args.collection}_{args.device}{'_' + args.tag if args.tag else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


def _table(s: dict) -> None:
    b, a = s["before"], s["after"]
    print(f"| {s['name']}: {s['model']} @ {s['settings']['image_size']} px, {s['works']} works, {s['device']} | before | after |")
    print("|---|---|---|")
    for key in ("median_rank", "recall_at_1", "recall_at_10", "recall_at_100", "culture_top1"):
        print(f"| {key} | {b[key]} | {a[key]} |")
    c = s["connections"]
    print(f"\nconnections {s['connections_defined']} (trained {c['train']}, held out {c['held_out']} touching "
          f"{c['held_out_works']} works); {s['settings']['steps']} steps of {s['settings']['batch_size']} triplets in "
          f"{s['seconds']} s ({s['seconds_per_step']} s/step; mining {s['mining_seconds']} s); epoch = {s['steps_per_epoch']} steps: "
          + (f"{s['epoch_seconds']} s measured" if s["epoch_seconds_projected"] is None
             else f"{s['epoch_seconds_projected']} s projected") + f"; total with evaluation {s['total_seconds']} s "
          f"({s['total_cpu_seconds']} s of CPU time, all threads; load average {s['load_average']})")


if __name__ == "__main__":
    main()
