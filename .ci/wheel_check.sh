#!/usr/bin/env bash
# The installed package, not the repository: build a wheel, install it (non-editable) into a fresh virtual
# environment, then build the sample atlas from an empty folder outside the repository with that venv's
# `atlas` command, and check the site is complete. Prints how long each step took.
#
# The venv is made with --system-site-packages so torch/torchvision/numpy... come from the interpreter that
# runs this (a plain venv would download torch and its CUDA wheels, several GB, on every CI run). atlas itself
# is installed into the venv, and the script checks that `import atlas` resolves there, not to the repository
# or to the editable install that `pip install -e .` put in the base interpreter.
# ATLAS_WHEEL_CHECK_ISOLATED=1 makes a plain venv instead (every dependency installed from the registry).
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/atlas-wheel-check.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
unset PYTHONPATH  # nothing may point back at the repository

# What a build of the repository's site.yaml writes at the top of the site (besides the per-work, per-group,
# pair and pattern pages): every top-level page, the data files the pages read, and the URL ledger.
REQUIRED=(
  index.html 404.html sitemap.xml _atlas/ledger.json
  about/index.html map/index.html search/index.html chord/index.html culture/index.html medium/index.html
  model/index.html pair/index.html pairings/index.html pattern/index.html surprises/index.html
  assets/atlas.css assets/map.js assets/search.js
  data/works.json data/map.json data/map/points.json data/culture-similarity.json data/culture-graph.json
  data/quality.json data/probes.json data/guesses.json data/patterns.json data/surprises.json
)

now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# 1. The wheel, built from a copy of the sources (no build/lib or egg-info left in the repository, and no
#    stale file from an earlier in-tree build can slip into the wheel).
t=$(now)
mkdir -p "$WORK/src" "$WORK/wheels"
cp "$REPO/pyproject.toml" "$REPO/README.md" "$WORK/src/"
cp -r "$REPO/atlas" "$WORK/src/atlas"
find "$WORK/src/atlas" -name __pycache__ -prune -exec rm -rf {} +
"$PYTHON" -m pip wheel --no-deps -q -w "$WORK/wheels" "$WORK/src"
WHEEL=$(ls "$WORK"/wheels/atlas-*.whl)
WHEEL_S=$(took "$t")
echo "wheel-check: built $(basename "$WHEEL") in ${WHEEL_S} s"

# 2. A fresh venv with the wheel installed non-editable.
t=$(now)
VENV="$WORK/venv"
if [ "${ATLAS_WHEEL_CHECK_ISOLATED:-0}" = 1 ]; then
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q "$WHEEL"
else
  "$PYTHON" -m venv --system-site-packages "$VENV"
  # --force-reinstall --no-deps: the base interpreter may already hold atlas (pip install -e .), which pip
  # would otherwise count as "already installed"; the second call then resolves the wheel's dependencies
  # (all present in the base interpreter here, so nothing is downloaded) and fails if one is missing.
  "$VENV/bin/python" -m pip install -q --no-deps --force-reinstall "$WHEEL"
  "$VENV/bin/python" -m pip install -q "$WHEEL"
fi
VENV_S=$(took "$t")
echo "wheel-check: venv + install in ${VENV_S} s"

# 3. Build the sample from an empty folder outside the repository (so the repository is not on sys.path).
SITE_DIR="$WORK/project"
mkdir "$SITE_DIR"
cd "$SITE_DIR"
cp "$REPO/site.yaml" "$REPO/pairings.yaml" .
ATLAS_FILE=$("$VENV/bin/python" -c 'import atlas; print(atlas.__file__)')
PURELIB=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "wheel-check: atlas imported from $ATLAS_FILE"
case "$ATLAS_FILE" in
  "$PURELIB"/atlas/__init__.py) ;;
  *) echo "wheel-check: FAIL: atlas should come from the venv ($PURELIB), not $ATLAS_FILE" >&2; exit 1 ;;
esac
t=$(now)
"$VENV/bin/atlas" build
BUILD_S=$(took "$t")
echo "wheel-check: atlas build in ${BUILD_S} s"

# 4. The site is complete: the required pages and data, and every asset shipped in the package.
SITE="$SITE_DIR/build/site"
missing=()
for path in "${REQUIRED[@]}"; do
  [ -s "$SITE/$path" ] || missing+=("$path")
done
for asset in "$REPO"/atlas/assets/*; do
  [ -f "$asset" ] || continue
  name=$(basename "$asset")
  cmp -s "$asset" "$SITE/assets/$name" || missing+=("assets/$name")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "wheel-check: FAIL: missing or different in the built site: ${missing[*]}" >&2
  exit 1
fi
echo "wheel-check: OK: $(find "$SITE" -type f | wc -l) files; wheel ${WHEEL_S} s, venv install ${VENV_S} s, atlas build ${BUILD_S} s"
