#!/usr/bin/env bash
# The million plan's GPU column measured rather than projected (issue 20), in one run of under 10 minutes
# on the GPU machine (one CUDA GPU, 16 cores):
#   1. the CUDA tests (tests/test_cuda.py), so the figures below come from a GPU path that still agrees with the CPU
#   2. the whole build of 100,000 synthetic works (benchmarks/build_memory.py: vectors injected, embedding.device
#      auto, so the exact neighbour search runs on the GPU), stage by stage, with its peak memory
#   3. the exact CUDA search at 1,000,000 x 2048 (benchmarks/gpu_search.py), the ceiling timed on a tenth
#      of the query blocks
# Every step's log and JSON land in $GPU_SCALE_OUT (default benchmarks/results/gpu_scale), with steps.jsonl
# saying what ran, its exit status and its seconds. A step past its time limit is stopped and its log kept.
#
#   bash benchmarks/gpu_scale.sh                                   # from the repository root
#   GPU_SCALE_WORKS=30000 GPU_SCALE_BUILD_LIMIT=200 bash benchmarks/gpu_scale.sh
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
OUT_DIR=${GPU_SCALE_OUT:-benchmarks/results/gpu_scale}
WORKS=${GPU_SCALE_WORKS:-100000}
BUILD_LIMIT=${GPU_SCALE_BUILD_LIMIT:-330}
SEARCH_SIZE=${GPU_SCALE_SEARCH:-1000000}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/atlas-gpu-scale.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT_DIR"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
STEPS="$OUT_DIR/steps.jsonl"
: >"$STEPS"
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; nproc; } >"$OUT_DIR/machine.txt" 2>&1

# step NAME LIMIT COMMAND...: run it for at most LIMIT seconds, log to $OUT_DIR/NAME.log, append to steps.jsonl
step() {
  local name=$1 limit=$2; shift 2
  echo "== $name (limit ${limit}s): $*"
  local start; start=$(date +%s%N)
  timeout --kill-after=10 "$limit" "$@" 2>&1 | tee "$OUT_DIR/$name.log"
  local rc=${PIPESTATUS[0]}
  local ms=$(( ($(date +%s%N) - start) / 1000000 ))
  printf '{"name": "%s", "rc": %d, "seconds": %d.%03d}\n' "$name" "$rc" $((ms / 1000)) $((ms % 1000)) >>"$STEPS"
}

step cuda_tests 90 $PY -m pytest -q -p no:cacheprovider -m cuda tests/test_cuda.py
step build "$BUILD_LIMIT" $PY -m benchmarks.build_memory --works "$WORKS" --folder "$WORK/synthetic"
cp "benchmarks/results/build_memory_$WORKS.json" "$OUT_DIR/" 2>/dev/null || true
step search 200 $PY -m benchmarks.gpu_search --device cuda --sizes "$SEARCH_SIZE" --dim 2048 \
  --baseline-share 0.1 --out "$OUT_DIR"
cat "$STEPS"
