#!/usr/bin/env bash
# Runs the encoder bench and the PyTorch / ONNX Runtime reference back to back on the same
# turns and prints the comparison table (benches/README.md explains the columns).
#
# Usage: benches/compare.sh [--no-onnx]
# Needs models/setup.sh and benches/reference/setup.sh first.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
out="$target/tmp/demur-bench"
threads="${THREADS:-$(nproc)}"
onnx="--onnx"
[[ "${1:-}" == "--no-onnx" ]] && onnx=""

cd "$root"
echo "$(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)" >&2
RAYON_NUM_THREADS="$threads" cargo bench --bench encoder
mkdir -p "$out"
benches/.venv/bin/python benches/reference/torch_reference.py \
    --threads "$threads" $onnx --out "$out/reference.json" >/dev/null
python3 benches/reference/compare.py "$out/encoder.json" "$out/reference.json"
