#!/usr/bin/env python3
"""Compile the hand-written dialogue sources (datasets/source/*.dlg) into labeled-dialogue JSONL.

Source format, one conversation after another:

    === <id> <language>            starts a conversation (language: en, zh or mixed)
    S <speaker>: <text>            a seller turn
    C <speaker> [label, ...]: <text>  a customer (buyer) turn; the bracket is optional ([] = none)
    O <speaker>: <text>            someone on neither side

The colon after the speaker may be ASCII `:` or full-width `：`. Lines starting with `#` and
blank lines are ignored. Usage:

    compile.py [--check] FILE.dlg... > out.jsonl
"""

import json
import re
import sys
from collections import Counter

LABELS = ("price", "technical", "decision_chain")
ROLES = {"S": "seller", "C": "customer", "O": "other"}
HEADER = re.compile(r"^===\s*(\S+)\s+(en|zh|mixed)\s*$")
TURN = re.compile(r"^([SCO])\s+([^\[:：]+?)\s*(?:\[([^\]]*)\])?\s*[:：]\s*(.*)$")


def parse(path):
    conversations, current, errors = [], None, []
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            where = f"{path}:{n}"
            header = HEADER.match(line)
            if header:
                current = {"id": header[1], "language": header[2], "turns": [], "where": where}
                conversations.append(current)
                continue
            turn = TURN.match(line)
            if not turn or current is None:
                errors.append(f"{where}: not a turn or header: {line[:60]!r}")
                continue
            role, speaker, labels, text = turn.groups()
            labels = [x.strip() for x in (labels or "").split(",") if x.strip()]
            for label in labels:
                if label not in LABELS:
                    errors.append(f"{where}: unknown label {label!r}")
            if labels and role != "C":
                errors.append(f"{where}: only customer turns carry labels")
            if not text.strip():
                errors.append(f"{where}: empty text")
            current["turns"].append(
                {"speaker": speaker.strip(), "role": ROLES[role], "text": text.strip(),
                 "labels": [x for x in LABELS if x in labels]})
    return conversations, errors


def main(argv):
    check_only = "--check" in argv
    paths = [a for a in argv if a != "--check"]
    seen, errors, out = {}, [], []
    for path in paths:
        conversations, errs = parse(path)
        errors += errs
        for c in conversations:
            if c["id"] in seen:
                errors.append(f"{c['where']}: duplicate id {c['id']} (first at {seen[c['id']]})")
            seen[c["id"]] = c["where"]
            if not any(t["role"] == "customer" for t in c["turns"]):
                errors.append(f"{c['where']}: conversation {c['id']} has no customer turns")
            del c["where"]
            c["labels"] = [x for x in LABELS if any(x in t["labels"] for t in c["turns"])]
            out.append(c)
    for e in errors:
        print(e, file=sys.stderr)
    stats(out)
    if errors:
        return 1
    if not check_only:
        for c in out:
            print(json.dumps(c, ensure_ascii=False))
    return 0


def stats(conversations):
    langs = Counter(c["language"] for c in conversations)
    buyer = [t for c in conversations for t in c["turns"] if t["role"] == "customer"]
    labels = Counter(x for t in buyer for x in t["labels"])
    none = sum(1 for t in buyer if not t["labels"])
    multi = sum(1 for t in buyer if len(t["labels"]) > 1)
    print(f"conversations {len(conversations)} {dict(langs)}; buyer turns {len(buyer)}; "
          f"no-label {none}; multi-label {multi}; {dict(labels)}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
