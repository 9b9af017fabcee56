#!/usr/bin/env bash
# Fetches, into .whl/, the wheels `make bench-gpu` needs on a GPU machine that has PyTorch (and numpy,
# scikit-learn, Pillow, safetensors) but none of this project's web packages and no network: Django,
# Channels, Celery and the rest of requirements.txt, for that machine's Python (3.12 by default).
# Then, there: python3 -m pip install --no-index --no-deps --target /tmp/site .whl/*.whl
#              PYTHONPATH=/tmp/site make bench-gpu
set -euo pipefail
cd "$(dirname "$0")/.."
PYVER="${PYVER:-3.12}"
mkdir -p .whl
# Everything in requirements.txt but what the GPU image already has (the heavy numeric stack).
grep -vE '^(#|torch|torchvision|numpy|scikit-learn|Pillow|safetensors|networkx|plotly)' requirements.txt \
  | sed '/^\s*$/d' > .whl/requirements-gpu.txt
python3 -m pip download --quiet --only-binary=:all: --python-version "$PYVER" --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  --platform any -d .whl -r .whl/requirements-gpu.txt
du -sh .whl
