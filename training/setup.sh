#!/usr/bin/env bash
# Create the training environment `.venv-train` beside the project's own `.venv`.
#
# Training needs PyTorch; the product does not (it runs the exported ONNX model with
# ONNX Runtime). Keeping torch out of the uv-managed `.venv` keeps that lock small and the
# runtime honest. `torch==2.13.0` resolves to the local CPU wheel (pip's find-links); a bare
# `torch` would pull gigabytes of CUDA libraries.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${repo_root}/.venv-train"
python="${PYTHON:-python3}"

if [[ ! -x "${venv}/bin/python" ]]; then
    "${python}" -m venv "${venv}"
fi
"${venv}/bin/pip" install --quiet --upgrade pip
"${venv}/bin/pip" install --quiet \
    "torch==2.13.0" \
    "onnx>=1.16" \
    "onnxscript>=0.1" \
    "onnxruntime>=1.18" \
    "numpy>=1.26" \
    "pillow>=10.3" \
    "opencv-python-headless>=4.10"
# The project itself, editable, so training reuses rekap's preprocessing and renderer.
"${venv}/bin/pip" install --quiet -e "${repo_root}"
echo "training environment ready: ${venv}/bin/python"
