#!/usr/bin/env bash
# Runs the end-to-end bench and then ONNX Runtime (and optionally PyTorch) on the turns that
# bench encoded, alternately, and prints the comparison (benches/README.md explains it).
#
# Usage: [ROUNDS=2] [CONVERSATIONS=64] [THREADS=N] [TORCH=1] [REPEATS=3] benches/compare_analyze.sh
#   ROUNDS         rounds of (demur, reference), default 1; ratios are taken within a round
#   CONVERSATIONS  size of the generated corpus, default 64 (two chunks of 32 files)
#   THREADS        threads for both sides, default nproc
#   TORCH          1 to run PyTorch as well as ONNX Runtime
#   REPEATS        timed runs per reference workload, default 3
# Needs models/setup.sh and benches/reference/setup.sh first.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
out="$target/tmp/demur-bench"
rounds="${ROUNDS:-1}"
threads="${THREADS:-$(nproc)}"
engines=(--onnx --no-torch)
[[ "${TORCH:-0}" == 1 ]] && engines=(--onnx)

cd "$root"
mkdir -p "$out"
echo "$(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)," \
    "threads $threads, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
pairs=()
for round in $(seq 1 "$rounds"); do
    DEMUR_BENCH_CONVERSATIONS="${CONVERSATIONS:-64}" RAYON_NUM_THREADS="$threads" \
        cargo bench --bench analyze >&2
    cp "$out/analyze.json" "$out/analyze-$round.json"
    benches/.venv/bin/python benches/reference/torch_reference.py --threads "$threads" \
        "${engines[@]}" --sorted-only --repeats "${REPEATS:-3}" \
        --turns "$out/analyze-turns.json" --out "$out/analyze-reference-$round.json" >/dev/null
    pairs+=("$out/analyze-$round.json" "$out/analyze-reference-$round.json")
    echo "round $round done, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done
python3 benches/reference/compare_analyze.py "${pairs[@]}"
