#!/usr/bin/env python3
"""Load a `demur train --unfreeze N` checkpoint with Hugging Face transformers and compare its
probabilities with demur's on the same texts.

    check_checkpoint.py CHECKPOINT_DIR DEMUR_BINARY TEXT...

Needs torch and transformers (benches/reference/setup.sh installs both into benches/.venv).
Each text is scored twice: by `AutoModelForSequenceClassification` (sigmoid of the logits,
input prefixed as the checkpoint's encoder.toml says), and by `demur analyze` on a one-turn
transcript (`Customer: TEXT`, scores of the conversation = scores of its one turn). Prints
both and the largest difference; exits 1 if it exceeds 2e-4 (demur rounds scores to 4 decimals).
"""

import json
import subprocess
import sys
import tempfile
import tomllib

import torch
from transformers import AutoModelForSequenceClassification
from tokenizers import Tokenizer


def main(directory, demur, texts):
    with open(f"{directory}/encoder.toml", "rb") as f:
        prefix = tomllib.load(f).get("prefix", "")
    model = AutoModelForSequenceClassification.from_pretrained(directory).eval()
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    tokenizer = Tokenizer.from_file(f"{directory}/tokenizer.json")
    worst = 0.0
    for text in texts:
        ids = tokenizer.encode(prefix + text).ids
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([ids])).logits[0]
        hf = dict(zip(labels, torch.sigmoid(logits).tolist()))

        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write(f"Customer: {text}\n")
        out = subprocess.run(
            [demur, "analyze", "--head", directory, "--json", "-q", f.name],
            check=True, capture_output=True, text=True,
        ).stdout
        ours = json.loads(out)[0]["scores"]
        diff = max(abs(hf[label] - ours[label]) for label in labels)
        worst = max(worst, diff)
        print(json.dumps({"text": text, "transformers": hf, "demur": ours, "max_diff": diff},
                         ensure_ascii=False))
    print(f"largest difference: {worst:.2e}", file=sys.stderr)
    return 0 if worst < 2e-4 else 1


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
