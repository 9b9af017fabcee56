"""Command line: ``python -m models_lib list`` and ``python -m models_lib train mlp --dataset spiral``."""

from __future__ import annotations

import argparse
import json
import sys

import models_lib
from models_lib import data as datasets
from models_lib.hparams import HParamsError
from models_lib.registry import UnknownArchitecture
from models_lib.training import Callback, DeviceUnavailable, TrainingDiverged, save_weights, select_device


class ConsoleProgress(Callback):
    """One updating line on stderr (``\\r`` on a terminal, plain lines otherwise)."""

    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.tty = stream.isatty()
        self.width = 0

    def on_flush(self, trainer, events):
        for event in events:
            if event["kind"] == "log":
                self._line(f"[{event['level']}] {event['message']}", final=True)

    def on_progress(self, trainer, progress):
        v = trainer.last_values
        parts = [
            f"epoch {progress['epoch']}/{progress['epochs']}",
            f"step {progress['step']}/{progress['total_steps']}",
        ]
        for key in ("train_loss", "train_accuracy", "train_rmse", "test_accuracy", "test_rmse"):
            if v.get(key) is not None:
                parts.append(f"{key.replace('_accuracy', '_acc')} {v[key]:.4f}")
        eta = progress["eta_s"]
        parts += [f"{progress['samples_per_s']:,.0f} samples/s", f"ETA {eta:.1f}s" if eta is not None else ""]
        self._line("  ".join(p for p in parts if p), final=not self.tty)

    def on_train_end(self, trainer, result):
        if self.tty and self.width:
            self.stream.write("\n")
            self.width = 0

    def _line(self, text, final):
        if self.tty:
            pad = max(self.width - len(text), 0)
            self.stream.write("\r" + text + " " * pad + ("\n" if final else ""))
            self.width = 0 if final else len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


def _pairs(items: list[str], what: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise HParamsError([{"field": item, "message": f"{what} must look like key=value"}])
        out[key.strip()] = value.strip()
    return out


def cmd_list(args) -> int:
    print("architectures:")
    for spec in models_lib.all():
        if spec.trainable:
            takes = ", ".join(f"{a.kind} ({a.task})" for a in spec.accepts)
            print(f"  {spec.slug:<14} {spec.name} (trains on {takes})")
        else:
            print(f"  {spec.slug:<14} {spec.name} (a catalog page; not trainable yet)")
    print("datasets:")
    for info in datasets.builtin_all():
        print(f"  {info.slug:<14} {info.name} ({info.kind}, {info.task})")
    return 0


def cmd_train(args) -> int:
    spec = models_lib.get(args.architecture)
    if not spec.trainable:
        print(f"error: {spec.name} is not trainable yet", file=sys.stderr)
        return 2
    config_in = _pairs(args.set, "--set")
    if args.epochs is not None:
        config_in["epochs"] = args.epochs
    info = datasets.builtin_get(args.dataset or spec.default_dataset)
    if not spec.accepts_data(info):
        print(f"error: {spec.refusal(info)} (dataset {info.slug})", file=sys.stderr)
        return 2
    # the knobs that suit this data (the GAN's DCGAN for images), under the ones given
    config = spec.validate(spec.with_data_defaults(config_in, info))
    data = datasets.load(info.slug, _pairs(args.data, "--data"))
    device = select_device(args.device)
    result = spec.run(config, data, callbacks=[ConsoleProgress()], device=device)
    if args.out:
        save_weights(
            result.state_dict,
            args.out,
            {
                "architecture": spec.slug,
                "dataset": info.slug,
                "config": config.model_dump_json(),
                "metrics": json.dumps(result.metrics),
            },
        )
        print(f"weights written to {args.out}", file=sys.stderr)
    out = {
        "architecture": spec.slug,
        "dataset": info.slug,
        "device": result.device,
        "stopped": result.stopped,
        **result.metrics,
    }
    if args.json:
        print(json.dumps(out))
    else:
        width = max(len(k) for k in out)
        for key, value in out.items():
            print(f"{key:<{width}}  {value}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models_lib", description="Train playground models from the shell.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="architectures and built-in datasets").set_defaults(func=cmd_list)
    train = sub.add_parser("train", help="train an architecture on a built-in dataset")
    train.add_argument("architecture")
    train.add_argument("--dataset", help="built-in dataset slug (default: the architecture's)")
    train.add_argument("--epochs", type=int)
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a hyperparameter, repeatable")
    train.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a dataset option (n_samples, noise, test_ratio, seed)",
    )
    train.add_argument("--device", default=None, help="cpu, cuda or cuda:N (default: cuda when present)")
    train.add_argument("--out", help="write the trained weights here (safetensors)")
    train.add_argument("--json", action="store_true", help="print the final metrics as one JSON line")
    train.set_defaults(func=cmd_train)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except HParamsError as exc:
        for err in exc.errors:
            print(f"error: {err['field']}: {err['message']}", file=sys.stderr)
        return 2
    except (UnknownArchitecture, datasets.UnknownDataset, DeviceUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except TrainingDiverged as exc:
        print(f"error: training diverged: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
