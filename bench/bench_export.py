"""How long each export takes to make and how big it is, per architecture: what the first download of a
finished run's file costs (later ones are served as kept).

    .venv/bin/python bench/bench_export.py [--arch mlp cnn ...]

Each architecture's default run (its default knobs on its default dataset) is trained, then written in
every format it offers, each timed once (the exporters trace the model: there is nothing to warm).
TensorBoard gets the run's own metric points. Prints seconds and sizes per format, and the formats an architecture refuses with why.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from models_lib import data, registry  # noqa: E402
from models_lib.export import FORMATS, to_onnx, to_pt2, to_safetensors, to_script, to_tensorboard, weights_metadata  # noqa: E402
from models_lib.training import Callback  # noqa: E402


class Points(Callback):
    def __init__(self):
        self.points = []

    def on_flush(self, trainer, events):
        self.points += [(e["step"], e["values"]) for e in events if e["kind"] == "metric"]


def _size(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n < 1024**2 else f"{n / 1024**2:.1f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", nargs="*", default=[s.slug for s in registry.trainable()])
    args = parser.parse_args()
    torch.set_num_threads(1)
    keys = [f.key for f in FORMATS if f.key != "csv"]
    print(f"{'arch':<12}" + "".join(f"{k:>22}" for k in keys))
    refused = []
    for slug in args.arch:
        spec = registry.get(slug)
        d = data.load(spec.default_dataset)
        config = spec.defaults(d)
        points = Points()
        result = spec.run(config, d, callbacks=[points], device="cpu", view_interval_s=1e9)
        module = spec.restore(config, d, result.state_dict)
        inference = spec.export.inference(module, module.data)
        cells = []
        with tempfile.TemporaryDirectory() as tmp:
            for key in keys:
                fmt = next(f for f in FORMATS if f.key == key)
                if not spec.export.offers(key, fmt.needs) and key != "tensorboard" and key != "safetensors":
                    cells.append("refused")
                    refused.append(f"{slug} {key}: {spec.export.refused.get(key, '')}")
                    continue
                path = Path(tmp) / f"x{fmt.suffix}"
                t = time.perf_counter()
                if key == "safetensors":
                    to_safetensors(
                        module, path, weights_metadata(spec=spec, config=config, data=d, inference=inference)
                    )
                elif key == "onnx":
                    to_onnx(inference, path)
                elif key == "pt2":
                    to_pt2(inference, path)
                elif key == "script":
                    to_script(spec.export.script(config, module.data), path, folder="run")
                else:
                    to_tensorboard(
                        path, folder="run", points=points.points, hparams=config.model_dump(), results=result.metrics
                    )
                cells.append(f"{time.perf_counter() - t:6.2f} s {_size(path.stat().st_size):>9}")
        print(f"{slug:<12}" + "".join(f"{c:>22}" for c in cells), flush=True)
    for line in refused:
        print("refused:", line)


if __name__ == "__main__":
    main()
