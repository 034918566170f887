#!/usr/bin/env bash
# The GPU path proven in one run (issue 17). On a machine with a CUDA GPU, in under 8 minutes:
#   1. the CUDA tests (tests/test_cuda.py: search, network, build and fine-tuning on the GPU vs the CPU)
#   2. the sample build with --device cuda, from an empty cache, with its per-stage timings
#   3. GPU embedding throughput against the model-only ceiling, in the same run (benchmarks/embed_throughput.py)
#   4. one epoch of `atlas finetune` on the sample (CUDA only: minutes on a CPU)
#   5. the exact CUDA neighbour search at 100k and 1M x 2048 against a float32 product of the same size
#      (benchmarks/gpu_search.py)
# and writes every figure as JSON into $GPU_CHECK_OUT (default benchmarks/results/gpu_check), with
# gpu_check.json saying what ran, how long it took and what was skipped and why.
# On a machine without one it runs the CPU-safe parts (the CUDA tests skip, the sample builds on the CPU,
# the CPU throughput rows, the search at a CPU size) and says what it skipped.
#
#   bash benchmarks/gpu_check.sh                # from the repository root
#   GPU_CHECK_SIZES=100000 bash benchmarks/gpu_check.sh   # a shorter search
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
OUT_DIR=${GPU_CHECK_OUT:-benchmarks/results/gpu_check}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/atlas-gpu-check.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT_DIR"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
STEPS="$OUT_DIR/steps.jsonl"
: >"$STEPS"

if $PY -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  DEVICE=cuda; SIZES=${GPU_CHECK_SIZES:-100000,1000000}; SHARE=${GPU_CHECK_BASELINE_SHARE:-0.25}
  IMAGES=480; WORKERS=8
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >"$OUT_DIR/gpu.txt" 2>&1 || true
else
  DEVICE=cpu; SIZES=${GPU_CHECK_SIZES:-20000}; SHARE=1
  IMAGES=64; WORKERS=2
  echo "no CUDA GPU: running the CPU-safe parts; skipped: CUDA tests (they skip), --device cuda build," \
       "GPU throughput rows, the search at 100k and 1M x 2048 on CUDA"
fi

# step NAME COMMAND...: run it, log to $OUT_DIR/NAME.log, append {name, status, seconds} to steps.jsonl
step() {
  local name=$1; shift
  echo "== $name: $*"
  local start; start=$(date +%s%N)
  "$@" 2>&1 | tee "$OUT_DIR/$name.log"
  local rc=${PIPESTATUS[0]}
  local ms=$(( ($(date +%s%N) - start) / 1000000 ))
  printf '{"name": "%s", "rc": %d, "seconds": %d.%03d, "device": "%s"}\n' "$name" "$rc" $((ms / 1000)) $((ms % 1000)) "$DEVICE" >>"$STEPS"
}

step cuda_tests $PY -m pytest -q -p no:cacheprovider -m cuda tests/test_cuda.py --junitxml="$OUT_DIR/cuda_tests.xml"

# The sample, as site.yaml builds it, into a scratch folder from an empty cache.
$PY - "$WORK" <<'PYEOF'
import sys, yaml
from pathlib import Path
work = Path(sys.argv[1])
config = yaml.safe_load(Path("site.yaml").read_text(encoding="utf-8"))
config.update(output=str(work / "site"), cache=str(work / "cache"),
              collection=dict(config["collection"], path=str(work / "sample")))
if config.get("pairings", {}).get("file"):
    config["pairings"]["file"] = str(Path(config["pairings"]["file"]).resolve())
(work / "site.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
PYEOF
step sample_build $PY -m atlas build --config "$WORK/site.yaml" --device "$DEVICE"
cp "$WORK/report.json" "$OUT_DIR/sample_report.json" 2>/dev/null || true

# One epoch of `atlas finetune` (culture labels, the sample's 360 training works, resnet50 at 224 px).
if [ "$DEVICE" = cuda ]; then
  step finetune_epoch $PY -m atlas finetune --config "$WORK/site.yaml" --device cuda --epochs 1 --out "$WORK/tuned.pt"
fi

step embed_throughput $PY -m benchmarks.embed_throughput --folder "$WORK/sample/images" --images "$IMAGES" \
  --batch 32 --workers "$WORKERS" --devices "$DEVICE" --out "$OUT_DIR"

step search $PY -m benchmarks.gpu_search --device "$DEVICE" --sizes "$SIZES" --dim 2048 \
  --baseline-share "$SHARE" --out "$OUT_DIR"

$PY - "$OUT_DIR" "$DEVICE" <<'PYEOF'
import json, sys
from pathlib import Path
out, device = Path(sys.argv[1]), sys.argv[2]
steps = [json.loads(line) for line in (out / "steps.jsonl").read_text().splitlines() if line]
summary = {"device": device, "steps": steps, "failed": [s["name"] for s in steps if s["rc"] != 0],
           "skipped": [] if device == "cuda" else ["CUDA tests (skip without a GPU)", "--device cuda sample build",
                                                   "GPU throughput rows", "CUDA search at 100k and 1M x 2048",
                                                   "one fine-tuning epoch on CUDA"]}
for name in ("gpu.txt",):
    if (out / name).exists():
        summary["gpu"] = (out / name).read_text().strip()
report = out / "sample_report.json"
if report.exists():
    summary["sample_build_stages_s"] = json.loads(report.read_text()).get("timings_s", {})
(out / "gpu_check.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
print(json.dumps(summary, indent=2, sort_keys=True))
sys.exit(1 if summary["failed"] else 0)
PYEOF
