#!/usr/bin/env bash
# Peak resident memory of `demur analyze` over the generated benchmark corpus.
#
# Usage: benches/memory.sh [CORPUS_DIR [ANALYZE_OPTION...]]
#   e.g. benches/memory.sh examples/transcripts --quantized
# The default corpus is the one `cargo bench --bench analyze` leaves in
# target/tmp/demur-bench/corpus (200 conversations from a plain run of that bench, fewer after
# `benches/compare_analyze.sh`, which sets the size; the file count is printed); it is
# generated when missing.
# Needs GNU time at /usr/bin/time (Debian/Ubuntu: `apt-get install time`).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
corpus="${1:-$target/tmp/demur-bench/corpus}"
shift || true
bench_head="$target/tmp/demur-bench/head"

if [[ ! -x /usr/bin/time ]]; then
    echo "memory.sh: /usr/bin/time is missing (apt-get install time)" >&2
    exit 2
fi
if [[ ! -d "$corpus" ]]; then
    echo "memory.sh: generating the corpus with the analyze bench (one round)" >&2
    (cd "$root" && DEMUR_BENCH_ROUNDS=1 cargo bench --bench analyze >&2)
fi
(cd "$root" && cargo build --release --quiet)

# Without a trained head the bench's stand-in (same shape) is used.
if [[ -z "${DEMUR_HEAD:-}" && ! -f "$root/models/objection-head/head.json" ]]; then
    export DEMUR_HEAD="$bench_head"
fi

files=$(find "$corpus" -type f | wc -l)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Results go to stdout and are dropped there (`-o /dev/null` would do the same).
/usr/bin/time -v -o "$log" "$target/release/demur" analyze "$corpus" --jsonl -q "$@" >/dev/null || {
    cat "$log" >&2
    exit 1
}
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log")
echo "files: $files"
echo "Maximum resident set size (kbytes): $rss_kb"
echo "peak RSS: $((rss_kb / 1024)) MiB"
echo "wall clock: $wall"
