"""PyTorch (and optionally ONNX Runtime) reference for benches/encoder.rs.

Encodes the same turns (benches/reference/turns.json) with the same model directory, the same
"query: " prefix, the same padding (each batch padded to its longest window) and masked mean
pooling + L2 norm, and prints one JSON object with median seconds, turns/s and tokens/s per
workload:

- <lang>/batch-<b>: every other turn (32 turns) in calls of b turns, in order (b = 1, 8, 32);
- <lang>/sorted-<n>: all n turns sorted by length, in batches of 8, 16 or 32, whichever is
  fastest for that engine in this run (its batch size is in the result).

Run benches/reference/setup.sh first, then
    benches/.venv/bin/python benches/reference/torch_reference.py --threads "$(nproc)" [--onnx]
"""

import argparse
import json
import os
import re
import statistics
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer
from transformers import BertModel

ROOT = Path(__file__).resolve().parents[2]
WORKLOAD_STRIDE = 2
BATCH_SIZES = (1, 8, 32)
SORTED_BATCHES = (8, 16, 32)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models/multilingual-e5-small"))
    parser.add_argument("--turns", default=str(ROOT / "benches/reference/turns.json"))
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per workload")
    parser.add_argument("--onnx", action="store_true", help="also run ONNX Runtime")
    parser.add_argument("--onnx-path", default=str(ROOT / "benches/.venv/onnx/e5-small.onnx"))
    parser.add_argument("--only", default="", help="run only workloads matching this regex")
    parser.add_argument(
        "--sorted-only",
        action="store_true",
        help="only the sorted workloads (for a turns file of whole corpora)",
    )
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--out", help="also write the JSON here")
    return parser.parse_args()


def load_tokenizer(model_dir):
    """The model's tokenizer without padding or truncation, and its pad id."""
    tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
    padding = tokenizer.padding
    pad_id = padding["pad_id"] if padding else 1
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer, pad_id


def prefix_of(model_dir):
    conventions = Path(model_dir) / "encoder.toml"
    if conventions.is_file():
        return tomllib.loads(conventions.read_text()).get("prefix", "")
    return "query: "


def tokenize(tokenizer, prefix, texts):
    return [tokenizer.encode(prefix + t, add_special_tokens=True).ids for t in texts]


def pad(windows, pad_id):
    """Input ids and attention mask of one batch, padded to its longest window."""
    length = max(len(w) for w in windows)
    ids = np.full((len(windows), length), pad_id, dtype=np.int64)
    mask = np.zeros((len(windows), length), dtype=np.int64)
    for row, window in enumerate(windows):
        ids[row, : len(window)] = window
        mask[row, : len(window)] = 1
    return ids, mask


def pool(hidden, mask):
    """Masked mean pooling followed by L2 normalisation (numpy)."""
    weights = mask[:, :, None].astype(np.float32)
    summed = (hidden * weights).sum(axis=1)
    mean = summed / np.maximum(weights.sum(axis=1), 1.0)
    return mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)


class TorchEngine:
    name = "torch"

    def __init__(self, model_dir):
        self.model = BertModel.from_pretrained(model_dir, add_pooling_layer=False)
        self.model.eval()

    def run(self, ids, mask):
        with torch.inference_mode():
            ids_t = torch.from_numpy(ids)
            mask_t = torch.from_numpy(mask)
            out = self.model(
                input_ids=ids_t,
                attention_mask=mask_t,
                token_type_ids=torch.zeros_like(ids_t),
            )
            return out.last_hidden_state.numpy()


class OnnxEngine:
    name = "onnxruntime"

    def __init__(self, model_dir, path, threads):
        import onnxruntime as ort

        path = Path(path)
        if not path.is_file():
            export_onnx(model_dir, path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"]
        )

    def run(self, ids, mask):
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return self.session.run(["last_hidden_state"], feeds)[0]


