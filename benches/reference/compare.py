"""Prints a Markdown table of demur's encoder bench against the reference engines.

    python3 benches/reference/compare.py ENCODER_JSON REFERENCE_JSON [MORE PAIRS ...]

Each pair is one round: target/tmp/demur-bench/encoder.json from `cargo bench --bench encoder`
and the JSON torch_reference.py printed right after it. Throughputs are medians over the rounds;
a ratio is demur tokens/s over the reference's tokens/s within a round (above 1: demur is
faster), and the table shows the median of those per-round ratios, so a change of background
load between rounds cancels out. Token counts must match per workload, which checks that both
sides encoded the same windows. A `q4_0/…` workload (demur's 4-bit encoder) is compared with
the reference's run of the same set, which is f32.
"""

import json
import statistics
import sys
from pathlib import Path


def load(path):
    return json.loads(Path(path).read_text())


def rounds_of(paths, usage):
    """The (demur, reference) JSON pairs named on the command line, one per round."""
    if not paths or len(paths) % 2:
        sys.exit(usage)
    return [(load(a), load(b)) for a, b in zip(paths[::2], paths[1::2])]


def main():
    rounds = rounds_of(sys.argv[1:], __doc__)

    ours, theirs, ratios, mismatched = {}, {}, {}, []
    engines = []
    for demur, reference in rounds:
        mine = {r["workload"]: r for r in demur["results"] if "tokens" in r}
        for r in reference["results"]:
            if r["engine"] not in engines:
                engines.append(r["engine"])
            # The 4-bit encoder's run of a set is compared with the same reference run.
            for name in (r["workload"], f"q4_0/{r['workload']}"):
                m = mine.get(name)
                if m is None:
                    continue
                if m["tokens"] != r["tokens"]:
                    mismatched.append(f"{r['engine']} {name}: {r['tokens']} vs {m['tokens']}")
                key = (r["engine"], name)
                theirs.setdefault(key, []).append(r["tokens_per_s"])
                ratios.setdefault(key, []).append(m["tokens_per_s"] / r["tokens_per_s"])
        for name, m in mine.items():
            ours.setdefault(name, []).append(m)

    head = ["workload", "tokens", "demur tokens/s", "demur turns/s"]
    for engine in engines:
        head += [f"{engine} tokens/s", f"demur/{engine}"]
    print(f"rounds: {len(rounds)}")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for name, runs in ours.items():
        row = [
            name,
            str(runs[0]["tokens"]),
            f"{statistics.median(r['tokens_per_s'] for r in runs):.0f}",
            f"{statistics.median(r['turns_per_s'] for r in runs):.1f}",
        ]
        for engine in engines:
            key = (engine, name)
            if key not in theirs:
                row += ["–", "–"]
                continue
            per_round = ", ".join(f"{x:.2f}" for x in ratios[key])
            row += [
                f"{statistics.median(theirs[key]):.0f}",
                f"{statistics.median(ratios[key]):.2f} ({per_round})",
            ]
        print("| " + " | ".join(row) + " |")
    for line in mismatched:
        print(f"token counts differ: {line}", file=sys.stderr)
    sys.exit(1 if mismatched else 0)


if __name__ == "__main__":
    main()
