"""`atlas finetune --objective connections` on a small copy of the sample: the sample's subjects are the known
connections (same subject, different culture), a share of the works is held out, and a few CPU steps of an
untrained ResNet-18 bring held-out partners nearer than the untuned features, with the seed fixed."""

from __future__ import annotations

import itertools
import json

import pytest
import torch

from atlas.analysis.tuning_eval import partner_ranks, rank_summary, tune_and_evaluate
from atlas.core.config import load_config
from atlas.vectors.connections import split_connections, write_pairs
from atlas.vectors.metric_tune import MetricSettings
from atlas.vectors.tuning_record import read_record

from .conftest import write_small_collection
from .curation_support import small_sample


def test_held_out_split_is_by_work_and_seeded():
    pairs = [(f"A{i}", f"B{j}") for i in range(5) for j in range(4)]
    train, held, works = split_connections(pairs, 0.25, seed=3)
    assert split_connections(pairs, 0.25, seed=3) == (train, held, works)
    assert len(works) == round(0.25 * 9) and sorted(train + held) == sorted(pairs)
    assert all(a in works or b in works for a, b in held)
    assert not any(a in works or b in works for a, b in train)


def test_partner_rank_counts_every_work_as_near_or_nearer():
    import numpy as np

    vectors = np.array([[1, 0], [0.9, 0.1], [0.5, 0.5], [0, 1]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = {k: i for i, k in enumerate("abcd")}
    # from a: b is nearer than c -> 2; from c: b is nearer and d ties with a (a tie counts against) -> 3
    assert partner_ranks(vectors, index, [("a", "c")]) == [2, 3]
    summary = rank_summary([1, 2, 40, 200])
    assert summary["median_rank"] == 21.0 and summary["recall_at_1"] == 0.25 and summary["recall_at_100"] == 0.75


@pytest.mark.slow
def test_tuning_improves_held_out_partners_never_trained_on(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tune")
    rows = small_sample(folder, tmp_path_factory.mktemp("full-sample"), {"Chinese", "Dutch", "Persian"}, {"Painting", "Ceramic"})
    site = write_small_collection(folder, rows, "Tune", probes={"enabled": True, "min_class_size": 2})
    pairs = sorted((a["id"], b["id"]) for a, b in itertools.combinations(rows, 2)
                   if a["subject"] == b["subject"] and a["culture"] != b["culture"])
    write_pairs(folder / "connections.yaml", pairs, "same subject")
    config = load_config(site)
    out = folder / "tuned.pt"
    settings = MetricSettings(out, epochs=1, steps=6, lr=1e-3, batch_size=12, device="cpu", held_out=0.2, seed=0)
    summary = tune_and_evaluate(config, settings, folder / "connections.yaml")

    held_works = set(torch.load(out, map_location="cpu", weights_only=True)["held_out"])
    assert len(held_works) == round(0.2 * len(rows)) and summary["connections"]["held_out"] > 0
    assert summary["trained"] and not summary["trained"] & held_works  # no held-out work was ever in a batch
    before, after = summary["before"], summary["after"]
    assert after["median_rank"] < before["median_rank"]  # measured: see benchmarks/README.md, issue 19
    record = json.loads((folder / "tuned.pt.json").read_text(encoding="utf-8"))
    tuned_config = load_config(site, {"embedding.weights": str(out)})
    assert read_record(tuned_config, record["identity"])["after"] == after
    assert read_record(tuned_config, "file-other") is None  # a record for other weights is not shown


def test_connections_objective_without_connections_is_one_line_and_status_2(tmp_path, capsys):
    from atlas import cli

    from .test_preflight import make_project

    path = make_project(tmp_path)
    status = cli.main(["finetune", "--config", str(path), "--objective", "connections", "--out", str(tmp_path / "t.pt")])
    err = capsys.readouterr().err.strip()
    assert status == 2 and err.startswith("atlas: finetune failed: no connections to train on") and "\n" not in err
    assert not (tmp_path / "t.pt").exists()


def test_model_page_section_prints_the_records_figures_escaped():
    from atlas.core.config import SiteConfig
    from atlas.site.context import make_environment
    from atlas.site.insights_pages import pct

    env = make_environment(SiteConfig())
    env.filters["pct"] = pct
    figures = {"median_rank": 25.0, "recall_at_1": 0.0187, "recall_at_10": 0.2052, "recall_at_100": 1.0,
               "culture_top1": 1.0}
    tuning = {"model": "resnet18", "started_from": "<b>none</b>", "works": 96, "device": "cpu", "seconds": 9.5,
              "connections": {"train": 250, "held_out": 134, "held_out_works": 19, "sources": {"pairings": 384}},
              "settings": {"epochs": 1, "steps": 10, "margin": 0.2, "hard_k": 10, "held_out": 0.2, "seed": 0},
              "before": figures, "after": dict(figures, median_rank=11.0, recall_at_10=0.4664, culture_top1=0.8333),
              "identity": "file-60a34b31f101cc17"}
    html = env.get_template("tuning.html").render(about={"tuning": tuning})
    assert 'data-key="tuning.before.median_rank">25.0<' in html and 'data-key="tuning.after.median_rank">11.0<' in html
    assert ">46.6%<" in html and ">83.3%<" in html and "&lt;b&gt;none&lt;/b&gt;" in html and "pairings: 384" in html


def test_connections_come_from_curated_pairings_and_confirmed_patterns_only(tmp_path):
    from atlas.vectors.connections import load_connections

    from .test_preflight import make_project

    path = make_project(tmp_path, pairings={"file": "pairings.yaml"}, patterns={"file": "patterns.yaml"})
    (path.parent / "pairings.yaml").write_text("- {a: B, b: A}\n- {a: A, b: GONE}\n", encoding="utf-8")
    (path.parent / "patterns.yaml").write_text(
        "- {name: Three, status: confirmed, members: [C, D, E], remove: [E], add: [F]}\n"
        "- {status: rejected, members: [A, C, D]}\n", encoding="utf-8")
    pairs, sources, problems = load_connections(load_config(path), {"A", "B", "C", "D", "E", "F"})
    assert pairs == [("A", "B"), ("C", "D"), ("C", "F"), ("D", "F")]  # the rejected pattern adds nothing
    assert sources == {"pairings": 1, "patterns": 3}
    (gone,) = problems
    assert gone.record == "GONE" and gone.line == 2 and gone.file.endswith("pairings.yaml")
