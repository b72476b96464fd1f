#!/usr/bin/env python3
"""Build datasets/train.jsonl and datasets/dev.jsonl from the dialogue sources.

    python3 datasets/tools/build.py

Compiles every datasets/source/*.dlg (see compile.py), drops conversations whose turns repeat
another conversation's, reports buyer turns whose text occurs more than once, and splits by
conversation: within each source file, every fifth conversation (by position) goes to dev, so
both splits see every writer, language and style. Deterministic: the same sources give the
same files.
"""

import glob
import json
import os
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(__file__))
from compile import parse, stats  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LABELS = ("price", "technical", "decision_chain")


def main():
    train, dev, seen, errors = [], [], set(), []
    for path in sorted(glob.glob(os.path.join(ROOT, "source", "*.dlg"))):
        conversations, errs = parse(path)
        errors += errs
        for position, c in enumerate(conversations):
            c.pop("where", None)
            c["labels"] = [x for x in LABELS if any(x in t["labels"] for t in c["turns"])]
            key = tuple(t["text"] for t in c["turns"])
            if key in seen:
                print(f"duplicate conversation dropped: {c['id']}", file=sys.stderr)
                continue
            seen.add(key)
            (dev if position % 5 == 4 else train).append(c)
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    ids = Counter(c["id"] for c in train + dev)
    repeated_ids = [i for i, n in ids.items() if n > 1]
    if repeated_ids:
        print(f"repeated ids: {repeated_ids[:10]}", file=sys.stderr)
        return 1

    texts = Counter(t["text"] for c in train + dev for t in c["turns"] if t["role"] == "customer")
    repeated = sum(n - 1 for t, n in texts.items() if n > 1 and len(t) > 12)
    print(f"buyer turns repeated verbatim (longer than 12 chars): {repeated}", file=sys.stderr)
    for name, split in (("train", train), ("dev", dev)):
        with open(os.path.join(ROOT, f"{name}.jsonl"), "w", encoding="utf-8") as f:
            for c in split:
                f.write(json.dumps(c, ensure_ascii=False) + "\n")
        print(f"{name}: ", end="", file=sys.stderr)
        stats(split)
    return 0


if __name__ == "__main__":
    sys.exit(main())