class _Exportable(torch.nn.Module):
    """The transformer with plain positional inputs and one output, for the exporter."""

    def __init__(self, bert):
        super().__init__()
        self.bert = bert

    def forward(self, input_ids, attention_mask, token_type_ids):
        out = self.bert(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        )
        return out.last_hidden_state


def export_onnx(model_dir, path):
    """Exports the transformer with dynamic batch and sequence axes (f32)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    model = _Exportable(
        BertModel.from_pretrained(model_dir, add_pooling_layer=False, attn_implementation="eager")
    )
    model.eval()
    ids = torch.ones((2, 16), dtype=torch.long)
    axes = {0: "batch", 1: "sequence"}
    with torch.inference_mode():
        torch.onnx.export(
            model,
            (ids, torch.ones_like(ids), torch.zeros_like(ids)),
            str(path),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "last_hidden_state": axes,
            },
            opset_version=17,
            dynamo=False,
        )
    print(f"exported {path}", file=sys.stderr)


def workloads(windows_by_lang, sorted_only=False):
    """(name, batch size, list of batches of windows) in the order benches/encoder.rs runs
    them; each sorted set comes once per batch size in SORTED_BATCHES."""
    out = []
    for lang, windows in windows_by_lang.items():
        first = windows[::WORKLOAD_STRIDE]
        for batch in () if sorted_only else BATCH_SIZES:
            calls = [first[i : i + batch] for i in range(0, len(first), batch)]
            out.append((f"{lang}/batch-{batch}", batch, calls))
        ordered = sorted(windows, key=len)
        for batch in SORTED_BATCHES:
            calls = [ordered[i : i + batch] for i in range(0, len(ordered), batch)]
            out.append((f"{lang}/sorted-{len(windows)}", batch, calls))
    return out


def measure(engine, name, calls, pad_id, repeats):
    padded = [pad(call, pad_id) for call in calls]
    turns = sum(len(call) for call in calls)
    tokens = sum(len(w) for call in calls for w in call)

    def once():
        for ids, mask in padded:
            pool(engine.run(ids, mask), mask)

    once()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        once()
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    return {
        "engine": engine.name,
        "workload": name,
        "turns": turns,
        "tokens": tokens,
        "median_s": seconds,
        "turns_per_s": turns / seconds,
        "tokens_per_s": tokens / seconds,
    }


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    tokenizer, pad_id = load_tokenizer(args.model)
    prefix = prefix_of(args.model)
    turns = json.loads(Path(args.turns).read_text())
    windows = {lang: tokenize(tokenizer, prefix, texts) for lang, texts in turns.items()}

    start = time.perf_counter()
    engines = [] if args.no_torch else [TorchEngine(args.model)]
    load_s = time.perf_counter() - start
    if args.onnx:
        engines.append(OnnxEngine(args.model, args.onnx_path, args.threads))

    results = []
    for engine in engines:
        fastest = {}
        for name, batch, calls in workloads(windows, args.sorted_only):
            if not re.search(args.only, name):
                continue
            result = measure(engine, name, calls, pad_id, args.repeats)
            result["batch"] = batch
            print(
                f"{engine.name:<12} {name:<14} batch {batch:>2} {result['median_s'] * 1e3:9.1f} ms "
                f"{result['turns_per_s']:8.1f} turns/s {result['tokens_per_s']:9.0f} tokens/s",
                file=sys.stderr,
            )
            if name not in fastest or result["median_s"] < fastest[name]["median_s"]:
                fastest[name] = result
        results.extend(fastest.values())

    summary = {
        "threads": args.threads,
        "torch": torch.__version__,
        "results": results,
    }
    if not args.no_torch:
        summary["torch_load_s"] = load_s
        summary["attn_implementation"] = engines[0].model.config._attn_implementation
    if args.onnx:
        import onnxruntime

        summary["onnxruntime"] = onnxruntime.__version__
    text = json.dumps(summary, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
