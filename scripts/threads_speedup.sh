#!/usr/bin/env bash
# Wall-clock speedup of Hogwild threads with N = 1, 2, 4, 8, 16 on a machine with many cores: the
# threads_runtime study (a3c_theory/studies/threads_runtime.toml: paper instance, c_alpha = 3, Markovian
# sampling, target 85% of the gap, which N = 1 reaches after ~2 s) with its worker grid widened to 16.
# About 3-4 minutes on 16 quiet cores (10 seeds; each N = 1 run takes ~3 s, larger N less).
# Usage: scripts/threads_speedup.sh [OUT_DIR]   (default figures/threads_speedup; run from the repository root)
set -euo pipefail
out="${1:-figures/threads_speedup}"
python="${PYTHON:-python}"
spec_dir="$(mktemp -d)"
trap 'rm -rf "$spec_dir"' EXIT
src="a3c_theory/studies/threads_runtime.toml"
sed 's/"run.workers" = \[1, 2\]/"run.workers" = [1, 2, 4, 8, 16]/' "$src" > "$spec_dir/threads_runtime.toml"
if ! grep -q '"run.workers" = \[1, 2, 4, 8, 16\]' "$spec_dir/threads_runtime.toml"; then
    echo "threads_speedup.sh: $src no longer has the grid line '\"run.workers\" = [1, 2]'; update this script" >&2
    exit 1
fi
"$python" - "$out" "$spec_dir" <<'PY'
import sys
from pathlib import Path

from a3c_theory.reproduce import reproduce

out, spec_dir = Path(sys.argv[1]), Path(sys.argv[2])
reproduce(out, registry={"threads_runtime": "threads_runtime"}, spec_dir=spec_dir,
          report_path=out / "paper_repro.md", progress=False)
PY
