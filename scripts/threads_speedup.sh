#!/usr/bin/env bash
# Runtime speedup of real Hogwild threads at N = 1..16 on a machine with many cores: the finite instance
# (experiments/threads_speedup.toml: paper instance, Markovian sampling) and CartPole-v1
# (experiments/cartpole_threads.toml: linear Fourier actor-critic, target return 475).
# Usage: scripts/threads_speedup.sh [OUT_DIR] [--quick]   (run from the repository root; OUT_DIR default runs/threads)
set -euo pipefail
out="${1:-runs/threads}"
shift || true
python -m a3c_theory study experiments/threads_speedup.toml --out "$out/finite" "$@"
python -m a3c_theory study experiments/cartpole_threads.toml --out "$out/cartpole" "$@"
