#!/usr/bin/env bash
# Runs the encoder bench and the PyTorch / ONNX Runtime reference alternately on the same
# turns and prints the comparison table (benches/README.md explains the columns).
#
# Usage: [ROUNDS=3] [THREADS=N] [FILTER=sorted] [ONNX=0] benches/compare.sh
#   ROUNDS   rounds of (demur, reference), default 1; ratios are taken within a round
#   THREADS  threads for both sides, default nproc
#   FILTER   run only benches matching this regex (e.g. `sorted|matmul`), default all
#   ONNX     0 to leave ONNX Runtime out
# Needs models/setup.sh and benches/reference/setup.sh first.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
out="$target/tmp/demur-bench"
rounds="${ROUNDS:-1}"
threads="${THREADS:-$(nproc)}"
filter="${FILTER:-}"
onnx=(--onnx)
[[ "${ONNX:-1}" == 0 ]] && onnx=()

cd "$root"
mkdir -p "$out"
echo "$(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)," \
    "threads $threads, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
pairs=()
for round in $(seq 1 "$rounds"); do
    RAYON_NUM_THREADS="$threads" cargo bench --bench encoder -- ${filter:+"$filter"} >&2
    cp "$out/encoder.json" "$out/encoder-$round.json"
    benches/.venv/bin/python benches/reference/torch_reference.py --threads "$threads" \
        "${onnx[@]}" --only "$filter" --out "$out/reference-$round.json" >/dev/null
    pairs+=("$out/encoder-$round.json" "$out/reference-$round.json")
    echo "round $round done, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done
python3 benches/reference/compare.py "${pairs[@]}"
