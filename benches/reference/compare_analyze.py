"""Prints a Markdown table of demur's end-to-end bench against the reference engines.

    python3 benches/reference/compare_analyze.py ANALYZE_JSON REFERENCE_JSON [MORE PAIRS ...]

Each pair is one round: target/tmp/demur-bench/analyze.json from `cargo bench --bench analyze`
and the JSON torch_reference.py wrote right after it for the same corpus
(analyze-turns.json: `buyer`, the buyer turns the analysis scores; `needed`, every turn it
encodes, seller turns for the head's context included). Rows:

- demur analyze: reading, encoding, the head, the strategies and JSON, in buyer turns/s and
  in encoded turns/s;
- demur encoder: the encoder alone on the buyer turns and on the needed turns;
- each reference engine, encoding only: the buyer turns alone (the least any pipeline must
  encode) and the needed turns (the same encoding work as demur's analysis).

Ratios are demur analyze over the row, per round, then the median over rounds.
"""

import statistics
import sys

from compare import rounds_of


def main():
    rounds = rounds_of(sys.argv[1:], __doc__)
    rows = {}

    def add(name, buyer, needed, ratio_buyer, ratio_needed, batches=None):
        row = rows.setdefault(
            name, {"buyer": [], "needed": [], "rb": [], "rn": [], "batches": []}
        )
        row["buyer"].append(buyer)
        row["needed"].append(needed)
        row["rb"].append(ratio_buyer)
        row["rn"].append(ratio_needed)
        if batches:
            row["batches"].append(batches)

    for demur, reference in rounds:
        buyer_turns = demur["buyer_turns"]
        needed_turns = demur["encoded_turns_per_analysis"]
        analyze_s = statistics.median(demur["analyze_s"])
        e2e_buyer = buyer_turns / analyze_s
        e2e_needed = needed_turns / analyze_s
        add("demur analyze", e2e_buyer, e2e_needed, 1.0, 1.0)
        enc_buyer = buyer_turns / statistics.median(demur["encoder_only_s"])
        enc_needed = needed_turns / statistics.median(demur["encoder_needed_turns_s"])
        add("demur encoder only", enc_buyer, enc_needed, e2e_buyer / enc_buyer, e2e_needed / enc_needed)
        per_engine = {}
        for r in reference["results"]:
            kind = r["workload"].split("/")[0]
            expected = {"buyer": buyer_turns, "needed": needed_turns}.get(kind)
            if expected is None:
                continue
            if r["turns"] != expected:
                sys.exit(f"{r['engine']} {r['workload']}: {r['turns']} turns, demur {expected}")
            per_engine.setdefault(r["engine"], {})[kind] = r
        for engine, kinds in per_engine.items():
            if set(kinds) != {"buyer", "needed"}:
                continue
            b, n = kinds["buyer"]["turns_per_s"], kinds["needed"]["turns_per_s"]
            batches = f"{kinds['buyer']['batch']}/{kinds['needed']['batch']}"
            add(f"{engine} encoder only", b, n, e2e_buyer / b, e2e_needed / n, batches)

    precisions = sorted({demur.get("encoder", "f32") for demur, _ in rounds})
    print(f"rounds: {len(rounds)}; demur's encoder: {', '.join(precisions)}")
    print(
        "| pass | buyer turns/s | encoded turns/s | demur analyze / this, buyer turns "
        "| demur analyze / this, same encoded turns |"
    )
    print("|---|---|---|---|---|")
    for name, row in rows.items():
        med = statistics.median
        per_round = lambda xs: ", ".join(f"{x:.2f}" for x in xs)
        if row["batches"]:
            name += f" (fastest batch, buyer/needed: {', '.join(row['batches'])})"
        print(
            f"| {name} | {med(row['buyer']):.1f} | {med(row['needed']):.1f} "
            f"| {med(row['rb']):.2f} ({per_round(row['rb'])}) "
            f"| {med(row['rn']):.2f} ({per_round(row['rn'])}) |"
        )


if __name__ == "__main__":
    main()
