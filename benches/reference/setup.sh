#!/usr/bin/env bash
# Creates benches/.venv with pinned PyTorch, transformers and ONNX Runtime for
# torch_reference.py.
#
# Only PyPI is reachable from the project's machines, and PyPI's Linux x86_64 torch wheels
# are CUDA builds: `import torch` refuses to start without the nvidia-* libraries, so they
# come along (about 3 GB downloaded, see benches/README.md) even though only the CPU is used.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/../.venv"
python="${PYTHON:-python3}"

if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/pip" install --quiet -r "$here/requirements.txt"
"$venv/bin/python" -c 'import torch, transformers, onnxruntime; print("torch", torch.__version__, "| transformers", transformers.__version__, "| onnxruntime", onnxruntime.__version__)'
