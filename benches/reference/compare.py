"""Prints a Markdown table of demur's encoder bench against the reference engines.

    python3 benches/reference/compare.py target/tmp/demur-bench/encoder.json reference.json

The ratio is demur tokens/s over the reference's tokens/s (above 1: demur is faster). Token
counts must match per workload, which checks that both sides encoded the same windows.
"""

import json
import sys
from pathlib import Path


def main():
    demur = json.loads(Path(sys.argv[1]).read_text())
    reference = json.loads(Path(sys.argv[2]).read_text())
    ours = {r["workload"]: r for r in demur["results"] if "tokens" in r}
    engines = sorted({r["engine"] for r in reference["results"]}, key=lambda e: e != "torch")
    theirs = {(r["engine"], r["workload"]): r for r in reference["results"]}

    head = ["workload", "tokens", "demur tokens/s", "demur turns/s"]
    for engine in engines:
        head += [f"{engine} tokens/s", f"demur/{engine}"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    mismatched = []
    for name, mine in ours.items():
        row = [name, str(mine["tokens"]), f"{mine['tokens_per_s']:.0f}", f"{mine['turns_per_s']:.1f}"]
        for engine in engines:
            other = theirs.get((engine, name))
            if other is None:
                row += ["–", "–"]
                continue
            if other["tokens"] != mine["tokens"]:
                mismatched.append(f"{engine} {name}: {other['tokens']} vs {mine['tokens']}")
            row += [f"{other['tokens_per_s']:.0f}", f"{mine['tokens_per_s'] / other['tokens_per_s']:.2f}"]
        print("| " + " | ".join(row) + " |")
    for line in mismatched:
        print(f"token counts differ: {line}", file=sys.stderr)
    sys.exit(1 if mismatched else 0)


if __name__ == "__main__":
    main()
