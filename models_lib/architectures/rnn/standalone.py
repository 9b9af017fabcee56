"""The recurrent net's standalone training script: its model file, the data it learns from (data.json:
the text as character ids with its vocabulary, or the series with how it is split and scaled) and the
Playground's loop (windows cut the same way, teacher forcing for a forecaster, gradient clipping)."""

from __future__ import annotations

import json

import numpy as np

from models_lib.export import Standalone
from models_lib.export.standalone import OPTIMIZER, assemble

from . import model as model_file

LOOP = '''
DATA = json.load(open("data.json"))


def text_windows(ids, a, b, length, step):
    """Windows of the text's ids in [a, b) and the same windows one character on (the targets)."""
    starts = torch.arange(a, b - length, step)
    index = starts[:, None] + torch.arange(length)[None, :]
    return ids[index], ids[index + 1]


def series_windows(series, start, end, window, horizon):
    """Windows whose targets lie in [start, end); each input and target minus the window's last value, over the spread."""
    origins = np.arange(max(start, window), end - horizon + 1)
    X = series[origins[:, None] + np.arange(-window, 0)[None, :]]
    Y = series[origins[:, None] + np.arange(horizon)[None, :]]
    last = X[:, -1:, :]
    scale = np.asarray(DATA["std"], dtype=np.float32)
    return torch.from_numpy((X - last) / scale), torch.from_numpy((Y - last) / scale)


def main():
    args, c = options()
    text = DATA["kind"] == "text"
    if text:
        ids = torch.tensor(DATA["ids"], dtype=torch.long)
        end = DATA["train_end"]
        X_train, Y_train = text_windows(ids, 0, end, c.window, DATA["stride"])
        X_test, Y_test = text_windows(ids, end, len(ids), c.window, max(1, c.window // 2))
        model = CharModel(c.cell, len(DATA["vocab"]), c.hidden_size, c.layers)
    else:
        series = np.asarray(DATA["series"], dtype=np.float32).reshape(len(DATA["series"]), -1)
        X_train, Y_train = series_windows(series, 0, DATA["train_end"], c.window, c.horizon)
        X_test, Y_test = series_windows(series, DATA["val_end"], len(series), c.window, c.horizon)
        model = Forecaster(c.cell, series.shape[1], c.hidden_size, c.layers, c.horizon, c.bidirectional)
    optimizer = make_optimizer(c.optimizer, model, c.learning_rate)
    order = torch.Generator().manual_seed(c.seed)
    forcing = torch.Generator().manual_seed(c.seed)
    for epoch in range(1, args.epochs + 1):
        model.train()
        for batch in torch.randperm(len(X_train), generator=order).split(c.batch_size):
            X, Y = X_train[batch], Y_train[batch]
            if text:
                logits, _ = model(X)
                loss = F.cross_entropy(logits.flatten(0, 1), Y.flatten())
            else:
                loss = F.mse_loss(model(X, Y, c.teacher_forcing, forcing), Y)
            optimizer.zero_grad()
            loss.backward()
            if c.grad_clip > 0:
                nn.utils.clip_grad_norm_(model.parameters(), c.grad_clip)
            optimizer.step()
        model.eval()
        with torch.no_grad():
            if text:
                logits, _ = model(X_test)
                loss = F.cross_entropy(logits.flatten(0, 1), Y_test.flatten())
                score = f"test accuracy {(logits.argmax(-1) == Y_test).float().mean().item():.3f}, {loss.item() / math.log(2):.3f} bits per character"
            else:
                error = (model(X_test) - Y_test)[:, :, 0] * float(DATA["std"][0])
                score = f"test RMSE {error.square().mean().sqrt().item():.4g} (in the series' units)"
        print(f"epoch {epoch}: {score}", flush=True)
    save(model)
'''


def _data(data) -> dict:
    m = data.meta
    if data.kind == "text":
        return {
            "kind": "text",
            "vocab": list(m.get("vocab") or data.class_names),
            "ids": np.asarray(m["ids"], dtype=np.int64).tolist(),
            "train_end": int(m["train_end"]),
            "stride": max(1, int(m.get("stride", 4))),
        }
    series = np.asarray(m["series"], dtype=np.float32)
    return {
        "kind": "series",
        "series": series.reshape(len(series), -1).tolist(),
        "std": np.asarray(m["std"], dtype=np.float32).reshape(-1).tolist(),
        "train_end": int(m["train_end"]),
        "val_end": int(m["val_end"]),
    }


def script(config, data) -> Standalone:
    what = "character-level language model" if data.kind == "text" else "forecaster"
    text = assemble(
        title=f"The Playground's {config.cell.upper()} {what} on {data.name or 'your data'}, trained again in plain "
        "PyTorch.",
        config=config,
        network=[model_file],
        helpers=[OPTIMIZER],
        loop=LOOP,
    )
    return Standalone({"train.py": text, "data.json": json.dumps(_data(data))})
